/**
 * One step of the authoritative lookup algorithm of RFC 1034 §4.3.2 inside one zone: referral
 * at a zone cut (RFC 4035 §3.1.4), DNAME substitution (RFC 6672 §3.2), exact match, CNAME,
 * wildcard synthesis (RFC 4592 §3.3.1, RFC 4035 §3.1.3.3), NODATA and NXDOMAIN. Returns the next
 * name when the answer continues through a CNAME. Pure; no I/O.
 */
import { makeRr, Name, Rcode, RRType, type Rr } from '../../dns/wire/index.ts';
import {
  addNodataProof,
  addNoDsProof,
  addNxdomainProof,
  addWildcardAnswerProof,
  addWildcardNodataProof,
  withSigs,
  type ResponseBuilder,
} from './answer-proofs.ts';
import type { NameNode, ZoneIndex } from './zone-index.ts';

/** What is being asked in this step. */
export interface StepQuery {
  qtype: number;
  /** The first name of the chain (AA and referrals are decided by it). */
  first: boolean;
}

/** Glue for the name servers of a referral: their A/AAAA records held in this zone. */
function addGlue(b: ResponseBuilder, zone: ZoneIndex, ns: readonly Rr[]): void {
  for (const rr of ns) {
    const target = (rr.data as { target: Name }).target;
    if (!target.isSubdomainOf(zone.origin)) continue;
    b.add('additional', zone.rrset(target, RRType.A) ?? []);
    b.add('additional', zone.rrset(target, RRType.AAAA) ?? []);
  }
}

/**
 * RFC 4035 §3.1.4: a referral carries the unsigned NS RRset of the cut, and "the DS RRset along
 * with its associated RRSIG RR(s)" when present, else the proof that there is none.
 */
function referral(b: ResponseBuilder, zone: ZoneIndex, cut: Name): void {
  const ns = zone.rrset(cut, RRType.NS) ?? [];
  b.add('authority', ns);
  const ds = withSigs(zone, cut, RRType.DS);
  if (ds.rrs.length > 0) b.add('authority', ds.rrs, ds.sigs);
  else if (b.dnssec) addNoDsProof(b, zone, cut);
  addGlue(b, zone, ns);
}

/**
 * RFC 6672 §3.2: the DNAME RRset goes into the answer with a CNAME synthesized from it, whose
 * TTL is the DNAME's; the query continues at the substituted name.
 */
function dname(b: ResponseBuilder, zone: ZoneIndex, name: Name, owner: Name): Name | undefined {
  const set = withSigs(zone, owner, RRType.DNAME);
  const rr = set.rrs[0];
  if (rr === undefined) return undefined;
  b.add('answer', set.rrs, set.sigs);
  const target = (rr.data as { target: Name }).target;
  let next: Name;
  try {
    next = new Name([...name.labels.slice(0, name.labelCount - owner.labelCount), ...target.labels]);
  } catch {
    // RFC 6672 §2.2: a substituted name that is too long gives YXDOMAIN.
    b.rcode = Rcode.YXDOMAIN;
    return undefined;
  }
  b.add('answer', [
    makeRr({ name, type: RRType.CNAME, ttl: rr.ttl, class: rr.class, data: { target: next } }),
  ]);
  return next;
}

/** An existing node: the RRset, a CNAME to follow, or NODATA. */
function atNode(b: ResponseBuilder, zone: ZoneIndex, node: NameNode, qtype: number): Name | undefined {
  if (qtype === RRType.ANY) {
    for (const [type, rrs] of node.rrsets) b.add('answer', rrs, node.sigs.get(type) ?? []);
    return undefined;
  }
  if (qtype === RRType.RRSIG) {
    const sigs = [...node.sigs.values()].flat();
    if (sigs.length > 0) b.add('answer', sigs);
    else addNodataProof(b, zone, node.name);
    return undefined;
  }
  const rrs = node.rrsets.get(qtype);
  if (rrs !== undefined) {
    b.add('answer', rrs, node.sigs.get(qtype) ?? []);
    return undefined;
  }
  const cname = node.rrsets.get(RRType.CNAME);
  if (cname?.[0] !== undefined) {
    b.add('answer', cname, node.sigs.get(RRType.CNAME) ?? []);
    return (cname[0].data as { target: Name }).target;
  }
  addNodataProof(b, zone, node.name);
  return undefined;
}

/** Records of the wildcard with the owner replaced by `name`; RRSIGs unchanged but for the owner. */
function synthesize(records: readonly Rr[], name: Name): Rr[] {
  return records.map((rr) => ({ ...rr, name }));
}

/**
 * RFC 4592 §3.3.1: no exact match and no closer existing name, so the wildcard `*.<closest
 * encloser>` applies when it exists; otherwise the name does not exist (NXDOMAIN).
 */
function wildcardOrNxdomain(
  b: ResponseBuilder,
  zone: ZoneIndex,
  name: Name,
  qtype: number,
): Name | undefined {
  const ce = zone.closestEncloser(name);
  const wc = zone.node(ce.prepend('*'));
  if (wc === undefined) {
    b.rcode = Rcode.NXDOMAIN;
    addNxdomainProof(b, zone, name, ce);
    return undefined;
  }
  const type = wc.rrsets.has(qtype) ? qtype : wc.rrsets.has(RRType.CNAME) ? RRType.CNAME : undefined;
  if (type === undefined) {
    addWildcardNodataProof(b, zone, name, ce);
    return undefined;
  }
  const rrs = wc.rrsets.get(type) ?? [];
  b.add('answer', synthesize(rrs, name), synthesize(wc.sigs.get(type) ?? [], name));
  addWildcardAnswerProof(b, zone, name, ce);
  return type === RRType.CNAME && type !== qtype ? (rrs[0]?.data as { target: Name }).target : undefined;
}

/** Answer `name` inside `zone`; the next name of a CNAME/DNAME chain, or undefined when done. */
export function answerName(b: ResponseBuilder, zone: ZoneIndex, name: Name, q: StepQuery): Name | undefined {
  const cut = zone.cutAtOrAbove(name);
  if (cut !== undefined && !(q.qtype === RRType.DS && cut.equals(name))) {
    if (q.first) referral(b, zone, cut);
    return undefined;
  }
  if (q.first) b.aa = true;
  const owner = zone.dnameAbove(name);
  if (owner !== undefined) return dname(b, zone, name, owner);
  const node = zone.node(name);
  if (node !== undefined) return atNode(b, zone, node, q.qtype);
  if (q.qtype === RRType.NSEC3) {
    const own = zone.nsec3Chain().find((e) => e.rr.name.equals(name));
    if (own !== undefined) {
      b.add('answer', [own.rr], own.sigs);
      return undefined;
    }
  }
  if (zone.isEnt(name)) {
    addNodataProof(b, zone, name);
    return undefined;
  }
  return wildcardOrNxdomain(b, zone, name, q.qtype);
}
