/**
 * The DNS side of DANE for SMTP (RFC 7672 §2.1–2.2.3): the MX RRset and its security, the
 * address records of each MX host *before* any TLSA query, whether the host is "secure", the
 * TLSA base domain (CNAME-expanded name first, then the original name) and the TLSA RRset.
 * Each result keeps "proven no records" apart from "lookup failed". Talks to the validating
 * resolver through its `lookup` method only; decides nothing about delivery (that is policy's).
 */
import { InsecureKind, requireProof, type Proof } from '../dns/dnssec/index.ts';
import type { Answer } from '../dns/resolver/index.ts';
import { isType, Name, RRType, type MxRdata, type Rr, type TlsaRdata } from '../dns/wire/index.ts';
import { SecureTlsa } from './secure-tlsa.ts';
import type { TlsaRecord } from './types.ts';

/** What dane needs from the resolver. */
export interface DaneResolver {
  lookup(name: Name, type: number): Promise<Answer>;
}

export interface MxHost {
  name: Name;
  preference: number;
}

export type MxLookup =
  | { kind: 'hosts'; hosts: MxHost[]; implicit: boolean; status: Proof; reason?: string }
  | { kind: 'null-mx'; status: Proof }
  | { kind: 'nxdomain'; status: Proof }
  | { kind: 'failed'; status: Proof; reason: string };

/**
 * RFC 5321 §5.1 and RFC 7505. NXDOMAIN → the domain does not exist; no MX RRset (NODATA) →
 * the domain itself is the only host ("implicit MX"); a null MX (`0 .`) → the domain accepts no
 * mail. The status is that of the MX RRset, including any CNAME leading to it (RFC 7672 §2.2.1).
 */
export async function lookupMx(domain: Name, resolver: DaneResolver): Promise<MxLookup> {
  const a = await resolver.lookup(domain, RRType.MX);
  if (a.kind === 'failed' || isFailure(a)) {
    const why = a.insecureKind === undefined ? a.reason : `${failedWhy(a)}: ${a.reason ?? ''}`;
    return { kind: 'failed', status: a.status, reason: why ?? `MX lookup ${failedWhy(a)}` };
  }
  switch (a.kind) {
    case 'nxdomain':
      return { kind: 'nxdomain', status: a.status };
    case 'nodata':
      // RFC 7672 §2.2.2 (non-MX destination): the domain itself is the host. When it is an alias,
      // lookupHost follows the CNAME chain, so the TLSA base domain can be the expanded name
      // (secure chain) and then the domain as written — never only the expanded name.
      return { kind: 'hosts', hosts: [{ name: domain, preference: 0 }], implicit: true, status: a.status };
    case 'answer': {
      // Any proof but bogus: an insecure MX RRset is for the insecure-MX policy to judge
      // (RFC 7672 §2.2.1), and its status travels with the hosts.
      const rrs = requireProof(a.rrset, 'indeterminate');
      const mx = rrs.filter((rr): rr is Rr<MxRdata> => isType(rr, RRType.MX));
      // RFC 7505 §3: a null MX is the single record `0 .`; a "." target among others is ignored.
      const real = mx.filter((rr) => !rr.data.exchange.isRoot);
      if (real.length === 0) return { kind: 'null-mx', status: a.status };
      const hosts = real.map((rr) => ({ name: rr.data.exchange, preference: rr.data.preference }));
      return { kind: 'hosts', hosts, implicit: false, status: a.status };
    }
  }
}

/** One address of an MX host, with the status of the RRset it came from. */
export interface HostAddress {
  address: string;
  status: Proof;
}

export type HostLookup =
  | {
      kind: 'ok';
      name: Name;
      addresses: string[];
      /** The same addresses, each with the status of its own A or AAAA RRset. */
      addressStatus: HostAddress[];
      /** RFC 7672 §2.2.2: the host is "secure" — DANE may apply and TLSA may be looked up. */
      secure: boolean;
      /** Weakest status of the RRsets the addresses came from (a denial of the other family is no address). */
      status: Proof;
      /** The CNAME-expanded name, when the host name is an alias. */
      expanded?: Name;
      /** True when every alias link and the final answers are secure (RFC 7672 §2.2.2). */
      chainSecure: boolean;
      /** Lookups that failed for one address family while the other succeeded. */
      warnings: string[];
    }
  | { kind: 'failed'; name: Name; reason: string; status: Proof; noAddress?: true };

const RANK: Record<Proof, number> = { secure: 0, insecure: 1, indeterminate: 2, bogus: 3 };

function weakest(proofs: Proof[]): Proof {
  return proofs.reduce<Proof>((w, p) => (RANK[p] > RANK[w] ? p : w), 'secure');
}

/**
 * RFC 7672 §2.1.1: bogus answers are DNS lookup failures, whatever kind of answer carries them.
 * The resolver reports them as kind `failed`; this guard keeps a non-conforming resolver (or a
 * future change) from turning a bogus answer into "no records" or usable data.
 * So is an answer that is insecure only because NSEC3 iterations above the RFC 9276 limit went
 * unchecked, in the zone or in the chain of trust above it: such a denial proves nothing, and an
 * on-path attacker can replay one for any name of the zone — as NODATA for an existing TLSA
 * RRset (plaintext), as a "no DS" for the domain (an unsigned MX of his choice) or as NXDOMAIN
 * for the MX (a bounce). The DANE decision must not rest on it: the lookup failed (defer).
 */
function isFailure(a: Answer): boolean {
  return a.kind === 'failed' || a.status === 'bogus' || a.insecureKind === InsecureKind.NSEC3_ITERATIONS;
}

function failedWhy(a: Answer): string {
  if (a.kind === 'failed') return 'failed';
  if (a.insecureKind === InsecureKind.NSEC3_ITERATIONS)
    return 'is insecure only because of its NSEC3 iterations (RFC 9276): unproven';
  return `answer is ${a.status}`;
}

/**
 * A/AAAA for an MX host, before any TLSA query. RFC 7672 §2.2.2: the host is secure when its
 * address records are secure, or result from a CNAME chain whose first link is secure. Each
 * address is judged by the RRset it came from: a secure A RRset makes the host secure whatever
 * the AAAA denial says (an insecure NODATA for AAAA holds no address and proves nothing about
 * the A records), as Postfix does. A bogus answer for either family skips the host; a failure
 * of one family alone (SERVFAIL, timeout) leaves the other family's addresses usable.
 */
export async function lookupHost(host: Name, resolver: DaneResolver): Promise<HostLookup> {
  const answers = await Promise.all([resolver.lookup(host, RRType.A), resolver.lookup(host, RRType.AAAA)]);
  const good = answers.filter((a) => !isFailure(a));
  const bad = answers.filter(isFailure);
  const bogus = bad.find((a) => a.status === 'bogus');
  if (bogus !== undefined || good.length === 0) {
    const first = bogus ?? bad[0];
    return {
      kind: 'failed',
      name: host,
      reason: first?.reason ?? 'address lookup failed',
      status: first?.status ?? 'indeterminate',
    };
  }
  // The answers that hold addresses; a denial of the other family holds none and is not judged.
  const families = good
    .map((answer) => ({ answer, addresses: addressesOf(answer) }))
    .filter((f) => f.addresses.length > 0);
  const addressStatus = families.flatMap((f) =>
    f.addresses.map((address) => ({ address, status: f.answer.status })),
  );
  const addresses = addressStatus.map((x) => x.address);
  if (addresses.length === 0) {
    const kinds = good.map((a) => a.kind).join('/');
    return {
      kind: 'failed',
      name: host,
      reason: `no A or AAAA records for ${host.toString()} (${kinds})`,
      status: weakest(good.map((a) => a.status)),
      // Proven absence of both address RRsets (not a lookup failure): the host is unusable.
      ...(bad.length === 0 ? { noAddress: true as const } : {}),
    };
  }
  const used = families.map((f) => f.answer);
  const status = weakest(used.map((a) => a.status));
  const aliased = used.find((a) => a.aliases.length > 0);
  const firstLinkSecure = aliased !== undefined && aliased.aliases[0]?.status === 'secure';
  const chainSecure = status === 'secure' && used.every((a) => a.aliases.every((l) => l.status === 'secure'));
  return {
    kind: 'ok',
    name: host,
    addresses,
    addressStatus,
    secure: used.some((a) => a.status === 'secure') || firstLinkSecure,
    status,
    ...(aliased === undefined ? {} : { expanded: aliased.canonicalName }),
    chainSecure,
    warnings: bad.map(
      (a) =>
        `${a.type === RRType.A ? 'A' : 'AAAA'} lookup for ${host.toString()} failed: ${a.reason ?? 'unknown'}`,
    ),
  };
}

/** The A/AAAA addresses of an answer (any proof but bogus: each is judged by its RRset's status). */
function addressesOf(a: Answer): string[] {
  if (a.kind !== 'answer') return [];
  return requireProof(a.rrset, 'indeterminate')
    .filter((rr) => rr.type === RRType.A || rr.type === RRType.AAAA)
    .map((rr) => (rr.data as { address: string }).address);
}

export type TlsaLookup =
  | { kind: 'records'; base: Name; owner: Name; tlsa: SecureTlsa }
  | { kind: 'none'; reason: string }
  | { kind: 'failed'; reason: string; owner: Name };

/** `_<port>._tcp.<base>` (RFC 6698 §3). */
export function tlsaName(base: Name, port: number): Name {
  return base.prepend('_tcp').prepend(`_${port}`);
}

/**
 * RFC 7672 §2.2.3: with a secure CNAME chain end to end, TLSA records are looked for first at
 * the fully expanded name and, when that is a secure "no records", at the original name; else
 * only at the original name. The name whose records are used is the TLSA base domain. Lookup
 * failure → the host is skipped; an insecure TLSA answer counts as no records. Never called for a
 * host that is not secure (no TLSA query at all — broken name servers SERVFAIL on TLSA).
 */
export async function lookupTlsa(
  host: HostLookup & { kind: 'ok' },
  port: number,
  resolver: DaneResolver,
): Promise<TlsaLookup> {
  if (!host.secure) return { kind: 'none', reason: `insecure name ${host.name.toString()}` };
  const bases = host.expanded !== undefined && host.chainSecure ? [host.expanded, host.name] : [host.name];
  let why = '';
  for (const base of bases) {
    // RFC 1035 §2.3.4: a name has at most 255 octets. Under a base this long no TLSA RRset can
    // exist at all, so it provably has no records (and building the name would throw).
    const prefix = `_${port}`.length + 1 + '_tcp'.length + 1;
    if (base.wireLength + prefix > 255) {
      why = `no TLSA records can exist under ${base.toString()} (owner name over 255 octets)`;
      continue;
    }
    const owner = tlsaName(base, port);
    const a = await resolver.lookup(owner, RRType.TLSA);
    // The host is secure, so its TLSA RRset can only be secure or (below an unsigned delegation)
    // insecure; a bogus or indeterminate answer, whatever its kind, is a lookup failure — never
    // "no records", which would let an attacker strip DANE (RFC 7672 §2.1.1, §2.2).
    if (isFailure(a) || a.status === 'indeterminate') {
      const why = a.insecureKind === undefined ? a.reason : `${failedWhy(a)}: ${a.reason ?? ''}`;
      return { kind: 'failed', owner, reason: why ?? `TLSA lookup for ${owner.toString()} ${failedWhy(a)}` };
    }
    if (a.status !== 'secure') {
      why = `TLSA records at ${owner.toString()} are ${a.status}`;
      continue;
    }
    if (a.kind === 'answer') {
      const tlsa = SecureTlsa.fromProven(a.rrset.map(tlsaRecords));
      if (tlsa.size > 0) return { kind: 'records', base, owner, tlsa };
    }
    why = `no TLSA records at ${owner.toString()}`;
  }
  return { kind: 'none', reason: why };
}

/** The TLSA rdata of an answer's records (anything else in the RRset is ignored). */
export function tlsaRecords(rrs: readonly Rr[]): TlsaRecord[] {
  return rrs
    .filter((rr): rr is Rr<TlsaRdata> => isType(rr, RRType.TLSA))
    .map((rr) => ({
      usage: rr.data.usage,
      selector: rr.data.selector,
      matchingType: rr.data.matchingType,
      data: rr.data.data,
    }));
}
