/**
 * The DNS flags every command shares (`--trust-anchor FILE` (repeatable), `--resolver
 * ADDR[:PORT]` (repeatable), `--dns-mode validate|recursive|trust-ad`, `--root-hints FILE`,
 * `--timeout SECONDS`, `--dns-port N`) and the composition root that turns them into a ready
 * validating `Resolver`: dns/transport's UDP/TCP client wired into the resolver's `DnsExchange`,
 * the system clock and CSPRNG, trust anchors (the IANA root KSKs unless replaced) and root hints
 * (IANA's unless replaced). DESIGN.md "DNS resolution modes"; RFC 4033 §5 (trust anchors).
 * Bad flags are UsageErrors (exit 64); unreadable or invalid files are ConfigErrors (exit 78).
 * Must never: fall back to another mode or to the built-in anchors when a file fails.
 */
import { readFileSync } from 'node:fs';
import { parseTrustAnchors, type TrustAnchorRecord } from '../dns/dnssec/index.ts';
import {
  rootHintsFromRecords,
  type Resolver,
  type ResolverMode,
  type RootHint,
} from '../dns/resolver/index.ts';
import { parseZone } from '../dns/wire/index.ts';
import { createResolver, MtaSetupError, type DnsSettings } from '../mta/index.ts';
import { describeError, type Clock, type Random } from '../util/index.ts';
import {
  ConfigError,
  intOpt,
  stringOpt,
  stringsOpt,
  UsageError,
  type CommandIo,
  type OptionSpec,
  type ParsedArgs,
} from './command.ts';

/** The shared DNS options, to spread into a command's option table. */
export const DNS_OPTIONS: Record<string, OptionSpec> = {
  'dns-mode': {
    type: 'string',
    arg: 'MODE',
    help: 'validate (default: ask the system resolvers with CD and validate locally), recursive or trust-ad',
  },
  resolver: {
    type: 'string',
    multiple: true,
    arg: 'ADDR[:PORT]',
    help: 'resolver to ask in modes validate and trust-ad (default: /etc/resolv.conf)',
  },
  'trust-anchor': {
    type: 'string',
    multiple: true,
    arg: 'FILE',
    help: 'DS or DNSKEY records (zone-file format) replacing the built-in IANA root KSKs',
  },
  'root-hints': { type: 'string', arg: 'FILE', help: 'root server NS and A/AAAA records for mode recursive' },
  'dns-port': {
    type: 'string',
    arg: 'N',
    help: 'port of every authoritative server in mode recursive (default 53)',
  },
  timeout: {
    type: 'string',
    arg: 'SECONDS',
    help: 'how long to wait for each reply (DNS: default 2; SMTP too where one is sent)',
  },
};

const MODES: readonly ResolverMode[] = ['validate', 'recursive', 'trust-ad'];

/** Test seams: the clock, randomness and file reading. */
export interface DnsOptionsDeps {
  clock?: Clock;
  random?: Random;
  readFile?: (path: string) => string;
}

function readText(path: string, what: string, deps: DnsOptionsDeps): string {
  try {
    return (deps.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
  } catch (e) {
    throw new ConfigError(`cannot read the ${what} file ${path}: ${oneLine(e)}`);
  }
}

function oneLine(e: unknown): string {
  const text = describeError(e);
  return text.replace(/^[A-Z]+: /, '');
}

/** Records of the `--trust-anchor FILE`s (all together replace the built-in ones), or undefined. */
function anchorRecordsFromArgs(args: ParsedArgs, deps: DnsOptionsDeps): TrustAnchorRecord[] | undefined {
  const files = stringsOpt(args, 'trust-anchor');
  if (files.length === 0) return undefined;
  const records: TrustAnchorRecord[] = [];
  for (const file of files) {
    const text = readText(file, 'trust anchor', deps);
    try {
      records.push(...parseTrustAnchors(text));
    } catch (e) {
      throw new ConfigError(`invalid trust anchor file ${file}: ${oneLine(e)}`);
    }
  }
  return records;
}

function modeFromArgs(args: ParsedArgs): ResolverMode {
  const text = stringOpt(args, 'dns-mode') ?? 'validate';
  const mode = MODES.find((m) => m === text);
  if (mode === undefined) throw new UsageError(`--dns-mode: '${text}' is not one of ${MODES.join(', ')}`);
  return mode;
}

function checkFlags(args: ParsedArgs, mode: ResolverMode): void {
  if (mode === 'recursive' && stringsOpt(args, 'resolver').length > 0)
    throw new UsageError('--resolver does not apply to --dns-mode recursive (it asks the root servers)');
  if (mode !== 'recursive') {
    if (stringOpt(args, 'root-hints') !== undefined)
      throw new UsageError('--root-hints applies only to --dns-mode recursive');
    if (stringOpt(args, 'dns-port') !== undefined)
      throw new UsageError('--dns-port applies only to --dns-mode recursive');
  }
  if (mode === 'trust-ad' && stringsOpt(args, 'trust-anchor').length > 0)
    throw new UsageError('--trust-anchor does not apply to --dns-mode trust-ad (the resolver validates)');
}

/**
 * The DNS flags as the composition root's `DnsSettings` (files read here; flags that contradict
 * the mode are usage errors, unreadable or invalid files configuration errors).
 */
export function dnsSettingsFromArgs(args: ParsedArgs, io: CommandIo, deps: DnsOptionsDeps = {}): DnsSettings {
  const mode = modeFromArgs(args);
  checkFlags(args, mode);
  const seconds = intOpt(args, 'timeout', { min: 1, max: 300 });
  const port = intOpt(args, 'dns-port', { min: 1, max: 65535 });
  const hintsFile = stringOpt(args, 'root-hints');
  const settings: DnsSettings = {
    mode,
    resolvers: stringsOpt(args, 'resolver'),
    ...(seconds === undefined ? {} : { timeoutMs: seconds * 1000 }),
    ...(port === undefined ? {} : { port }),
    ...(io.env['DANE_MTA_RESOLV_CONF'] === undefined ? {} : { resolvConf: io.env['DANE_MTA_RESOLV_CONF'] }),
  };
  const anchors = anchorRecordsFromArgs(args, deps);
  if (anchors !== undefined) settings.trustAnchors = anchors;
  if (hintsFile !== undefined) {
    const text = readText(hintsFile, 'root hints', deps);
    settings.rootHints = rootHintsText(text, hintsFile);
  }
  return settings;
}

function rootHintsText(text: string, file: string): readonly RootHint[] {
  let parsed: ReturnType<typeof rootHintsFromRecords>;
  try {
    parsed = rootHintsFromRecords(parseZone(text));
  } catch (e) {
    throw new ConfigError(`invalid root hints file ${file}: ${oneLine(e)}`);
  }
  if ('error' in parsed) throw new ConfigError(`invalid root hints file ${file}: ${parsed.error}`);
  return parsed.hints;
}

/**
 * Build the resolver the flags ask for, through the composition root. Mode trust-ad is refused
 * unless every resolver is on loopback (127.0.0.0/8 or ::1), as Postfix and Maddy require: exit
 * 64 when named by `--resolver`, 78 when they come from resolv.conf.
 */
export function resolverFromArgs(
  args: ParsedArgs,
  io: CommandIo,
  deps: DnsOptionsDeps = {},
): Promise<Resolver> {
  const settings = dnsSettingsFromArgs(args, io, deps);
  try {
    return Promise.resolve(
      createResolver(settings, {
        ...(deps.clock === undefined ? {} : { clock: deps.clock }),
        ...(deps.random === undefined ? {} : { random: deps.random }),
        onWarning: (w) => {
          io.stderr(`dane-mta: ${w}\n`);
        },
      }),
    );
  } catch (e) {
    if (!(e instanceof MtaSetupError)) throw e;
    const named = (settings.resolvers?.length ?? 0) > 0;
    if (e.code === 'MTA_ERR_TRUST_AD_NOT_LOOPBACK') {
      if (named) throw new UsageError(e.message);
      throw new ConfigError(`${e.message}; name one with --resolver`);
    }
    if (e.setting === 'resolvers') throw new UsageError(`--resolver: ${e.message}`);
    throw new ConfigError(e.message);
  }
}
