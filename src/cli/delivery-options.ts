/**
 * Command-line flags shared by `send` and `lookup-rcpt` (TLS mode, insecure-MX policy, HELO name,
 * port, source address, extra PKIX roots, JSON output), turned into a `TransportProfile` and an
 * MTA from the composition root, plus the human and JSON rendering of a delivery result and its exit code (sysexits, DESIGN.md).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { DeliveryResult, TransportProfile } from '../delivery/index.ts';
import { createMta, type Mta } from '../mta/index.ts';
import { INSECURE_MX_POLICIES, isInsecureMxPolicy, isTlsMode, TLS_MODES } from '../policy/index.ts';
import { uniformTimeouts } from '../smtp/client/index.ts';
import { describeError, ExitCode } from '../util/index.ts';
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
import { resolverFromArgs } from './dns-options.ts';

export const DELIVERY_OPTIONS: Record<string, OptionSpec> = {
  tls: { type: 'string', arg: 'MODE', help: `TLS mode: ${TLS_MODES.join(', ')} (default dane)` },
  'insecure-mx': {
    type: 'string',
    arg: 'POLICY',
    help: `hosts of an insecure MX RRset: ${INSECURE_MX_POLICIES.join(', ')} (default dane)`,
  },
  helo: { type: 'string', arg: 'NAME', help: 'EHLO name (default: this host name)' },
  port: { type: 'string', arg: 'N', help: 'SMTP port of the MX hosts; TLSA names follow it (default 25)' },
  source: { type: 'string', arg: 'ADDR', help: 'local address to connect from' },
  ca: { type: 'string', arg: 'FILE', multiple: true, help: 'extra PKIX roots (PEM) for the *_verify modes' },
  json: { type: 'boolean', help: 'print the result as one JSON object' },
};

/** The transport profile the flags describe; throws UsageError / ConfigError with one line. */
export function transportFromArgs(args: ParsedArgs): TransportProfile {
  const tls = stringOpt(args, 'tls') ?? 'dane';
  if (!isTlsMode(tls)) throw new UsageError(`--tls: unknown mode '${tls}' (one of ${TLS_MODES.join(', ')})`);
  const insecureMx = stringOpt(args, 'insecure-mx') ?? 'dane';
  if (!isInsecureMxPolicy(insecureMx)) {
    throw new UsageError(
      `--insecure-mx: unknown policy '${insecureMx}' (one of ${INSECURE_MX_POLICIES.join(', ')})`,
    );
  }
  const helo = stringOpt(args, 'helo') ?? hostname();
  if (!/^[A-Za-z0-9.-]+$/.test(helo) && !/^\[[0-9A-Fa-f:.]+\]$/.test(helo)) {
    throw new UsageError(`--helo: '${helo}' is not a host name or address literal`);
  }
  const source = stringOpt(args, 'source');
  if (source !== undefined && isIP(source) === 0)
    throw new UsageError(`--source: '${source}' is not an IP address`);
  const ca = stringsOpt(args, 'ca').map((file) => {
    try {
      const pem = readFileSync(file, 'utf8');
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
      return pem;
    } catch (e) {
      throw new ConfigError(`--ca ${file}: ${describeError(e)}`);
    }
  });
  const timeout = intOpt(args, 'timeout', { min: 1, max: 3600 });
  const profile: TransportProfile = {
    tlsMode: tls,
    insecureMx,
    port: intOpt(args, 'port', { min: 1, max: 65535 }) ?? 25,
    helo,
  };
  if (source !== undefined) profile.localAddress = source;
  if (ca.length > 0) profile.ca = ca;
  if (timeout !== undefined) profile.timeouts = uniformTimeouts(timeout * 1000);
  return profile;
}

/** Without --json the transcript is printed live, line by line. */
export function liveLog(args: ParsedArgs, io: CommandIo): ((line: string) => void) | undefined {
  if (args.values.json === true) return undefined;
  return (line) => {
    io.stdout(`${line}\n`);
  };
}

/** The MTA the DNS and delivery flags describe (the composition root, as library users get it). */
export async function mtaFromArgs(args: ParsedArgs, io: CommandIo): Promise<Mta> {
  const resolver = await resolverFromArgs(args, io);
  return createMta({ resolver, transport: transportFromArgs(args) });
}

/** sysexits code of an outcome: 0 success, 75 temporary, 69 permanent. */
export function exitCodeOf(result: DeliveryResult): number {
  if (result.outcome === 'deferred') return ExitCode.TEMPFAIL;
  if (result.outcome === 'bounced' || result.outcome === 'rejected') return ExitCode.UNAVAILABLE;
  return ExitCode.OK;
}

/** Print the result: JSON (one object) or a human summary after the live transcript. */
export function printResult(result: DeliveryResult, args: ParsedArgs, io: CommandIo): void {
  if (args.values.json === true) {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const tls = result.tls === null ? '' : `, TLS: ${result.tls}`;
  const where =
    result.mx === null ? '' : ` (${result.mx}${result.address === null ? '' : ` [${result.address}]`}${tls})`;
  const reply =
    result.reply === null
      ? result.reason
      : `${result.reply.code} ${result.reply.enhanced ?? ''} ${result.reply.text}`.replace(/\s+/g, ' ');
  io.stdout(`${result.outcome}: ${reply}${where}\n`);
  if (result.recipients.length > 1) {
    for (const r of result.recipients) io.stdout(`  ${r.address}: ${r.outcome} ${r.enhanced} ${r.reason}\n`);
  }
}
