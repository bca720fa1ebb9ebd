/**
 * The check of one MX host (RFC 7672 §2.2.2–§3): its addresses and their DNSSEC status (looked
 * up before any TLSA query, as a client does), its TLSA RRset and what a client can use of it,
 * records published where no client looks, then each address over SMTP — STARTTLS offered, the
 * handshake, and the chain against the records. Every problem becomes a finding with a fix.
 * Takes the resolver, the probe and the time as arguments; never sends mail.
 */
import { classifyTlsa, formatTlsa, lookupHost } from '../dane/index.ts';
import type { Name } from '../dns/wire/index.ts';
import { finding, safeText } from './findings.ts';
import { dnsFailure, publicationFindings } from './host-findings.ts';
import type { Probe, ProbeResult } from './probe.ts';
import type { RecordingResolver } from './recorder.ts';
import { analyzeDane, summarizeChain } from './tls-analysis.ts';
import { findMisplaced, findTlsa, type TlsaFacts } from './tlsa-find.ts';
import type { AddressReport, Finding, HostReport } from './types.ts';

/** What every host check shares. */
export interface HostContext {
  readonly domain: Name;
  readonly port: number;
  readonly resolver: RecordingResolver;
  readonly probe: Probe;
  readonly helo: string;
  readonly nowMs: number;
  readonly days: number;
  /** Cap on each SMTP wait, ms. */
  readonly timeoutMs: number;
  /** Why an address must not be connected to, or undefined when it may be. */
  readonly refuse?: (address: string) => string | undefined;
  /** Most addresses probed per host. */
  readonly maxAddresses: number;
  readonly signal?: AbortSignal;
}

/** The result of one host's check. */
export interface HostCheck {
  readonly report: HostReport;
  readonly findings: Finding[];
  /** Names whose zones the check should describe (host, TLSA owner). */
  readonly names: Name[];
}

const bare = (n: Name): string => n.toString().replace(/\.$/, '');

function emptyReport(name: Name, preference: number | null): HostReport {
  return {
    name: bare(name),
    preference,
    dnssec: null,
    secure: false,
    canonical: null,
    addresses: [],
    tlsa: null,
  };
}

interface ProbeContext {
  host: string;
  hostName: Name;
  tlsa: TlsaFacts;
  servername: string;
}

/** The session's problem before any chain could be judged, or undefined when TLS is up. */
function sessionFinding(r: ProbeResult, p: ProbeContext, where: string): Finding | undefined {
  const dane = p.tlsa.kind === 'records' && p.tlsa.secure !== undefined;
  if (r.error?.stage === 'connect' || r.error?.stage === 'session') {
    const fix = 'make sure the mail server accepts connections on this address and port';
    return finding('smtp-unreachable', p.host, `${where}: ${r.error.message}`, fix);
  }
  if (r.starttls === false) {
    return dane
      ? finding(
          'starttls-missing',
          p.host,
          `${where} does not offer STARTTLS, but ${p.hostName.toString()} publishes TLSA records: DANE clients defer all mail to it`,
          'enable STARTTLS on the server (with the certificate the TLSA records name)',
        )
      : finding(
          'plaintext-only',
          p.host,
          `${where} does not offer STARTTLS: mail to it travels in plaintext`,
          'enable STARTTLS on the server',
        );
  }
  if (r.tls !== undefined) return undefined;
  const why = r.error?.message ?? 'no TLS session';
  const fix = "fix the server's TLS configuration (certificate, key, protocols)";
  return dane
    ? finding('handshake-failed', p.host, `${where}: ${why} — DANE clients defer mail to this host`, fix)
    : finding('tls-failed', p.host, `${where}: ${why}`, fix);
}

/** An address that is not connected to: a refused range, or no time left. */
function notProbed(ctx: HostContext, p: ProbeContext, address: string): AddressProbe | undefined {
  const none = { address, probed: false, starttls: null, tls: null, chain: [], dane: null };
  const refused = ctx.refuse?.(address);
  if (refused !== undefined) {
    const f = finding(
      'address-refused',
      p.host,
      `${p.host} has the ${refused} address ${address}; this checker does not connect there`,
      'publish the public address of the mail server, or run dane-mta check on your own machine',
    );
    return { report: { ...none, error: `not connected: ${refused} address` }, findings: [f] };
  }
  if (ctx.signal?.aborted === true)
    return { report: { ...none, error: 'not connected: out of time' }, findings: [] };
  return undefined;
}

interface AddressProbe {
  report: AddressReport;
  findings: Finding[];
  chain?: readonly Uint8Array[];
}

/** Probe one address and judge what it presents. */
async function probeAddress(ctx: HostContext, p: ProbeContext, address: string): Promise<AddressProbe> {
  const skipped = notProbed(ctx, p, address);
  if (skipped !== undefined) return skipped;
  const signal = ctx.signal === undefined ? {} : { signal: ctx.signal };
  const target = {
    address,
    port: ctx.port,
    servername: p.servername,
    helo: ctx.helo,
    timeoutMs: ctx.timeoutMs,
  };
  const r = await ctx.probe({ ...target, ...signal });
  const report: AddressReport = {
    address,
    probed: true,
    starttls: r.starttls,
    tls: r.tls === undefined ? null : `${r.tls.protocol} ${r.tls.cipher}`,
    chain: r.tls === undefined ? [] : summarizeChain(r.tls.chain),
    dane: null,
    error: r.error === undefined ? null : safeText(r.error.message),
  };
  const problem = sessionFinding(r, p, `[${address}]:${ctx.port}`);
  if (problem !== undefined || r.tls === undefined)
    return { report, findings: problem === undefined ? [] : [problem] };
  if (p.tlsa.kind !== 'records' || p.tlsa.secure === undefined)
    return { report, findings: [], chain: r.tls.chain };
  const analysis = analyzeDane({
    host: p.host,
    owner: p.tlsa.owner.toString(),
    tlsa: p.tlsa.secure,
    chain: r.tls.chain,
    referenceNames: [...new Set([bare(p.tlsa.base), p.host])],
    address,
    nowMs: ctx.nowMs,
    days: ctx.days,
  });
  return { report: { ...report, dane: analysis.dane }, findings: analysis.findings, chain: r.tls.chain };
}

function tlsaReport(t: TlsaFacts): HostReport['tlsa'] {
  if (t.kind === 'failed') {
    const status = t.answer?.status ?? 'indeterminate';
    return { owner: t.owner.toString(), status, records: [], usable: [], failed: true };
  }
  if (t.kind !== 'records') return null;
  const usable = t.secure !== undefined ? classifyTlsa(t.records).usable : [];
  return {
    owner: t.owner.toString(),
    status: t.status,
    records: t.records.map(formatTlsa),
    usable: usable.map(formatTlsa),
    failed: false,
  };
}

/** Check one MX host: DNS, TLSA, then every address over SMTP. */
export async function checkHost(
  mx: { name: Name; preference: number | null },
  ctx: HostContext,
): Promise<HostCheck> {
  const host = bare(mx.name);
  const hl = await lookupHost(mx.name, ctx.resolver);
  if (hl.kind === 'failed') {
    const f =
      hl.noAddress === true
        ? finding(
            'host-no-address',
            host,
            `${host} has no A or AAAA record: no one can deliver mail to it`,
            `publish its address, or remove ${host} from the MX RRset`,
          )
        : dnsFailure(ctx.resolver, host, { name: mx.name, reason: hl.reason, bogus: hl.status === 'bogus' });
    return { report: emptyReport(mx.name, mx.preference), findings: [f], names: [mx.name] };
  }
  const tlsa = await findTlsa(hl, ctx.port, ctx.resolver);
  const misplaced =
    tlsa.kind === 'none' && hl.secure
      ? await findMisplaced(mx.name, { domain: ctx.domain, port: ctx.port, resolver: ctx.resolver })
      : [];
  const servername = tlsa.kind === 'records' && tlsa.secure !== undefined ? bare(tlsa.base) : host;
  const results = [];
  for (const address of hl.addresses.slice(0, ctx.maxAddresses)) {
    results.push(await probeAddress(ctx, { host, hostName: mx.name, tlsa, servername }, address));
  }
  const chain = results.find((r) => r.chain !== undefined)?.chain;
  const findings = await publicationFindings({ host, lookup: hl, tlsa, misplaced, chain }, ctx);
  findings.push(...results.flatMap((r) => r.findings));
  const report: HostReport = {
    name: host,
    preference: mx.preference,
    dnssec: hl.status,
    secure: hl.secure,
    canonical: hl.expanded === undefined ? null : bare(hl.expanded),
    addresses: results.map((r) => r.report),
    tlsa: tlsaReport(tlsa),
  };
  const names = [mx.name, ...(tlsa.kind === 'none' ? [] : [tlsa.owner]), ...misplaced.map((m) => m.owner)];
  return { report, findings, names };
}
