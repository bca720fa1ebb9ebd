/**
 * `checkDomain`: the DANE check of one mail domain, as a receiving operator needs it (RFC 7672
 * §2–3, RFC 7671, RFC 9276). The MX RRset and its DNSSEC status (RFC 7672 §2.2.1, RFC 7505
 * null MX, RFC 5321 §5.1 implicit MX), every MX host (host.ts), then the zones the check went
 * through (zones.ts: islands, NSEC3 iterations, signatures about to expire), the findings sorted
 * by severity and the verdict. Takes the resolver (dane's `DaneResolver`) and the clock as
 * arguments; connects only through the probe it is given (by default the SMTP client, which
 * stops after the TLS handshake). Never sends mail; never throws for what DNS or a server does.
 */
import { lookupMx, type DaneResolver, type MxHost } from '../dane/index.ts';
import type { Proof } from '../dns/dnssec/index.ts';
import type { Name } from '../dns/wire/index.ts';
import type { Clock } from '../util/index.ts';
import { parseCheckDomain } from './domain.ts';
import { finding, sortFindings, verdictOf } from './findings.ts';
import { checkHost, type HostCheck, type HostContext } from './host.ts';
import { smtpProbe, type Probe } from './probe.ts';
import { failureText, RecordingResolver } from './recorder.ts';
import { CheckError, type CheckReport, type Finding } from './types.ts';
import { checkZones } from './zone-findings.ts';

/** Options of `checkDomain`. */
export interface CheckOptions {
  /** The validating resolver (build it with mta's createResolver). */
  readonly resolver: DaneResolver;
  readonly clock: Clock;
  /** SMTP port of the MX hosts; TLSA owner names follow it (default 25). */
  readonly port?: number;
  /** Warn about signatures and DANE-TA certificates expiring within this many days (default 7). */
  readonly days?: number;
  /** EHLO name (default `dane-mta-check.invalid`). */
  readonly helo?: string;
  /** Cap on every SMTP wait, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** How addresses are probed (default: the SMTP client, stopped after the handshake). */
  readonly probe?: Probe;
  /** Why an address must not be connected to (the web checker refuses private ranges). */
  readonly refuse?: (address: string) => string | undefined;
  /** Most MX hosts checked (default 10) and addresses per host (default 4). */
  readonly maxHosts?: number;
  readonly maxAddresses?: number;
  /** Hosts checked at the same time (default 4). */
  readonly concurrency?: number;
  /** Stops the check early: unprobed addresses are reported, with a `check-timeout` finding. */
  readonly signal?: AbortSignal;
}

function checkOptions(o: CheckOptions): void {
  const int = (v: number | undefined, min: number, max: number): boolean =>
    v === undefined || (Number.isInteger(v) && v >= min && v <= max);
  if (!int(o.port, 1, 65535)) throw new CheckError('CHECK_ERR_OPTIONS', `invalid port ${String(o.port)}`);
  if (!int(o.days, 0, 3650))
    throw new CheckError('CHECK_ERR_OPTIONS', `invalid number of days ${String(o.days)}`);
  if (!int(o.timeoutMs, 1, 3_600_000)) throw new CheckError('CHECK_ERR_OPTIONS', 'invalid timeout');
}

/** Run `fn` over `items`, at most `limit` at a time, keeping the order of results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

const bare = (n: Name): string => n.toString().replace(/\.$/, '');

type MxStep = {
  hosts: { name: Name; preference: number | null }[];
  mx: CheckReport['mx'];
  findings: Finding[];
};

/** RFC 7672 §2.1.1: a failed or bogus MX lookup defers the domain. */
function mxFailure(domain: Name, mx: { status: Proof; reason: string }, resolver: RecordingResolver): MxStep {
  const d = bare(domain);
  const bogus = mx.status === 'bogus';
  const answer = resolver.bogusFor(domain)[0];
  const why = answer === undefined ? mx.reason : failureText(answer);
  const f = bogus
    ? finding(
        'dnssec-bogus',
        null,
        `DNSSEC validation failed for the MX RRset of ${d}: ${why} — every DANE client defers mail to ${d}`,
        `fix the signatures or the DS/DNSKEY of the zone (see: dane-mta resolve ${d} MX --trace)`,
      )
    : finding(
        'lookup-failed',
        null,
        `MX lookup for ${d} failed: ${why}`,
        'make every name server of the zone answer MX queries',
      );
  return { hosts: [], mx: { status: bogus ? 'bogus' : null, kind: 'failed' }, findings: [f] };
}

/** RFC 7672 §2.2.1 and RFC 5321 §5.1: the MX RRset, or the domain itself, or nothing. */
async function mxStep(domain: Name, resolver: RecordingResolver): Promise<MxStep> {
  const d = bare(domain);
  const mx = await lookupMx(domain, resolver);
  if (mx.kind === 'failed') return mxFailure(domain, mx, resolver);
  if (mx.kind === 'nxdomain') {
    const f = finding(
      'domain-nxdomain',
      null,
      `${d} does not exist (NXDOMAIN, ${mx.status}): mail to it bounces`,
      'check the spelling, or publish the domain',
    );
    return { hosts: [], mx: { status: mx.status, kind: 'nxdomain' }, findings: [f] };
  }
  if (mx.kind === 'null-mx') {
    const f = finding(
      'null-mx',
      null,
      `${d} publishes a null MX ("0 ."): it accepts no mail (RFC 7505)`,
      null,
    );
    return { hosts: [], mx: { status: mx.status, kind: 'null-mx' }, findings: [f] };
  }
  const findings: Finding[] = [];
  if (mx.implicit)
    findings.push(
      finding('no-mx', null, `${d} has no MX records: mail goes to ${d} itself (RFC 5321 §5.1)`, null),
    );
  else if (mx.status !== 'secure') {
    findings.push(
      finding(
        'mx-insecure',
        null,
        `the MX RRset of ${d} is not DNSSEC-signed (${mx.status}): DANE still applies to MX hosts with secure TLSA records, but an attacker could redirect mail to other hosts`,
        `sign the zone of ${d} and publish its DS at the parent`,
      ),
    );
  }
  const hosts = dedupe(mx.hosts).map((h) => ({
    name: h.name,
    preference: mx.implicit ? null : h.preference,
  }));
  return { hosts, mx: { status: mx.status, kind: mx.implicit ? 'implicit' : 'hosts' }, findings };
}

function dedupe(hosts: readonly MxHost[]): MxHost[] {
  const best = new Map<string, MxHost>();
  for (const h of hosts) {
    const seen = best.get(h.name.key());
    if (seen === undefined || h.preference < seen.preference) best.set(h.name.key(), h);
  }
  return [...best.values()].sort((a, b) => a.preference - b.preference);
}

/**
 * Check a mail domain: `domain` as typed (IDNA allowed, address literals refused) or a Name.
 * @throws CheckError for a domain or option that cannot be checked — never for a finding.
 */
export async function checkDomain(domain: string | Name, opts: CheckOptions): Promise<CheckReport> {
  checkOptions(opts);
  const name = typeof domain === 'string' ? parseCheckDomain(domain) : domain;
  const started = opts.clock.now();
  const resolver = new RecordingResolver(opts.resolver);
  const step = await mxStep(name, resolver);
  const ctx: HostContext = {
    domain: name,
    port: opts.port ?? 25,
    resolver,
    probe: opts.probe ?? smtpProbe,
    helo: opts.helo ?? 'dane-mta-check.invalid',
    nowMs: started,
    days: opts.days ?? 7,
    timeoutMs: opts.timeoutMs ?? 10_000,
    maxAddresses: opts.maxAddresses ?? 4,
    ...(opts.refuse === undefined ? {} : { refuse: opts.refuse }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  };
  const hosts: HostCheck[] = await mapLimit(
    step.hosts.slice(0, opts.maxHosts ?? 10),
    opts.concurrency ?? 4,
    (h) => checkHost(h, ctx),
  );
  const zones = await checkZones([name, ...hosts.flatMap((h) => h.names)], {
    resolver,
    nowMs: started,
    days: ctx.days,
    hostOf: (apex) =>
      name.isSubdomainOf(apex)
        ? null
        : (hosts.find((h) => h.names.some((x) => x.isSubdomainOf(apex)))?.report.name ?? null),
  });
  const findings = [...step.findings, ...hosts.flatMap((h) => h.findings), ...zones.findings];
  if (opts.signal?.aborted === true) {
    findings.push(
      finding(
        'check-timeout',
        null,
        'the check ran out of time; some hosts or addresses were not checked',
        'run the check again (dane-mta check has no time limit)',
      ),
    );
  }
  const sorted = sortFindings(findings);
  return {
    domain: bare(name),
    verdict: verdictOf(sorted),
    port: ctx.port,
    mx: step.mx,
    hosts: hosts.map((h) => h.report),
    zones: zones.reports,
    findings: sorted,
    checkedAt: new Date(started).toISOString(),
  };
}
