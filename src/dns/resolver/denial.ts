/**
 * Authenticated denial as the resolver needs it, on top of the NSEC / NSEC3 proofs of
 * dns/dnssec: which proof family the response uses, NXDOMAIN / NODATA / wildcard-expansion
 * proofs, and — for the DS walk — whether a proven absence of DS means "no zone cut here",
 * "an insecure delegation" (RFC 4035 §5.2, RFC 5155 §8.6 opt-out) or "the name does not exist".
 * The proofs themselves (NSEC3 one parameter set at a time, NSEC next names inside the zone,
 * insecure delegations, wildcard-expanded proof records ignored) are dns/dnssec's; this module
 * hands them the records together with the RRSIGs that covered them. Pure: the RRsets passed
 * in have already been signature-verified.
 */
import {
  Ede,
  nsecMatches,
  proveNoDsNsec3,
  proveNodataNsec,
  proveNodataNsec3,
  proveNxdomainNsec,
  proveNxdomainNsec3,
  proveWildcardAnswerNsec,
  proveWildcardAnswerNsec3,
  usableDenialRecords,
  type DenialProof,
  type InsecureKind,
  type Nsec3Hashes,
  type Nsec3Options,
} from '../dnssec/index.ts';
import {
  isType,
  RRType,
  type Name,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
  type RrsigRdata,
} from '../wire/index.ts';
import type { Limits } from './budget.ts';
import type { RRset } from './rrset.ts';

/** What a denial proof needs from the lookup: its limits and its NSEC3 hashes (one per lookup). */
export interface DenialContext {
  limits: Limits;
  /** Absent: each proof hashes on its own (callers without a lookup, e.g. the NSEC cache). */
  hashes?: Nsec3Hashes | undefined;
}

function nsecs(sets: readonly RRset[]): Rr<NsecRdata>[] {
  return sets.flatMap((s) => s.rrs).filter((rr): rr is Rr<NsecRdata> => isType(rr, RRType.NSEC));
}

function nsec3s(sets: readonly RRset[]): Rr<Nsec3Rdata>[] {
  return sets.flatMap((s) => s.rrs).filter((rr): rr is Rr<Nsec3Rdata> => isType(rr, RRType.NSEC3));
}

/**
 * The zone's RRSIGs over the proof RRsets (the ones verification used): the proofs ignore the
 * records these show to be wildcard expansions.
 */
function rrsigs(sets: readonly RRset[], zone: Name): Rr<RrsigRdata>[] {
  return sets.flatMap((s) => s.sigs).filter((s) => s.data.signerName.equals(zone));
}

/** The denial context of a lookup: its limits and its NSEC3 hashes. */
export function denialContext(ctx: { budget: { limits: Limits }; nsec3: Nsec3Hashes }): DenialContext {
  return { limits: ctx.budget.limits, hashes: ctx.nsec3 };
}

function nsec3Options(dc: DenialContext, sets: readonly RRset[], zone: Name): Nsec3Options {
  return {
    insecureAbove: dc.limits.nsec3InsecureIterations,
    rrsigs: rrsigs(sets, zone),
    hashes: dc.hashes,
  };
}

const MISSING: DenialProof = {
  status: 'bogus',
  reason: 'no NSEC or NSEC3 records in the response',
  ede: Ede.NSEC_MISSING,
};

/** Prove a NODATA or NXDOMAIN answer for (name, qtype) with the verified proof RRsets. */
export function proveNegative(p: {
  name: Name;
  qtype: number;
  kind: 'nodata' | 'nxdomain';
  proofs: readonly RRset[];
  zone: Name;
  dc: DenialContext;
}): DenialProof {
  const n = nsecs(p.proofs);
  if (n.length > 0) {
    const opts = { rrsigs: rrsigs(p.proofs, p.zone) };
    return p.kind === 'nxdomain'
      ? proveNxdomainNsec(p.name, n, p.zone, opts)
      : proveNodataNsec(p.name, p.qtype, n, p.zone, opts);
  }
  const n3 = nsec3s(p.proofs);
  if (n3.length > 0) {
    const opts = nsec3Options(p.dc, p.proofs, p.zone);
    return p.kind === 'nxdomain'
      ? proveNxdomainNsec3(p.name, n3, p.zone, opts)
      : proveNodataNsec3(p.name, p.qtype, n3, p.zone, opts);
  }
  return MISSING;
}

/** RFC 4035 §5.3.4 / RFC 5155 §8.8: `name` was synthesized from `wildcard`; prove it does not exist itself. */
export function proveWildcardExpansion(
  name: Name,
  wildcard: Name,
  proofs: readonly RRset[],
  zone: Name,
  dc: DenialContext,
): DenialProof {
  const n = nsecs(proofs);
  if (n.length > 0) return proveWildcardAnswerNsec(name, wildcard, n, zone, { rrsigs: rrsigs(proofs, zone) });
  const n3 = nsec3s(proofs);
  if (n3.length > 0)
    return proveWildcardAnswerNsec3(name, wildcard, n3, zone, nsec3Options(dc, proofs, zone));
  return {
    ...MISSING,
    reason: `wildcard answer for ${name.toString()} without proof that the name does not exist`,
  };
}

export type DsDenial =
  | { outcome: 'nocut'; reason: string }
  | { outcome: 'insecure'; reason: string; insecureKind?: InsecureKind }
  | { outcome: 'nxdomain'; reason: string }
  | { outcome: 'bogus'; reason: string; ede?: number };

/**
 * Interpret a verified negative answer to a DS query for `cand` from the zone `zone`.
 * RFC 4035 §5.2: "If the validator does not [find] a DS RR … and the NSEC RR … proves that no DS
 * RR exists for the delegation …, the resolver has no authentication path … the child is
 * insecure." A proven NODATA at a name whose NSEC/NSEC3 shows no NS bit is no delegation at all.
 * The rcode is not trusted for the kind of proof: a server that answers NXDOMAIN for an empty
 * non-terminal (or NOERROR for a missing name) is judged by what its NSEC records prove.
 */
export function classifyDsDenial(
  cand: Name,
  kind: 'nodata' | 'nxdomain',
  proofs: readonly RRset[],
  zone: Name,
  dc: DenialContext,
): DsDenial {
  if (nsecs(proofs).length === 0 && nsec3s(proofs).length > 0) return nsec3DsDenial(cand, proofs, zone, dc);
  const other = kind === 'nodata' ? 'nxdomain' : 'nodata';
  let proof = proveNegative({ name: cand, qtype: RRType.DS, kind, proofs, zone, dc });
  let proven = kind;
  if (proof.status === 'bogus') {
    const alt = proveNegative({ name: cand, qtype: RRType.DS, kind: other, proofs, zone, dc });
    if (alt.status !== 'bogus') {
      proof = alt;
      proven = other;
    }
  }
  if (proof.status === 'bogus')
    return { outcome: 'bogus', reason: proof.reason, ...(proof.ede === undefined ? {} : { ede: proof.ede }) };
  if (proof.status === 'insecure') return { outcome: 'insecure', reason: proof.reason };
  if (proven === 'nxdomain') return { outcome: 'nxdomain', reason: proof.reason };
  const usable = { zone, rrsigs: rrsigs(proofs, zone) };
  const matchNsec = usableDenialRecords(nsecs(proofs), usable).find((rr) => nsecMatches(rr, cand));
  const types = matchNsec?.data.types ?? [];
  if (types.includes(RRType.NS) && !types.includes(RRType.SOA)) return insecureCut(cand);
  return { outcome: 'nocut', reason: `${cand.toString()} is not a zone cut` };
}

function insecureCut(cand: Name): DsDenial {
  return { outcome: 'insecure', reason: `${cand.toString()} is a delegation without DS (insecure)` };
}

/**
 * The NSEC3 case in one pass (RFC 5155 §8.6 with the closest encloser proof of §8.3): per
 * parameter set, `cand` is matched once and its ancestors hashed once — never a NODATA proof and
 * then an NXDOMAIN proof over the same records, which doubled the hashing an attacker controls
 * (CVE-2023-50868). A name that matches is a delegation without DS or no cut; a name proven not
 * to exist ends the walk; an Opt-Out span leaves the delegation insecure (RFC 5155 §9.2).
 */
function nsec3DsDenial(cand: Name, proofs: readonly RRset[], zone: Name, dc: DenialContext): DsDenial {
  const p = proveNoDsNsec3(cand, nsec3s(proofs), zone, nsec3Options(dc, proofs, zone));
  if (p.status === 'bogus')
    return { outcome: 'bogus', reason: p.reason, ...(p.ede === undefined ? {} : { ede: p.ede }) };
  if (p.status === 'insecure') {
    return {
      outcome: 'insecure',
      reason: p.reason,
      ...(p.insecureKind === undefined ? {} : { insecureKind: p.insecureKind }),
    };
  }
  if (p.zoneCut === true) return insecureCut(cand);
  // Without a match the proof established a closest encloser above `cand`: it does not exist.
  if (p.closestEncloser !== undefined) return { outcome: 'nxdomain', reason: p.reason };
  return { outcome: 'nocut', reason: `${cand.toString()} is not a zone cut` };
}
