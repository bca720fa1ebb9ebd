/**
 * The lab's DNSSEC zone signer (RFC 4035 §2): adds the apex DNSKEY RRset, builds the NSEC or
 * NSEC3 chain, signs every authoritative RRset with the ZSK and the DNSKEY RRset with the KSK,
 * leaves the NS RRset of a delegation and its glue unsigned, and computes the KSK's DS for the
 * parent. Also formats a signed zone as zone-file text (for BIND/ldns verifiers) and builds the
 * delegation records a parent needs. Time is passed in; must never read the clock.
 */
import { makeDs } from '../../dns/dnssec/index.ts';
import { compareBytes } from '../../util/index.ts';
import {
  compareNames,
  formatRr,
  isType,
  makeRr,
  Name,
  RRType,
  type DsRdata,
  type Rr,
  type RrsigRdata,
} from '../../dns/wire/index.ts';
import { buildNsec3Chain, buildNsecChain, type Nsec3Params } from './denial-chain.ts';
import { LabDnsError } from './lab-dns-error.ts';
import { ZoneIndex } from './zone-index.ts';
import {
  checkZoneAlgorithm,
  generateZoneKey,
  signRrset,
  type SignWindow,
  type ZoneAlgorithm,
  type ZoneKey,
} from './zone-keys.ts';

export type { Nsec3Params } from './denial-chain.ts';

/** Unsigned zone contents: the apex and its records (names outside the apex are refused). */
export interface ZoneData {
  readonly origin: Name;
  readonly records: readonly Rr[];
}

/** The KSK (signs the DNSKEY RRset) and ZSK (signs the rest); the same key twice is a CSK. */
export interface ZoneKeys {
  readonly ksk: ZoneKey;
  readonly zsk: ZoneKey;
}

/** How non-existence is proven: NSEC, or NSEC3 with its parameters. */
export type DenialMode = 'nsec' | { readonly nsec3: Nsec3Params };

/** Options of `signZone`. */
export interface SignZoneOptions {
  algorithm: ZoneAlgorithm;
  /** Keys to use (e.g. shared between tests); generated when absent. */
  keys?: ZoneKeys;
  denial: DenialMode;
  /** RRSIG inception and expiration, seconds since the epoch. */
  inception: number;
  expiration: number;
  /** TTL of the DNSKEY RRset (default: the SOA's TTL). */
  dnskeyTtl?: number;
}

/** A signed zone: all records (data, glue, DNSKEY, RRSIG, NSEC/NSEC3), keys and the parent's DS. */
export interface SignedZone extends ZoneData {
  readonly keys: ZoneKeys;
  /** SHA-256 DS of the KSK (RFC 4509), for the parent zone or a trust anchor. */
  readonly ds: readonly DsRdata[];
  /** The options the zone was signed with (keys resolved), for re-signing. */
  readonly options: Readonly<SignZoneOptions> & { readonly keys: ZoneKeys };
  /** The unsigned input (normalized), so breakage helpers can re-sign a modified copy. */
  readonly source: readonly Rr[];
}

const DNSSEC_TYPES: ReadonlySet<number> = new Set([
  RRType.RRSIG,
  RRType.NSEC,
  RRType.NSEC3,
  RRType.NSEC3PARAM,
]);

function argument(message: string): LabDnsError {
  return new LabDnsError('LAB_ERR_DNS_ARGUMENT', message);
}

/** Sort records canonically: owner (RFC 4034 §6.1), type, then rdata octets. */
export function sortRecords(records: readonly Rr[]): Rr[] {
  return [...records].sort(
    (a, b) => compareNames(a.name, b.name) || a.type - b.type || compareBytes(a.rdata, b.rdata),
  );
}

/**
 * Drop the DNSSEC records of a previous signing, duplicates, and give every RRset one TTL
 * (RFC 2181 §5.2: "the TTLs of all RRs in an RRSet must be the same"; the smallest is kept).
 */
function normalize(zone: ZoneData, keepDnssec = false): Rr[] {
  const sets = new Map<string, Rr[]>();
  for (const rr of zone.records) {
    if (!rr.name.isSubdomainOf(zone.origin)) {
      throw argument(`${rr.name.toString()} is outside the zone ${zone.origin.toString()}`);
    }
    if (!keepDnssec && DNSSEC_TYPES.has(rr.type)) continue;
    const key = `${rr.name.key()}|${rr.type}|${rr.class}`;
    const set = sets.get(key) ?? [];
    if (!set.some((x) => compareBytes(x.rdata, rr.rdata) === 0)) set.push(rr);
    sets.set(key, set);
  }
  const out: Rr[] = [];
  for (const set of sets.values()) {
    const ttl = Math.min(...set.map((r) => r.ttl));
    for (const rr of set) out.push(rr.ttl === ttl ? rr : { ...rr, ttl });
  }
  return out;
}

/** RFC 4035 §2.3 / RFC 9077 §3.3: the NSEC/NSEC3 TTL is min(SOA TTL, SOA MINIMUM). */
function negativeTtl(index: ZoneIndex): number {
  const soa = index.soa();
  if (soa === undefined) throw argument(`zone ${index.origin.toString()} has no SOA record at its apex`);
  return Math.min(soa.ttl, soa.data.minimum);
}

function resolveKeys(opts: SignZoneOptions): ZoneKeys {
  checkZoneAlgorithm(opts.algorithm);
  const keys = opts.keys ?? {
    ksk: generateZoneKey(opts.algorithm, { ksk: true }),
    zsk: generateZoneKey(opts.algorithm, { ksk: false }),
  };
  if (keys.ksk.dnskey.algorithm !== opts.algorithm || keys.zsk.dnskey.algorithm !== opts.algorithm) {
    throw argument(`the zone keys are not of algorithm ${opts.algorithm}`);
  }
  return keys;
}

function checkOptions(opts: SignZoneOptions): void {
  if (
    !Number.isInteger(opts.inception) ||
    !Number.isInteger(opts.expiration) ||
    opts.inception >= opts.expiration
  ) {
    throw argument(
      `bad signature window ${opts.inception}..${opts.expiration} (whole seconds, inception first)`,
    );
  }
  if (opts.denial !== 'nsec') {
    const p = opts.denial.nsec3;
    if (!Number.isInteger(p.iterations) || p.iterations < 0 || p.iterations > 0xffff || p.salt.length > 255) {
      throw argument('bad NSEC3 parameters (iterations 0-65535, salt up to 255 octets)');
    }
  }
}

/** The DNSKEY RRset and (for NSEC3) the NSEC3PARAM record added at the apex. */
function apexAdditions(zone: ZoneData, keys: ZoneKeys, opts: SignZoneOptions, soaTtl: number): Rr[] {
  const ttl = opts.dnskeyTtl ?? soaTtl;
  const keySet = keys.ksk === keys.zsk ? [keys.ksk] : [keys.ksk, keys.zsk];
  const out: Rr[] = keySet.map((k) =>
    makeRr({ name: zone.origin, type: RRType.DNSKEY, ttl, data: k.dnskey }),
  );
  if (opts.denial !== 'nsec') {
    const p = opts.denial.nsec3;
    // RFC 5155 §4.1.2: in NSEC3PARAM "The Opt-Out flag is not used and is set to zero."
    const data = { hashAlgorithm: 1, flags: 0, iterations: p.iterations, salt: p.salt };
    out.push(makeRr({ name: zone.origin, type: RRType.NSEC3PARAM, ttl: 0, data }));
  }
  return out;
}

/**
 * Which RRsets of a node get signatures. RFC 4035 §2.2: "The NS RRset that appears at the
 * zone apex name MUST be signed, but the NS RRset that appears at a delegation point ... MUST
 * NOT be signed. Glue address RRsets associated with delegations MUST NOT be signed." At a
 * delegation point only DS (and NSEC) are authoritative; occluded names get nothing.
 */
function signedTypes(index: ZoneIndex, name: Name, types: Iterable<number>): number[] {
  const role = index.role(name);
  if (role === 'apex' || role === 'authoritative') return [...types];
  if (role === 'delegation') return [...types].filter((t) => t === RRType.DS || t === RRType.NSEC);
  return [];
}

function signAll(
  index: ZoneIndex,
  extra: readonly Rr[],
  keys: ZoneKeys,
  window: SignWindow,
): Rr<RrsigRdata>[] {
  const sigs: Rr<RrsigRdata>[] = [];
  for (const node of index.nodes()) {
    for (const type of signedTypes(index, node.name, node.rrsets.keys())) {
      const rrset = node.rrsets.get(type) as Rr[];
      sigs.push(signRrset(rrset, type === RRType.DNSKEY ? keys.ksk : keys.zsk, window));
    }
  }
  for (const rr of extra) sigs.push(signRrset([rr], keys.zsk, window));
  return sigs;
}

/**
 * Sign a zone. The input may be unsigned or a previously signed zone (its RRSIG, NSEC, NSEC3
 * and NSEC3PARAM records are dropped and rebuilt; DNSKEYs in the input stay published). Throws
 * LAB_ERR_DNS_ARGUMENT for a zone without an apex SOA, records outside the zone, a bad window.
 */
export function signZone(zone: ZoneData, opts: SignZoneOptions): SignedZone {
  checkOptions(opts);
  const keys = resolveKeys(opts);
  const source = normalize(zone);
  const plain = new ZoneIndex(zone.origin, source);
  const negTtl = negativeTtl(plain);
  const soaTtl = (plain.soa() as Rr).ttl;
  const additions = apexAdditions(zone, keys, opts, soaTtl);
  const data = normalize({ origin: zone.origin, records: [...source, ...additions] }, true);
  const index = new ZoneIndex(zone.origin, data);
  const window: SignWindow = { signer: zone.origin, inception: opts.inception, expiration: opts.expiration };
  let chain: Rr[];
  let sigs: Rr<RrsigRdata>[];
  if (opts.denial === 'nsec') {
    const nsec = buildNsecChain(index, negTtl);
    const withNsec = new ZoneIndex(zone.origin, [...data, ...nsec]);
    chain = nsec;
    sigs = signAll(withNsec, [], keys, window);
  } else {
    chain = buildNsec3Chain(index, opts.denial.nsec3, negTtl);
    sigs = signAll(index, chain, keys, window);
  }
  const ds = makeDs(zone.origin, keys.ksk.dnskey, 2) as DsRdata;
  return {
    origin: zone.origin,
    records: sortRecords([...data, ...chain, ...sigs]),
    keys,
    ds: [ds],
    options: { ...opts, keys },
    source,
  };
}

/** The DS records of a signed zone, owned by its apex, for the parent zone's data. */
export function dsRecords(zone: Pick<SignedZone, 'origin' | 'ds'>, ttl = 3600): Rr<DsRdata>[] {
  return zone.ds.map((data) => makeRr({ name: zone.origin, type: RRType.DS, ttl, data }));
}

/** A name server of a delegation and its addresses (glue when inside the parent zone). */
export interface NameServer {
  readonly name: Name | string;
  readonly addresses?: readonly string[];
}

/**
 * The records a parent zone needs to delegate `child` (RFC 1034 §4.2.2, RFC 4035 §2.4): the NS
 * RRset, glue A/AAAA for name servers given with addresses, and the child's DS (omit `ds`, or
 * pass an unsigned child, for an insecure delegation).
 */
export function delegationRecords(
  child: { readonly origin: Name; readonly ds?: readonly DsRdata[] },
  opts: { nameServers: readonly NameServer[]; ttl?: number; ds?: readonly DsRdata[] },
): Rr[] {
  const ttl = opts.ttl ?? 3600;
  const out: Rr[] = [];
  for (const ns of opts.nameServers) {
    const target = typeof ns.name === 'string' ? Name.parse(ns.name, child.origin) : ns.name;
    out.push(makeRr({ name: child.origin, type: RRType.NS, ttl, data: { target } }));
    for (const address of ns.addresses ?? []) {
      const v6 = address.includes(':');
      out.push(makeRr({ name: target, type: v6 ? RRType.AAAA : RRType.A, ttl, data: { address } }));
    }
  }
  for (const data of opts.ds ?? child.ds ?? [])
    out.push(makeRr({ name: child.origin, type: RRType.DS, ttl, data }));
  return out;
}

/** Zone-file text of a zone, one absolute record per line (readable by BIND, ldns and parseZone). */
export function formatZone(zone: ZoneData): string {
  const lines = sortRecords(zone.records).map(formatRr);
  return `; zone ${zone.origin.toString()}\n${lines.join('\n')}\n`;
}

/** The RRSIGs of a zone over the RRset of `type` at `name`. */
export function signaturesOf(zone: ZoneData, rrset: { name: Name; type: number }): Rr<RrsigRdata>[] {
  return zone.records.filter(
    (r): r is Rr<RrsigRdata> =>
      isType(r, RRType.RRSIG) && r.data.typeCovered === rrset.type && r.name.equals(rrset.name),
  );
}
