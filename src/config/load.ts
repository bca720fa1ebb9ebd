/**
 * Loading the daemon's configuration file (DESIGN.md "The daemon (C6)"): YAML (the core schema
 * of YAML 1.2, so `2027-03-01` and `yes` stay text) through the zod schema, with every error
 * reported as ONE line `FILE:LINE:COLUMN: KEY.PATH: what is wrong` — the position of the
 * offending node, of the key for an unknown key, of the parent for a missing one. The CLI maps
 * `ConfigLoadError` to exit 78. Files named by the configuration are resolved against its
 * directory and checked for readability; DANE exceptions whose `until` has passed are marked
 * expired and produce a warning.
 * Must never: print a stack trace or several lines for one error; start with a half-checked
 * configuration.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { describeError, MtaError } from '../util/index.ts';
import { configSchema, type Config } from './schema.ts';
import { describeValue } from './units.ts';

type PathKey = string | number;

/** A configuration file that cannot be used; `message` is one line naming file:line:column. */
export class ConfigLoadError extends MtaError<'CONFIG_ERR_LOAD'> {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The key path (`listen[0].address`), '' for the file as a whole. */
  readonly keyPath: string;

  constructor(where: { file: string; line: number; column: number; keyPath: string }, what: string) {
    const key = where.keyPath === '' ? '' : `${where.keyPath}: `;
    super('CONFIG_ERR_LOAD', `${where.file}:${where.line}:${where.column}: ${key}${oneLine(what)}`, {
      details: { ...where },
    });
    this.name = 'ConfigLoadError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.keyPath = where.keyPath;
  }
}

export interface LoadOptions {
  /** Now, in ms since the epoch: DANE exceptions whose `until` is not after it are expired. */
  now: number;
  /** Check that the files the configuration names are readable (default true). */
  checkFiles?: boolean;
}

export interface LoadedConfig {
  config: Config;
  /** One line each, `FILE:LINE:COLUMN: KEY.PATH: …` (expired DANE exceptions). */
  warnings: string[];
}

// eslint-disable-next-line no-control-regex
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/** `listen[0].tls.cert`, `delivery.destinations["broken.example"].tls`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

/** Maps key paths to positions in the parsed document. */
class Locator {
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly file: string;

  constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
  }

  #pos(offset: number): { line: number; column: number } {
    const p = this.#lines.linePos(offset);
    return { line: p.line, column: p.col };
  }

  /** The node at `path`, or the nearest ancestor that exists (a missing key → its parent). */
  at(path: readonly PropertyKey[]): { line: number; column: number } {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n) as PathKey[];
      const node: unknown = n === 0 ? this.#doc.contents : this.#doc.getIn(sub, true);
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range !== undefined) return this.#pos(range[0]);
    }
    return { line: 1, column: 1 };
  }

  /** The position of key `key` in the mapping at `path` (an unknown key points at itself). */
  key(path: readonly PropertyKey[], key: string): { line: number; column: number } {
    const map: unknown = path.length === 0 ? this.#doc.contents : this.#doc.getIn(path as PathKey[], true);
    if (isMap(map)) {
      for (const pair of map.items) {
        if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range)
          return this.#pos(pair.key.range[0]);
      }
    }
    return this.at(path);
  }

  error(path: readonly PropertyKey[], what: string, pos = this.at(path)): ConfigLoadError {
    return new ConfigLoadError({ file: this.file, ...pos, keyPath: formatKeyPath(path) }, what);
  }
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
};

/** Our wording for zod's own issue kinds (messages we wrote in the schema win over this). */
function issueText(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'missing (required)';
      return `expected ${TYPE_WORDS[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
    case 'invalid_value':
      return `must be one of ${iss.values.map(String).join(', ')}; got ${describeValue(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'array') return `needs at least ${String(iss.minimum)} entries`;
      if (iss.origin === 'string') return 'must not be empty';
      return `must be at least ${String(iss.minimum)}`;
    case 'too_big':
      if (iss.origin === 'array') return `has more than ${String(iss.maximum)} entries`;
      return `must be at most ${String(iss.maximum)}`;
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_union':
      return `has the wrong form (${describeValue(iss.input)})`;
    default:
      return undefined;
  }
}

function yamlProblem(file: string, doc: Document, lines: LineCounter): ConfigLoadError | undefined {
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem === undefined) return undefined;
  const p = lines.linePos(problem.pos[0]);
  const text = (problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  return new ConfigLoadError({ file, line: p.line, column: p.col, keyPath: '' }, `YAML: ${text}`);
}

/** The first schema issue as a ConfigLoadError (the earliest in the file). */
function schemaProblem(loc: Locator, issues: readonly z.core.$ZodIssue[]): ConfigLoadError {
  const errors = issues.map((iss) => {
    if (iss.code === 'unrecognized_keys') {
      const key = iss.keys[0] ?? '';
      return loc.error([...iss.path, key], iss.message, loc.key(iss.path, key));
    }
    return loc.error(iss.path, iss.message);
  });
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return errors[0] ?? loc.error([], 'invalid configuration');
}

/** Every file-valued setting: its key path and value. */
function fileSettings(c: Config): { path: PathKey[]; value: string }[] {
  const out: { path: PathKey[]; value: string }[] = [];
  c.listen.forEach((l, i) => {
    if (l.tls !== null) {
      out.push({ path: ['listen', i, 'tls', 'cert'], value: l.tls.cert });
      out.push({ path: ['listen', i, 'tls', 'key'], value: l.tls.key });
    }
    if (l.users !== null) out.push({ path: ['listen', i, 'users'], value: l.users });
  });
  c.dns.trust_anchors.forEach((f, i) => out.push({ path: ['dns', 'trust_anchors', i], value: f }));
  if (c.dns.root_hints !== undefined) out.push({ path: ['dns', 'root_hints'], value: c.dns.root_hints });
  c.delivery.ca.forEach((f, i) => out.push({ path: ['delivery', 'ca', i], value: f }));
  return out;
}

/** The configuration with every file (and a relative sqlite: path) made absolute against `base`. */
function resolvePaths(c: Config, base: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const url = c.queue.url;
  const sqlite = /^sqlite:(.+)$/.exec(url)?.[1];
  return {
    ...c,
    listen: c.listen.map((l) => ({
      ...l,
      tls: l.tls === null ? null : { cert: abs(l.tls.cert), key: abs(l.tls.key) },
      users: l.users === null ? null : abs(l.users),
    })),
    queue: { ...c.queue, url: sqlite === undefined || sqlite === ':memory:' ? url : `sqlite:${abs(sqlite)}` },
    dns: {
      ...c.dns,
      trust_anchors: c.dns.trust_anchors.map(abs),
      ...(c.dns.root_hints === undefined ? {} : { root_hints: abs(c.dns.root_hints) }),
    },
    delivery: { ...c.delivery, ca: c.delivery.ca.map(abs) },
  };
}

function checkFile(loc: Locator, path: PathKey[], file: string): void {
  try {
    accessSync(file, constants.R_OK);
    if (!statSync(file).isFile()) throw new Error('not a regular file');
  } catch (e) {
    throw loc.error(path, `cannot read ${file} (${describeError(e)})`);
  }
}

/** Mark expired DANE exceptions; one warning each. */
function markExpired(loc: Locator, c: Config, now: number): string[] {
  const warnings: string[] = [];
  for (const d of c.delivery.destinations) {
    if (!d.weakensDane || d.until === undefined || d.until.ms > now) continue;
    d.expired = true;
    const at = loc.error(['delivery', 'destinations', d.written], '');
    const where = `${at.file}:${at.line}:${at.column}: ${at.keyPath}`;
    warnings.push(
      `${where}: ignored: exception for ${d.key} expired on ${d.until.text} (${d.reason ?? ''}); the global TLS policy applies`,
    );
  }
  return warnings;
}

/**
 * Parse configuration text. `file` names it in messages and relative paths are resolved against
 * `baseDir` (default: the file's directory). Throws ConfigLoadError.
 */
export function parseConfig(
  text: string,
  opts: LoadOptions & { file: string; baseDir?: string },
): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const yamlError = yamlProblem(opts.file, doc, lines);
  if (yamlError !== undefined) throw yamlError;
  const loc = new Locator(opts.file, doc, lines);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw loc.error([], `YAML: ${describeError(e)}`);
  }
  if (data === null || data === undefined)
    throw loc.error([], 'the file has no settings; at least listen is required');
  const parsed = configSchema.safeParse(data, { reportInput: true, error: issueText });
  if (!parsed.success) throw schemaProblem(loc, parsed.error.issues);
  const config = resolvePaths(parsed.data, opts.baseDir ?? dirname(resolve(opts.file)));
  if (opts.checkFiles !== false) for (const f of fileSettings(config)) checkFile(loc, f.path, f.value);
  return { config, warnings: markExpired(loc, config, opts.now) };
}

/** Read and parse the configuration file at `path`. Throws ConfigLoadError. */
export function loadConfig(path: string, opts: LoadOptions): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigLoadError(
      { file: path, line: 1, column: 1, keyPath: '' },
      `cannot read the configuration file (${describeError(e)})`,
    );
  }
  return parseConfig(text, { ...opts, file: path });
}
