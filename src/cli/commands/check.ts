/**
 * `dane-mta check DOMAIN [--port N] [--days N] [--json] [DNS options]`: the DANE check of a mail
 * domain for its receiving operator (RFC 7672 §2–3, RFC 7671, RFC 9276): per MX host and address
 * the DNSSEC status of MX, A/AAAA and TLSA, TLSA usability, STARTTLS, the handshake, which record
 * matched at which depth, and the problems found, each with its fix (src/check).
 * Exit: 0 no error found, 1 an error found, 75 could not tell (lookups or connections failed),
 * 64 bad usage, 78 an unusable trust-anchor or root-hints file.
 * Must never: send mail (the SMTP session ends after the TLS handshake).
 */
import { hostname } from 'node:os';
import { checkDomain, exitStatusOf, parseCheckDomain, reportText } from '../../check/index.ts';
import type { Name } from '../../dns/wire/index.ts';
import { describeError, isMtaError, systemClock } from '../../util/index.ts';
import {
  boolOpt,
  intOpt,
  stringOpt,
  UsageError,
  type Command,
  type CommandIo,
  type OptionSpec,
  type ParsedArgs,
} from '../command.ts';
import { DNS_OPTIONS, resolverFromArgs } from '../dns-options.ts';

/** Options `check` and `web` share besides the DNS ones. */
export const CHECK_OPTIONS: Record<string, OptionSpec> = {
  port: { type: 'string', arg: 'N', help: 'SMTP port of the MX hosts; TLSA names follow it (default 25)' },
  days: {
    type: 'string',
    arg: 'N',
    help: 'warn about signatures and DANE-TA certificates expiring within N days (default 7)',
  },
  helo: { type: 'string', arg: 'NAME', help: 'EHLO name (default: this host name)' },
};

/** The parsed common check options. */
export interface CheckFlags {
  port: number;
  days: number;
  helo: string;
  timeoutMs: number;
}

/** Read `--port`, `--days`, `--helo` and `--timeout`; UsageError on a bad value. */
export function checkFlagsFromArgs(args: ParsedArgs): CheckFlags {
  const helo = stringOpt(args, 'helo') ?? hostname();
  if (!/^[A-Za-z0-9.-]+$/.test(helo)) throw new UsageError(`--helo: '${helo}' is not a host name`);
  const timeout = intOpt(args, 'timeout', { min: 1, max: 300 });
  return {
    port: intOpt(args, 'port', { min: 1, max: 65535 }) ?? 25,
    days: intOpt(args, 'days', { min: 0, max: 3650 }) ?? 7,
    helo,
    timeoutMs: (timeout ?? 10) * 1000,
  };
}

function domainArg(text: string): Name {
  try {
    return parseCheckDomain(text);
  } catch (e) {
    if (isMtaError(e, 'CHECK_ERR_DOMAIN')) throw new UsageError(describeError(e));
    throw e;
  }
}

async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const domain = domainArg(args.positionals[0] ?? '');
  const flags = checkFlagsFromArgs(args);
  const resolver = await resolverFromArgs(args, io);
  const report = await checkDomain(domain, { resolver, clock: systemClock, ...flags });
  io.stdout(boolOpt(args, 'json') ? `${JSON.stringify(report)}\n` : reportText(report));
  return exitStatusOf(report.verdict);
}

export const checkCommand: Command = {
  name: 'check',
  summary: "check a mail domain's DANE setup: DNSSEC, TLSA records, STARTTLS, certificates",
  usage: 'DOMAIN',
  positionals: { min: 1, max: 1 },
  options: {
    json: { type: 'boolean', help: 'print one JSON object { domain, verdict, hosts, findings, … }' },
    ...CHECK_OPTIONS,
    ...DNS_OPTIONS,
  },
  details: [
    'Looks up the MX hosts, their addresses and TLSA records through the validating resolver,',
    'connects to every address (EHLO, STARTTLS, TLS handshake, QUIT — no mail is sent) and names',
    'each problem with its fix: error (DANE fails or mail is deferred now), warning (a risk),',
    'info. --timeout caps each DNS and SMTP wait (default 2 s DNS, 10 s SMTP).',
    'Exit status: 0 no error found, 1 an error found, 75 could not tell (lookups failed), 64 bad usage.',
    '',
    'examples:',
    '  dane-mta check example.org',
    '  dane-mta check example.org --days 14 --json',
  ].join('\n'),
  run,
};
