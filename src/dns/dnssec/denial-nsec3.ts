/**
 * Authenticated denial of existence with NSEC3 (RFC 5155 §5, §8, §9.2; RFC 6840 §4.1;
 * RFC 9276 §3.2): the closest encloser proof and the NXDOMAIN, NODATA, DS, wildcard NODATA and
 * wildcard answer proofs, with Opt-Out spans (→ insecure) and iteration limits, on top of the
 * hashing, match and cover of nsec3.ts. Works on NSEC3 records whose signatures were already
 * verified; each proof is tried per parameter set (RFC 5155 §8.2) and never combines records
 * of different sets. Every proof takes `opts` (Nsec3Options): the RFC 9276 iteration limits,
 * `maxParamSets`, and `rrsigs`, the RRSIGs that covered the records, so that wildcard-expanded
 * records are ignored (denial-input.ts). Nothing throws; hashing happens only after the
 * iteration limits passed. Pure.
 */
import { RRType, type Name, type Nsec3Rdata, type Rr } from '../wire/index.ts';
import { Ctx, prepare, type Nsec3Options, type ParamSet, type Usable } from './nsec3.ts';
import { Ede, type DenialProof } from './proof.ts';

function has(u: Usable, type: number): boolean {
  return u.rr.data.types.includes(type);
}

function optOut(u: Usable): boolean {
  return (u.rr.data.flags & 1) !== 0;
}

function bogus(reason: string, ede: number = Ede.NSEC_MISSING): DenialProof {
  return { status: 'bogus', reason, ede };
}

const RANK: Readonly<Record<DenialProof['status'], number>> = { secure: 0, insecure: 1, bogus: 2 };

/**
 * Run `prove` on each parameter set on its own; the strongest verdict wins (secure, then
 * insecure, then bogus) — every set was signed by the zone, so one complete proof suffices.
 */
function perParamSet<P extends ClosestEncloserProof>(
  sets: ParamSet[] | DenialProof,
  prove: (ctx: Ctx) => P,
): P | DenialProof {
  if (!Array.isArray(sets)) return sets;
  let best: P | DenialProof = bogus('no NSEC3 parameter set to prove with');
  for (const [i, set] of sets.entries()) {
    const p = set instanceof Ctx ? prove(set) : set;
    if (i === 0 || RANK[p.status] < RANK[best.status]) best = p;
    if (p.status === 'secure') break;
  }
  return best;
}

/** The result of a closest encloser proof. */
export interface ClosestEncloserProof {
  status: 'secure' | 'insecure' | 'bogus';
  reason: string;
  ede?: number;
  closestEncloser?: Name;
  /** The next closer name (one label below the closest encloser towards qname). */
  nextCloser?: Name;
  /** The NSEC3 that covers the next closer name. */
  nextCloserNsec3?: Rr<Nsec3Rdata>;
  /** The NSEC3 that matches the closest encloser. */
  encloserNsec3?: Rr<Nsec3Rdata>;
}

interface CeInternal extends ClosestEncloserProof {
  ceRec?: Usable;
  ncRec?: Usable;
}

/**
 * RFC 5155 §8.3 closest encloser proof: the longest ancestor of qname with a matching NSEC3 is
 * the closest encloser, and an NSEC3 covers the next closer name. "The DNAME type bit must not
 * be set and the NS type bit may only be set if the SOA type bit is set." An insecure
 * delegation there (NS without DS or SOA) makes the result insecure, as in Unbound. When
 * `mustNotExist` is false, qname itself may match.
 */
function closestEncloser(ctx: Ctx, qname: Name, mustNotExist: boolean): CeInternal {
  let ce: Name | undefined;
  let ceRec: Usable | undefined;
  for (let n: Name | undefined = qname; n?.isSubdomainOf(ctx.zone) === true; n = n.parent()) {
    ceRec = ctx.matching(n);
    if (ceRec !== undefined) {
      ce = n;
      break;
    }
  }
  const q = qname.toString();
  if (ce === undefined || ceRec === undefined) return bogus(`no NSEC3 closest encloser for ${q}`);
  const base = { closestEncloser: ce, encloserNsec3: ceRec.rr, ceRec };
  if (ce.equals(qname)) {
    if (mustNotExist) return { ...bogus(`an NSEC3 shows that ${q} exists`, Ede.DNSSEC_BOGUS), ...base };
    return { status: 'secure', reason: `${q} exists`, ...base };
  }
  if (has(ceRec, RRType.NS) && !has(ceRec, RRType.SOA)) {
    if (!has(ceRec, RRType.DS)) {
      return {
        status: 'insecure',
        reason: `closest encloser ${ce.toString()} is an insecure delegation`,
        ...base,
      };
    }
    return { ...bogus(`closest encloser ${ce.toString()} is a delegation`, Ede.DNSSEC_BOGUS), ...base };
  }
  if (has(ceRec, RRType.DNAME))
    return { ...bogus(`closest encloser ${ce.toString()} is a DNAME`, Ede.DNSSEC_BOGUS), ...base };
  const nc = qname.suffix(ce.labelCount + 1);
  const ncRec = ctx.covering(nc);
  if (ncRec === undefined)
    return { ...bogus(`no NSEC3 covers the next closer name ${nc.toString()}`), ...base };
  return {
    status: 'secure',
    reason: `closest encloser ${ce.toString()} proven`,
    ...base,
    nextCloser: nc,
    nextCloserNsec3: ncRec.rr,
    ncRec,
  };
}

function publicCe(p: CeInternal): ClosestEncloserProof {
  const { ceRec: _c, ncRec: _n, ...rest } = p;
  return rest;
}

function asDenial(p: CeInternal): DenialProof {
  const out: DenialProof = { status: p.status, reason: p.reason };
  if (p.ede !== undefined) out.ede = p.ede;
  if (p.closestEncloser !== undefined) out.closestEncloser = p.closestEncloser;
  return out;
}

/** RFC 5155 §8.3 on its own (for callers that need the closest encloser and next closer name). */
export function proveClosestEncloserNsec3(
  qname: Name,
  nsec3s: readonly Rr<Nsec3Rdata>[],
  zone?: Name,
  opts?: Nsec3Options,
): ClosestEncloserProof {
  const sets = prepare(qname, nsec3s, { zone, options: opts, ds: false });
  return perParamSet(sets, (ctx) => publicCe(closestEncloser(ctx, qname, false)));
}

/**
 * NXDOMAIN (RFC 5155 §8.4): "A validator MUST verify that there is a closest encloser proof for
 * QNAME present in the response and that there is an NSEC3 RR that covers the wildcard at the
 * closest encloser". RFC 5155 §9.2: when the NSEC3 covering the next closer
 * name has Opt-Out set, an unsigned delegation may exist there, so the result is insecure.
 */
export function proveNxdomainNsec3(
  qname: Name,
  nsec3s: readonly Rr<Nsec3Rdata>[],
  zone?: Name,
  opts?: Nsec3Options,
): DenialProof {
  const sets = prepare(qname, nsec3s, { zone, options: opts, ds: false });
  return perParamSet(sets, (ctx) => nxdomainIn(ctx, qname));
}

function nxdomainIn(ctx: Ctx, qname: Name): DenialProof {
  const ce = closestEncloser(ctx, qname, true);
  if (ce.status !== 'secure' || ce.closestEncloser === undefined) return asDenial(ce);
  const wildcard = ce.closestEncloser.prepend('*');
  if (ctx.matching(wildcard) !== undefined) {
    return bogus(
      `wildcard ${wildcard.toString()} exists, so ${qname.toString()} is not NXDOMAIN`,
      Ede.DNSSEC_BOGUS,
    );
  }
  if (ctx.covering(wildcard) === undefined) {
    return bogus(`no NSEC3 proves that the wildcard ${wildcard.toString()} does not exist`);
  }
  if (ce.ncRec !== undefined && optOut(ce.ncRec)) {
    return {
      ...asDenial(ce),
      status: 'insecure',
      reason: `${qname.toString()} lies in an Opt-Out span`,
      optOut: true,
    };
  }
  return { ...asDenial(ce), reason: `NSEC3 proves ${qname.toString()} does not exist` };
}

/** Why an NSEC3 matching qname (or its wildcard) does not deny qtype, if it does not. */
function typeClash(u: Usable, qtype: number, qname: Name): string | undefined {
  const at = qname.toString();
  if (has(u, qtype)) return `the NSEC3 for ${at} lists the queried type`;
  if (qtype !== RRType.CNAME && has(u, RRType.CNAME)) return `the NSEC3 for ${at} lists a CNAME`;
  if (qtype === RRType.DS && has(u, RRType.SOA) && !qname.isRoot)
    return `the NSEC3 for ${at} is from the child zone`;
  return undefined;
}

/**
 * NODATA (RFC 5155 §8.5–§8.7): "The validator MUST verify that an NSEC3 RR that matches QNAME
 * is present and that both the QTYPE and the CNAME type are not set in its Type Bit Maps
 * field" (§8.5; for DS from the parent, §8.6); otherwise a closest encloser proof plus an NSEC3 matching the wildcard
 * without qtype (§8.7), or — the §8.6 Opt-Out case — a next closer name covered by an Opt-Out
 * NSEC3, which makes the answer insecure (RFC 5155 §9.2).
 */
export function proveNodataNsec3(
  qname: Name,
  qtype: number,
  nsec3s: readonly Rr<Nsec3Rdata>[],
  zone?: Name,
  opts?: Nsec3Options,
): DenialProof {
  const sets = prepare(qname, nsec3s, { zone, options: opts, ds: qtype === RRType.DS });
  return perParamSet(sets, (ctx) => nodataIn(ctx, qname, qtype));
}

function nodataIn(ctx: Ctx, qname: Name, qtype: number): DenialProof {
  const q = qname.toString();
  const match = ctx.matching(qname);
  if (match !== undefined) {
    const why = typeClash(match, qtype, qname);
    if (why !== undefined) return bogus(why, Ede.DNSSEC_BOGUS);
    // RFC 6840 §4.1: a parent-side delegation NSEC3 proves only the absence of DS.
    if (qtype !== RRType.DS && has(match, RRType.NS) && !has(match, RRType.SOA)) {
      if (!has(match, RRType.DS)) return { status: 'insecure', reason: `${q} is an insecure delegation` };
      return bogus(`the NSEC3 for ${q} is a delegation and proves only the absence of DS`, Ede.DNSSEC_BOGUS);
    }
    return { status: 'secure', reason: `NSEC3 for ${q} denies the type` };
  }
  const ce = closestEncloser(ctx, qname, true);
  if (ce.status === 'bogus') return asDenial(ce);
  if (ce.status === 'insecure' && qtype !== RRType.DS) return asDenial(ce);
  return wildcardOrOptOut(ctx, ce, qname, qtype);
}

function wildcardOrOptOut(ctx: Ctx, ce: CeInternal, qname: Name, qtype: number): DenialProof {
  const q = qname.toString();
  const encloser = ce.closestEncloser as Name;
  const wildcard = encloser.prepend('*');
  const wc = ctx.matching(wildcard);
  const nc = ce.ncRec;
  if (wc !== undefined) {
    const why = typeClash(wc, qtype, wildcard);
    if (why !== undefined) return bogus(why, Ede.DNSSEC_BOGUS);
    if (qtype !== RRType.DS && has(wc, RRType.NS) && !has(wc, RRType.SOA)) {
      return bogus(`the wildcard ${wildcard.toString()} is a delegation`, Ede.DNSSEC_BOGUS);
    }
    if (nc !== undefined && optOut(nc)) {
      return {
        status: 'insecure',
        reason: `wildcard NODATA for ${q} in an Opt-Out span`,
        closestEncloser: encloser,
        optOut: true,
      };
    }
    return {
      status: 'secure',
      reason: `wildcard NODATA at ${wildcard.toString()}`,
      closestEncloser: encloser,
    };
  }
  if (nc === undefined) return bogus(`no NSEC3 covers the next closer name of ${q}`);
  if (!optOut(nc))
    return bogus(`no NSEC3 matches ${q} or its wildcard, and the next closer name is not in an Opt-Out span`);
  return {
    status: 'insecure',
    reason: `${q} is covered by an Opt-Out NSEC3`,
    closestEncloser: encloser,
    optOut: true,
  };
}

/**
 * A wildcard answer (RFC 5155 §8.8): qname was expanded from `wildcard`, whose parent is the
 * closest encloser; an NSEC3 must cover the next closer name — "This proves that QNAME itself
 * did not exist and that the correct wildcard was used to generate the response". Opt-Out
 * there → insecure (RFC 5155 §9.2).
 */
export function proveWildcardAnswerNsec3(
  qname: Name,
  wildcard: Name,
  nsec3s: readonly Rr<Nsec3Rdata>[],
  zone?: Name,
  opts?: Nsec3Options,
): DenialProof {
  const ce = wildcard.stripLeft(1);
  const q = qname.toString();
  if (!wildcard.isWildcard || !qname.isSubdomainOf(ce) || qname.labelCount <= ce.labelCount) {
    return bogus(`${q} cannot be an expansion of ${wildcard.toString()}`, Ede.DNSSEC_BOGUS);
  }
  const nc = qname.suffix(ce.labelCount + 1);
  const sets = prepare(qname, nsec3s, { zone, options: opts, ds: false });
  return perParamSet(sets, (ctx) => wildcardAnswerIn(ctx, { nc, ce, q, wildcard }));
}

function wildcardAnswerIn(ctx: Ctx, at: { nc: Name; ce: Name; q: string; wildcard: Name }): DenialProof {
  const { nc, ce, q, wildcard } = at;
  const cover = ctx.covering(nc);
  if (cover === undefined)
    return bogus(`no NSEC3 proves that ${nc.toString()} does not exist (wildcard answer)`);
  if (optOut(cover)) {
    return {
      status: 'insecure',
      reason: `wildcard answer for ${q} in an Opt-Out span`,
      closestEncloser: ce,
      optOut: true,
    };
  }
  return {
    status: 'secure',
    reason: `wildcard expansion of ${wildcard.toString()} proven`,
    closestEncloser: ce,
  };
}

/**
 * No DS at `name` (RFC 5155 §8.6, RFC 6840 §4.4): the parent's NSEC3 matching `name` lists NS
 * but neither DS nor SOA (`zoneCut: true`), or lists no NS (`zoneCut: false`); or the next
 * closer name is covered by an Opt-Out NSEC3 (insecure, RFC 5155 §9.2), or by a plain NSEC3
 * (the name does not exist: `zoneCut: false`).
 */
export function proveNoDsNsec3(
  name: Name,
  nsec3s: readonly Rr<Nsec3Rdata>[],
  zone?: Name,
  opts?: Nsec3Options,
): DenialProof {
  const sets = prepare(name, nsec3s, { zone, options: opts, ds: true });
  return perParamSet(sets, (ctx) => noDsIn(ctx, name));
}

function noDsIn(ctx: Ctx, name: Name): DenialProof {
  const n = name.toString();
  const match = ctx.matching(name);
  if (match !== undefined) {
    if (has(match, RRType.SOA) && !name.isRoot)
      return bogus(`the NSEC3 for ${n} is from the child zone`, Ede.DNSSEC_BOGUS);
    if (has(match, RRType.DS)) return bogus(`the NSEC3 for ${n} lists DS`, Ede.DNSSEC_BOGUS);
    if (!has(match, RRType.NS))
      return { status: 'secure', reason: `${n} is not a delegation`, zoneCut: false };
    return { status: 'secure', reason: `${n} is a delegation without DS`, zoneCut: true };
  }
  const ce = closestEncloser(ctx, name, true);
  if (ce.status !== 'secure' || ce.ncRec === undefined)
    return bogus(`no NSEC3 proves the absence of DS at ${n}`);
  if (optOut(ce.ncRec)) {
    return {
      status: 'insecure',
      reason: `${n} lies in an Opt-Out span`,
      closestEncloser: ce.closestEncloser as Name,
      optOut: true,
    };
  }
  return {
    status: 'secure',
    reason: `${n} does not exist`,
    closestEncloser: ce.closestEncloser as Name,
    zoneCut: false,
  };
}
