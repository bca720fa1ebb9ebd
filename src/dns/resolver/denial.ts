/**
 * Authenticated denial as the resolver needs it, on top of the NSEC / NSEC3 proofs of
 * dns/dnssec: which proof family the response uses, NXDOMAIN / NODATA / wildcard-expansion
 * proofs, and — for the DS walk — whether a proven absence of DS means "no zone cut here",
 * "an insecure delegation" (RFC 4035 §5.2, RFC 5155 §8.6 opt-out) or "the name does not exist".
 * NSEC3 records are used one parameter set at a time: RFC 5155 §7.1 has a zone use a single
 * hash algorithm, salt and iteration count, so a proof assembled from records with different
 * parameters proves nothing. Pure: the RRsets passed in have already been signature-verified.
 */
import {
  Ede,
  nsec3Matches,
  nsecMatches,
  proveNodataNsec,
  proveNodataNsec3,
  proveNxdomainNsec,
  proveNxdomainNsec3,
  proveWildcardAnswerNsec,
  proveWildcardAnswerNsec3,
  type DenialProof,
  type Nsec3Limits,
} from '../dnssec/index.ts';
import { toHex } from '../../util/index.ts';
import { isType, RRType, type Name, type Nsec3Rdata, type NsecRdata, type Rr } from '../wire/index.ts';
import type { Limits } from './budget.ts';
import type { RRset } from './rrset.ts';

/** Parameter sets tried per proof (each costs hashing; CVE-2023-50868). */
const MAX_NSEC3_PARAM_SETS = 3;

function nsecs(sets: readonly RRset[]): Rr<NsecRdata>[] {
  return sets.flatMap((s) => s.rrs).filter((rr): rr is Rr<NsecRdata> => isType(rr, RRType.NSEC));
}

function nsec3s(sets: readonly RRset[]): Rr<Nsec3Rdata>[] {
  return sets.flatMap((s) => s.rrs).filter((rr): rr is Rr<Nsec3Rdata> => isType(rr, RRType.NSEC3));
}

function nsec3Limits(limits: Limits): Nsec3Limits {
  return { insecureAbove: limits.nsec3InsecureIterations, bogusAbove: limits.nsec3BogusIterations };
}

/** NSEC3 records grouped by (hash algorithm, iterations, salt), in order of first appearance. */
export function byNsec3Params(records: readonly Rr<Nsec3Rdata>[]): Rr<Nsec3Rdata>[][] {
  const groups = new Map<string, Rr<Nsec3Rdata>[]>();
  for (const rr of records) {
    const key = `${rr.data.hashAlgorithm}/${rr.data.iterations}/${toHex(rr.data.salt)}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [rr]);
    else g.push(rr);
  }
  return [...groups.values()];
}

const RANK: Readonly<Record<DenialProof['status'], number>> = { secure: 0, insecure: 1, bogus: 2 };

/** Run `prove` on each NSEC3 parameter set; the strongest outcome wins. */
function perParamSet(
  records: readonly Rr<Nsec3Rdata>[],
  prove: (group: Rr<Nsec3Rdata>[]) => DenialProof,
): DenialProof {
  const groups = byNsec3Params(records);
  if (groups.length > MAX_NSEC3_PARAM_SETS) {
    return {
      status: 'bogus',
      reason: `NSEC3 records with ${groups.length} parameter sets (at most ${MAX_NSEC3_PARAM_SETS} are tried)`,
      ede: Ede.DNSSEC_BOGUS,
    };
  }
  let best: DenialProof | undefined;
  for (const g of groups) {
    const p = prove(g);
    if (best === undefined || RANK[p.status] < RANK[best.status]) best = p;
    if (p.status === 'secure') break;
  }
  return best ?? MISSING;
}

/**
 * RFC 4035 §5.2 / §4.3: a parent's NSEC at or above `name` with the NS bit but neither DS nor
 * SOA shows an insecure delegation; whatever the child says below it is insecure (as RFC 5155
 * §8.6 has it for NSEC3). RFC 6840 §4.1 forbids using such an NSEC to deny data — it is used
 * here only to stop trusting, never to prove absence.
 */
function insecureDelegationNsec(name: Name, records: readonly Rr<NsecRdata>[]): DenialProof | undefined {
  const cut = records.find((rr) => {
    const t = rr.data.types;
    return (
      name.isSubdomainOf(rr.name) &&
      t.includes(RRType.NS) &&
      !t.includes(RRType.SOA) &&
      !t.includes(RRType.DS)
    );
  });
  if (cut === undefined) return undefined;
  return { status: 'insecure', reason: `${cut.name.toString()} is a delegation without DS (insecure)` };
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
  limits: Limits;
}): DenialProof {
  const n = nsecs(p.proofs);
  if (n.length > 0) {
    const cut = p.qtype === RRType.DS ? undefined : insecureDelegationNsec(p.name, n);
    if (cut !== undefined) return cut;
    return p.kind === 'nxdomain'
      ? proveNxdomainNsec(p.name, n, p.zone)
      : proveNodataNsec(p.name, p.qtype, n, p.zone);
  }
  const n3 = nsec3s(p.proofs);
  if (n3.length > 0) {
    const lim = nsec3Limits(p.limits);
    return perParamSet(n3, (g) =>
      p.kind === 'nxdomain'
        ? proveNxdomainNsec3(p.name, g, p.zone, lim)
        : proveNodataNsec3(p.name, p.qtype, g, p.zone, lim),
    );
  }
  return MISSING;
}

/** RFC 4035 §5.3.4 / RFC 5155 §8.8: `name` was synthesized from `wildcard`; prove it does not exist itself. */
export function proveWildcardExpansion(
  name: Name,
  wildcard: Name,
  proofs: readonly RRset[],
  zone: Name,
  limits: Limits,
): DenialProof {
  const n = nsecs(proofs);
  if (n.length > 0) return proveWildcardAnswerNsec(name, wildcard, n, zone);
  const n3 = nsec3s(proofs);
  if (n3.length > 0) {
    return perParamSet(n3, (g) => proveWildcardAnswerNsec3(name, wildcard, g, zone, nsec3Limits(limits)));
  }
  return {
    ...MISSING,
    reason: `wildcard answer for ${name.toString()} without proof that the name does not exist`,
  };
}

export type DsDenial =
  | { outcome: 'nocut'; reason: string }
  | { outcome: 'insecure'; reason: string }
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
  limits: Limits,
): DsDenial {
  const other = kind === 'nodata' ? 'nxdomain' : 'nodata';
  let proof = proveNegative({ name: cand, qtype: RRType.DS, kind, proofs, zone, limits });
  let proven = kind;
  if (proof.status === 'bogus') {
    const alt = proveNegative({ name: cand, qtype: RRType.DS, kind: other, proofs, zone, limits });
    if (alt.status !== 'bogus') {
      proof = alt;
      proven = other;
    }
  }
  if (proof.status === 'bogus')
    return { outcome: 'bogus', reason: proof.reason, ...(proof.ede === undefined ? {} : { ede: proof.ede }) };
  if (proof.status === 'insecure') return { outcome: 'insecure', reason: proof.reason };
  if (proven === 'nxdomain') return { outcome: 'nxdomain', reason: proof.reason };
  const matchNsec = nsecs(proofs).find((rr) => nsecMatches(rr, cand));
  const matchNsec3 = nsec3s(proofs).find((rr) => nsec3Matches(rr, cand, zone));
  const types = matchNsec?.data.types ?? matchNsec3?.data.types ?? [];
  if (types.includes(RRType.NS) && !types.includes(RRType.SOA)) {
    return { outcome: 'insecure', reason: `${cand.toString()} is a delegation without DS (insecure)` };
  }
  return { outcome: 'nocut', reason: `${cand.toString()} is not a zone cut` };
}
