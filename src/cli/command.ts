/**
 * The shape of a CLI sub-command and the shared argument handling: every command is a table
 * entry with its options (node:util parseArgs), a usage line and a `run` function. Bad
 * arguments become a `UsageError`, which main.ts prints as one line and exits 64.
 */
import { parseArgs } from 'node:util';
import { ExitCode, MtaError } from '../util/index.ts';

export type OptionSpec = {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in --help (`ADDR[:PORT]`). */
  arg?: string;
  /** One-line description shown in --help. */
  help: string;
};

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadableStream;
  /** Environment variables (tests pass their own). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** Positional part of the usage line, e.g. `NAME [TYPE]`. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Further lines for --help (examples, notes). */
  details?: string;
  /** Minimum and maximum number of positional arguments. */
  positionals: { min: number; max: number };
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

/** A bad command line; printed as one line, exit 64. */
export class UsageError extends MtaError<'CLI_ERR_USAGE'> {
  constructor(message: string) {
    super('CLI_ERR_USAGE', message);
  }
}

/** A broken configuration file or option value that is not a usage mistake; exit 78. */
export class ConfigError extends MtaError<'CLI_ERR_CONFIG'> {
  constructor(message: string) {
    super('CLI_ERR_CONFIG', message);
  }
}

export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** Parse `argv` against a command's options; throws UsageError on anything unexpected. */
export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries({ ...cmd.options, help: HELP_OPTION })) {
    options[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(cleanParseError(e));
  }
  const values = parsed.values as ParsedArgs['values'];
  if (values.help === true) return { values, positionals: parsed.positionals };
  const n = parsed.positionals.length;
  if (n < cmd.positionals.min) {
    throw new UsageError(`missing argument: usage: dane-mta ${cmd.name} ${cmd.usage}`.trimEnd());
  }
  if (n > cmd.positionals.max) {
    throw new UsageError(`unexpected argument '${parsed.positionals[cmd.positionals.max] ?? ''}'`);
  }
  return { values, positionals: parsed.positionals };
}

function cleanParseError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // parseArgs messages can be long ("To specify a positional argument starting with a '-' …").
  const first = msg.split(/\.\s|\n/)[0] ?? msg;
  return first.replace(/^Unknown option/, 'unknown option').replace(/\s+$/, '');
}

/** The --help text of a command. */
export function helpText(cmd: Command): string {
  const lines = [
    `usage: dane-mta ${cmd.name} [options] ${cmd.usage}`.trimEnd(),
    '',
    cmd.summary,
    '',
    'options:',
  ];
  const entries = Object.entries({ ...cmd.options, help: HELP_OPTION });
  const heads = entries.map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    const arg = spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : '';
    return `  ${short}--${name}${arg}`;
  });
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  entries.forEach(([, spec], i) => {
    const head = heads[i] ?? '';
    lines.push(`${head.padEnd(width)}${spec.help}${spec.multiple === true ? ' (repeatable)' : ''}`);
  });
  if (cmd.details !== undefined) lines.push('', cmd.details.trimEnd());
  return lines.join('\n') + '\n';
}

/** Helpers to read typed option values. */
export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

export function stringsOpt(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

export function boolOpt(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** Parse a positive integer option within bounds, or throw a UsageError naming it. */
export function intOpt(
  args: ParsedArgs,
  name: string,
  bounds: { min: number; max: number },
): number | undefined {
  const text = stringOpt(args, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name}: '${text}' is not a whole number`);
  const n = Number(text);
  if (n < bounds.min || n > bounds.max) {
    throw new UsageError(`--${name}: ${n} is out of range (${bounds.min}–${bounds.max})`);
  }
  return n;
}

export { ExitCode };
