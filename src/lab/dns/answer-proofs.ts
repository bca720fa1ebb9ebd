/**
 * The response under construction and the DNSSEC material an authoritative answer carries
 * (RFC 4035 §3.1): RRSIGs beside every signed RRset when DO is set, the SOA of negative answers
 * (RFC 2308 §3), and the NSEC (RFC 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2) records that prove
 * NODATA, NXDOMAIN, wildcard answers and the absence of DS at a delegation. Pure; no I/O.
 */
import { toHex } from '../../util/index.ts';
import { Name, RRType, type Rr } from '../../dns/wire/index.ts';
import type { Nsec3Entry, ZoneIndex } from './zone-index.ts';

/** Sections of a response. */
export type Section = 'answer' | 'authority' | 'additional';

/** A response being built: sections without duplicates, RCODE and AA. */
export class ResponseBuilder {
  /** DO was set in the query: DNSSEC records go into the response (RFC 3225 §3). */
  readonly dnssec: boolean;
  readonly sections: Record<Section, Rr[]> = { answer: [], authority: [], additional: [] };
  rcode = 0;
  aa = false;
  readonly #seen = new Set<string>();

  constructor(dnssec: boolean) {
    this.dnssec = dnssec;
  }

  /** Add records (and, when DO is set, their signatures) to a section, skipping duplicates. */
  add(section: Section, records: readonly Rr[], sigs: readonly Rr[] = []): void {
    for (const rr of this.dnssec ? [...records, ...sigs] : records) {
      const key = `${section}|${rr.name.key()}|${rr.type}|${toHex(rr.rdata)}`;
      if (this.#seen.has(key)) continue;
      this.#seen.add(key);
      this.sections[section].push(rr);
    }
  }

  /** Add DNSSEC-only records (NSEC, NSEC3 and their RRSIGs): nothing when DO is clear. */
  addDnssec(section: Section, records: readonly Rr[]): void {
    if (this.dnssec) this.add(section, records);
  }
}

/** An RRset of a zone with its signatures. */
export function withSigs(zone: ZoneIndex, name: Name, type: number): { rrs: Rr[]; sigs: Rr[] } {
  return { rrs: zone.rrset(name, type) ?? [], sigs: zone.sigs(name, type) };
}

/** RFC 2308 §3: the SOA (and its RRSIG) in the authority section of a negative answer. */
export function addSoa(b: ResponseBuilder, zone: ZoneIndex): void {
  const { rrs, sigs } = withSigs(zone, zone.origin, RRType.SOA);
  b.add('authority', rrs, sigs);
}

function addNsecAt(b: ResponseBuilder, zone: ZoneIndex, owner: Name | undefined): void {
  if (owner === undefined) return;
  b.addDnssec('authority', [...(zone.rrset(owner, RRType.NSEC) ?? []), ...zone.sigs(owner, RRType.NSEC)]);
}

/** The NSEC that covers `name` (its canonical predecessor in the chain). */
function addNsecCovering(b: ResponseBuilder, zone: ZoneIndex, name: Name): void {
  addNsecAt(b, zone, zone.nsecBefore(name)?.name);
}

function addNsec3(b: ResponseBuilder, entry: Nsec3Entry | undefined): void {
  if (entry !== undefined) b.addDnssec('authority', [entry.rr, ...entry.sigs]);
}

/** The closest provable encloser of `name` (RFC 5155 §7.2.1) and the next closer name. */
interface Nsec3Encloser {
  encloser: Name;
  nextCloser: Name | undefined;
}

/**
 * RFC 5155 §7.2.1: "the closest provable encloser" is the deepest ancestor of `name` (from
 * `start`, itself when `includeSelf`) with a matching NSEC3 — under Opt-Out an insecure
 * delegation or an empty non-terminal above one has none.
 */
function provableEncloser(zone: ZoneIndex, name: Name, includeSelf: boolean): Nsec3Encloser {
  for (
    let n: Name | undefined = includeSelf ? name : name.parent();
    n?.isSubdomainOf(zone.origin) === true;
    n = n.parent()
  ) {
    if (n.equals(zone.origin) || zone.nsec3Matching(n) !== undefined) {
      return { encloser: n, nextCloser: n.equals(name) ? undefined : name.suffix(n.labelCount + 1) };
    }
  }
  return {
    encloser: zone.origin,
    nextCloser: name.equals(zone.origin) ? undefined : name.suffix(zone.origin.labelCount + 1),
  };
}

/**
 * RFC 5155 §7.2.1 closest encloser proof: the NSEC3 matching the closest provable encloser and
 * the NSEC3 covering the next closer name. Returns the encloser.
 */
function addClosestEncloserProof(b: ResponseBuilder, zone: ZoneIndex, name: Name): Name {
  const ce = provableEncloser(zone, name, false);
  addNsec3(b, zone.nsec3Matching(ce.encloser));
  if (ce.nextCloser !== undefined) addNsec3(b, zone.nsec3Covering(ce.nextCloser));
  return ce.encloser;
}

/**
 * NODATA at an existing name or empty non-terminal. RFC 4035 §3.1.3.1: "the name server MUST
 * include the NSEC RR that proves that there is no RRset matching QTYPE"; for an empty
 * non-terminal the NSEC that covers it. RFC 5155 §7.2.3/§7.2.4: the NSEC3 matching QNAME, or —
 * for DS under Opt-Out, where none matches — the closest provable encloser proof.
 */
export function addNodataProof(b: ResponseBuilder, zone: ZoneIndex, name: Name): void {
  addSoa(b, zone);
  if (zone.hasNsec3) {
    const match = zone.nsec3Matching(name);
    if (match !== undefined) addNsec3(b, match);
    else addClosestEncloserProof(b, zone, name);
    return;
  }
  if (zone.nsecAt(name) !== undefined) addNsecAt(b, zone, name);
  else addNsecCovering(b, zone, name);
}

/**
 * NXDOMAIN. RFC 4035 §3.1.3.2: an NSEC proving the name does not exist and one proving the
 * wildcard at the closest encloser does not exist. RFC 5155 §7.2.2: the closest encloser proof
 * plus the NSEC3 covering the wildcard at the closest encloser.
 */
export function addNxdomainProof(b: ResponseBuilder, zone: ZoneIndex, name: Name, ce: Name): void {
  addSoa(b, zone);
  if (zone.hasNsec3) {
    const encloser = addClosestEncloserProof(b, zone, name);
    addNsec3(b, zone.nsec3Covering(encloser.prepend('*')));
    return;
  }
  addNsecCovering(b, zone, name);
  addNsecCovering(b, zone, ce.prepend('*'));
}

/**
 * A wildcard answer. RFC 4035 §3.1.3.3: "the NSEC RR that proves there is no closer match";
 * RFC 5155 §7.2.6: the NSEC3 covering the next closer name.
 */
export function addWildcardAnswerProof(b: ResponseBuilder, zone: ZoneIndex, name: Name, ce: Name): void {
  if (zone.hasNsec3) addNsec3(b, zone.nsec3Covering(name.suffix(ce.labelCount + 1)));
  else addNsecCovering(b, zone, name);
}

/**
 * Wildcard NODATA. RFC 4035 §3.1.3.4: the NSEC proving no closer match and the NSEC at the
 * wildcard proving it lacks QTYPE; RFC 5155 §7.2.5: closest encloser proof plus the NSEC3
 * matching the wildcard.
 */
export function addWildcardNodataProof(b: ResponseBuilder, zone: ZoneIndex, name: Name, ce: Name): void {
  addSoa(b, zone);
  const wildcard = ce.prepend('*');
  if (zone.hasNsec3) {
    addNsec3(b, zone.nsec3Matching(ce));
    addNsec3(b, zone.nsec3Covering(name.suffix(ce.labelCount + 1)));
    addNsec3(b, zone.nsec3Matching(wildcard));
    return;
  }
  addNsecCovering(b, zone, name);
  addNsecAt(b, zone, wildcard);
}

/**
 * A referral's proof that the child is unsigned (RFC 4035 §3.1.4: "If no DS RRset is present
 * ... the name server MUST return the NSEC RR"; RFC 5155 §7.2.7: the NSEC3 matching the
 * delegation, or under Opt-Out the closest provable encloser proof).
 */
export function addNoDsProof(b: ResponseBuilder, zone: ZoneIndex, cut: Name): void {
  if (zone.hasNsec3) {
    const match = zone.nsec3Matching(cut);
    if (match !== undefined) addNsec3(b, match);
    else addClosestEncloserProof(b, zone, cut);
    return;
  }
  addNsecAt(b, zone, cut);
}
