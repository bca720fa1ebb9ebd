/**
 * Response classification before any proof (as Unbound's val_classify_response): follow the
 * alias chain from the question through CNAME and DNAME RRsets of the answer section, then
 * decide what the response says about the final name — positive, NODATA, NXDOMAIN, a referral,
 * or "incomplete" (the chain leaves the server's data and must be continued with a new query).
 * Pure; RFC 1034 §3.6.2, RFC 6672 §3.4, RFC 2308 §2, RFC 6604.
 */
import { Name, Rcode, RRType, type Message, type Rr, type TargetRdata } from '../wire/index.ts';
import { rrsigRrset, sectionRrsets, type RRset } from './rrset.ts';

export interface AliasStep {
  kind: 'cname' | 'dname';
  /** Name that was looked up at this step. */
  from: Name;
  /** Name the alias leads to. */
  to: Name;
  /** The CNAME RRset, or the DNAME RRset (owned by an ancestor of `from`). */
  rrset: RRset;
  /**
   * For a DNAME step: the target of a CNAME at `from` in the answer that is not the DNAME
   * substitution `to` — a synthesized CNAME that contradicts its DNAME (validation makes the
   * response bogus; it is never followed).
   */
  contradictingCname?: Name;
}

export type FinalKind = 'positive' | 'nodata' | 'nxdomain' | 'referral' | 'incomplete' | 'error';

export interface Classified {
  rcode: number;
  aliases: AliasStep[];
  /** The name the aliases lead to (the question name when there are none). */
  finalName: Name;
  kind: FinalKind;
  /** The answer RRset(s) at the final name (one, or several for ANY). */
  answers: RRset[];
  /** Authority-section RRsets (SOA, NS, NSEC, NSEC3, DS) with their signatures. */
  authority: RRset[];
  additional: RRset[];
  /** Set when the alias chain loops back on itself or is malformed. */
  problem?: string;
}

/** Apply a DNAME substitution (RFC 6672 §2.2); undefined when the result is too long. */
export function substituteDname(name: Name, owner: Name, target: Name): Name | undefined {
  const keep = name.labels.slice(0, name.labelCount - owner.labelCount);
  try {
    return new Name([...keep, ...target.labels]);
  } catch {
    return undefined;
  }
}

function findDname(answer: RRset[], name: Name): RRset | undefined {
  return answer.find(
    (s) => s.type === RRType.DNAME && name.labelCount > s.name.labelCount && name.isSubdomainOf(s.name),
  );
}

/** What the answer section says about `sname`: its records, an alias step, an error, or nothing. */
type Found =
  | { what: 'direct'; answers: RRset[] }
  | { what: 'alias'; step: AliasStep }
  | { what: 'error'; problem: string }
  | { what: 'none' };

function lookAt(answer: RRset[], sname: Name, qtype: number): Found {
  // RFC 6672 §2.2: substitution applies to names strictly below the owner, whatever the qtype.
  const dname = findDname(answer, sname);
  if (dname !== undefined) {
    const to = substituteDname(sname, dname.name, (dname.rrs[0] as Rr<TargetRdata>).data.target);
    if (to === undefined) return { what: 'error', problem: 'DNAME substitution too long' };
    // RFC 6672 §3.3: the server synthesizes "a CNAME RR … with the owner being QNAME and the
    // target being the DNAME substitution" — one that says otherwise is kept for the validator.
    const cname = answer.find((s) => s.type === RRType.CNAME && s.name.equals(sname));
    const target = (cname?.rrs[0] as Rr<TargetRdata> | undefined)?.data.target;
    const step: AliasStep = { kind: 'dname', from: sname, to, rrset: dname };
    if (target !== undefined && !target.equals(to)) step.contradictingCname = target;
    return { what: 'alias', step };
  }
  // RFC 2181 §10.1: an alias name has no other data. When a broken server sends both a CNAME
  // and records of the queried type at the name, the one that comes first is used (as Unbound).
  const followsCname = qtype !== RRType.ANY && qtype !== RRType.CNAME;
  const first = answer.find(
    (s) =>
      s.name.equals(sname) &&
      (s.type === qtype || qtype === RRType.ANY || (s.type === RRType.CNAME && followsCname)),
  );
  if (first === undefined) return { what: 'none' };
  if (first.type === RRType.CNAME && followsCname) {
    if (first.rrs.length !== 1) return { what: 'error', problem: 'CNAME RRset with several records' };
    const to = (first.rrs[0] as Rr<TargetRdata>).data.target;
    return { what: 'alias', step: { kind: 'cname', from: sname, to, rrset: first } };
  }
  return {
    what: 'direct',
    answers: answer.filter((s) => s.name.equals(sname) && (s.type === qtype || qtype === RRType.ANY)),
  };
}

/** Classify `msg` as the answer to (qname, qtype). */
export function classifyResponse(
  msg: Message,
  qname: Name,
  qtype: number,
  opts: { referrals?: boolean } = {},
): Classified {
  const { answer, authority, additional } = sectionRrsets(msg);
  const aliases: AliasStep[] = [];
  const base = { rcode: msg.rcode, aliases, authority, additional };
  if (qtype === RRType.RRSIG) {
    // RRSIG records are not grouped into RRsets with signatures of their own (RFC 4034 §3).
    const sigs = rrsigRrset(msg, qname);
    if (sigs !== undefined) return { ...base, finalName: qname, kind: 'positive', answers: [sigs] };
  }
  const seen = new Set<string>([qname.key()]);
  let sname = qname;
  for (;;) {
    const found = lookAt(answer, sname, qtype);
    if (found.what === 'direct')
      return { ...base, finalName: sname, kind: 'positive', answers: found.answers };
    if (found.what === 'error')
      return { ...base, finalName: sname, kind: 'error', answers: [], problem: found.problem };
    if (found.what === 'none') break;
    const step = found.step;
    aliases.push(step);
    if (seen.has(step.to.key()))
      return { ...base, finalName: step.to, kind: 'error', answers: [], problem: 'alias loop' };
    seen.add(step.to.key());
    sname = step.to;
  }
  const kind = negativeKind(msg, sname, authority, {
    aliased: aliases.length > 0,
    referrals: opts.referrals ?? true,
  });
  return { ...base, finalName: sname, kind, answers: [] };
}

/**
 * With `referrals` false (answers from a recursive resolver, which never refers), an empty
 * NOERROR answer is NODATA even when the resolver copied the zone's NS RRset into it.
 */
function negativeKind(
  msg: Message,
  sname: Name,
  authority: RRset[],
  opts: { aliased: boolean; referrals: boolean },
): FinalKind {
  const aliased = opts.aliased;
  if (msg.rcode === Rcode.NXDOMAIN) return 'nxdomain';
  if (msg.rcode !== Rcode.NOERROR) return 'error';
  const soa = authority.find((s) => s.type === RRType.SOA);
  const ns = authority.find((s) => s.type === RRType.NS);
  // A referral: NS records for a zone between the server's zone and the name, no SOA, not authoritative.
  if (
    opts.referrals &&
    !aliased &&
    soa === undefined &&
    ns !== undefined &&
    !msg.flags.aa &&
    sname.isSubdomainOf(ns.name)
  )
    return 'referral';
  if (aliased) {
    // The chain ended at a name this response gives no records for. Only an SOA of a zone that
    // contains that name makes it a negative answer for it (RFC 2308 §2.2); otherwise the chain
    // must be followed with a new query (NSEC/NSEC3 records alone may be about something else,
    // e.g. the insecure delegation the target lies under).
    const proves = authority.some((s) => s.type === RRType.SOA && sname.isSubdomainOf(s.name));
    if (!proves) return 'incomplete';
  }
  return 'nodata';
}
