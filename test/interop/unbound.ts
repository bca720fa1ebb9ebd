/**
 * Runs Unbound as a second, independent DNSSEC validator for the interop tests: a validating
 * recursive resolver ("validator iterator") on a loopback address, trusting only the trust
 * anchor file the test wrote (DS or DNSKEY records, RFC 4033 §5), iterating from the test's
 * root hints or going straight to stub zones (address@port, so it also works without root).
 * `queryUnbound` asks it with dig and returns the RCODE, the AD bit (RFC 4035 §3.2.3) and the
 * answer records. Must never use the system's trust anchor, root hints or /etc/unbound.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError, InteropErrorCode } from './errors.ts';
import { assertLoopback, assertPortFree, waitForUdpDns } from './net.ts';
import { runCommand, startDaemon, waitUntilReady } from './process.ts';

/** A zone Unbound sends straight to the given servers ("127.53.1.1@53"). */
export interface StubZone {
  readonly name: string;
  readonly addrs: readonly string[];
}

/** Options of {@link startUnbound}. */
export interface UnboundOptions {
  readonly address: string;
  readonly port: number;
  /** DS or DNSKEY records (zone-file format) Unbound trusts; without it Unbound does not validate. */
  readonly trustAnchorFile?: string;
  /** Root hints (NS and A records of the test's root servers, which must listen on port 53). */
  readonly rootHintsFile?: string;
  readonly stubZones?: readonly StubZone[];
  /** The test's directory; Unbound's files go into a subdirectory of it. */
  readonly dir: string;
  /** Lines added to the `server:` clause as they are. */
  readonly extraServerLines?: readonly string[];
  /** Start-up deadline (default 15 s). */
  readonly timeoutMs?: number;
}

/** A running Unbound. */
export interface UnboundServer {
  readonly address: string;
  readonly port: number;
  readonly configFile: string;
  /** Unbound's PID (it runs in the foreground, in a session of its own). */
  readonly pid: number;
  /** What Unbound logged so far (validation failures appear here with val-log-level 2). */
  output(): string;
  stop(): Promise<void>;
}

function q(value: string): string {
  if (/["\n]/.test(value)) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `unusable value in unbound.conf: ${value}`);
  }
  return `"${value}"`;
}

/** The text of an unbound.conf for `options`, with its files under `work` (exported for tests). */
export function unboundConfig(options: UnboundOptions, work: string): string {
  const v6 = options.address.includes(':');
  const server = [
    'server:',
    `  interface: ${options.address}`,
    `  port: ${options.port}`,
    `  do-ip4: ${v6 ? 'no' : 'yes'}`,
    // The test's servers are all IPv4 loopback addresses; never try IPv6 upstreams.
    '  do-ip6: no',
    '  do-udp: yes',
    '  do-tcp: yes',
    '  access-control: 127.0.0.0/8 allow',
    '  access-control: ::1 allow',
    '  do-not-query-localhost: no',
    '  chroot: ""',
    '  username: ""',
    `  directory: ${q(work)}`,
    `  pidfile: ${q(join(work, 'unbound.pid'))}`,
    '  use-syslog: no',
    '  logfile: ""',
    '  log-time-ascii: yes',
    '  log-servfail: yes',
    '  verbosity: 1',
    '  val-log-level: 2',
    '  num-threads: 1',
    '  so-reuseport: no',
    '  outgoing-range: 64',
    '  num-queries-per-thread: 64',
    '  module-config: "validator iterator"',
    '  harden-glue: yes',
    '  harden-dnssec-stripped: yes',
    '  harden-below-nxdomain: yes',
    '  harden-algo-downgrade: no',
    '  harden-referral-path: no',
    '  qname-minimisation: no',
    '  aggressive-nsec: no',
    '  prefetch: no',
    '  prefetch-key: no',
    '  minimal-responses: no',
    '  val-permissive-mode: no',
    '  trust-anchor-signaling: no',
    '  root-key-sentinel: no',
    '  ede: yes',
    // A bogus answer is not kept for long: tests re-sign and re-ask.
    '  val-bogus-ttl: 1',
    '  infra-host-ttl: 5',
    ...(options.trustAnchorFile === undefined ? [] : [`  trust-anchor-file: ${q(options.trustAnchorFile)}`]),
    ...(options.rootHintsFile === undefined ? [] : [`  root-hints: ${q(options.rootHintsFile)}`]),
    ...(options.extraServerLines ?? []).map((l) => `  ${l}`),
  ];
  const stubs = (options.stubZones ?? []).flatMap((z) => [
    'stub-zone:',
    `  name: ${q(z.name)}`,
    ...z.addrs.map((a) => `  stub-addr: ${a}`),
    '  stub-prime: no',
  ]);
  return [...server, 'remote-control:', '  control-enable: no', ...stubs, ''].join('\n');
}

/** Starts Unbound (`unbound -d -c CONF`) after unbound-checkconf, and waits until it answers. */
export async function startUnbound(options: UnboundOptions): Promise<UnboundServer> {
  assertLoopback(options.address);
  const work = join(options.dir, `unbound-${options.address}-${options.port}`);
  await mkdir(work, { recursive: true });
  const configFile = join(work, 'unbound.conf');
  await writeFile(configFile, unboundConfig(options, work));
  await runCommand('unbound-checkconf', [configFile]);
  await assertPortFree(options.address, options.port, { udp: true });
  const name = `unbound ${options.address}:${options.port}`;
  const daemon = startDaemon('unbound', ['-d', '-c', configFile], { name, cwd: work });
  // "localhost." is one of Unbound's default local zones: answered without any recursion.
  const answers = async (): Promise<boolean> => {
    await waitForUdpDns(options.address, options.port, { name: 'localhost.', type: 'A', deadlineMs: 0 });
    return true;
  };
  await waitUntilReady(daemon, answers, { timeoutMs: options.timeoutMs ?? 15_000 });
  return {
    address: options.address,
    port: options.port,
    configFile,
    pid: daemon.pid,
    output: () => daemon.output(),
    stop: () => daemon.stop(),
  };
}

/** Writes a root hints file naming `servers` (each `{ name, address }`) as the root's NS set. */
export async function writeRootHints(
  file: string,
  servers: readonly { readonly name: string; readonly address: string }[],
): Promise<void> {
  const lines = servers.flatMap((s) => [
    `.\t3600000\tIN\tNS\t${s.name}`,
    `${s.name}\t3600000\tIN\tA\t${s.address}`,
  ]);
  await writeFile(file, lines.join('\n') + '\n');
}

/** What a resolver answered, as dig shows it. */
export interface QueryResult {
  /** NOERROR, NXDOMAIN, SERVFAIL, … */
  readonly rcode: string;
  /** The AD bit: the resolver validated the answer as secure. */
  readonly ad: boolean;
  /** The header flags (qr, aa, rd, ra, ad, cd). */
  readonly flags: readonly string[];
  /** Answer-section records in zone-file form, whitespace-collapsed. */
  readonly answer: readonly string[];
  /** Extended DNS Error text, if the resolver sent one (RFC 8914). */
  readonly ede?: string;
  /** dig's whole output. */
  readonly raw: string;
}

/** Options of {@link queryUnbound}. */
export interface QueryOptions {
  /** Record type (default A). */
  readonly type?: string;
  /** Set CD (checking disabled). */
  readonly checkingDisabled?: boolean;
  /** Seconds dig waits (default 5). */
  readonly timeoutSeconds?: number;
}

/**
 * Asks the resolver at `server` for `name` with `dig +dnssec` (RD set) and parses the result.
 * Throws INTEROP_ERR_COMMAND_FAILED when dig gets no answer at all.
 */
export async function queryUnbound(
  server: { readonly address: string; readonly port: number },
  name: string,
  options: QueryOptions = {},
): Promise<QueryResult> {
  assertLoopback(server.address);
  const args = [
    `@${server.address}`,
    '-p',
    String(server.port),
    name,
    options.type ?? 'A',
    '+dnssec',
    '+recurse',
    '+noall',
    '+comments',
    '+answer',
    `+time=${options.timeoutSeconds ?? 5}`,
    '+tries=1',
    '+nocookie',
    ...(options.checkingDisabled === true ? ['+cd'] : []),
  ];
  const res = await runCommand('dig', args, { timeoutMs: ((options.timeoutSeconds ?? 5) + 5) * 1000 });
  return parseDig(res.stdout);
}

/** Parses dig's `+comments +answer` output (exported for tests). */
export function parseDig(text: string): QueryResult {
  const status = /status: ([A-Z0-9]+)/.exec(text);
  const flagLine = /;; flags: ([a-z ]*);/.exec(text);
  if (status === null || flagLine === null) {
    throw new InteropError(
      InteropErrorCode.COMMAND_FAILED,
      `dig printed no DNS header: ${text.trim().slice(0, 200)}`,
    );
  }
  const flags = (flagLine[1] ?? '')
    .trim()
    .split(/\s+/)
    .filter((f) => f.length > 0);
  const answer = text
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith(';'))
    .map((l) => l.trim().replace(/\s+/g, ' '));
  const ede = /; EDE: (.*)/.exec(text)?.[1];
  return {
    rcode: status[1] ?? '',
    ad: flags.includes('ad'),
    flags,
    answer,
    ...(ede === undefined ? {} : { ede }),
    raw: text,
  };
}
