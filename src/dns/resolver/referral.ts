/**
 * Referral responses as the iterator reads them (RFC 1034 §4.3.2, §5.3.3; RFC 4035 §3.1.4):
 * the child zone and its name servers from the authority section, glue addresses from the
 * additional section — only for server names inside the zone the referring server is
 * authoritative for (the bailiwick rule that keeps a server from planting addresses for names it
 * does not own) — and the parent's DS RRset or its NSEC/NSEC3 proof of no DS, which RFC 4035
 * §3.1.4.1 puts into every referral from a signed zone. Nothing here is trusted: glue only
 * chooses where to ask, and DS / proof records are validated like any other data. Also the
 * scrubbing of responses from authoritative servers: records about names outside the zone the
 * server was asked as are dropped (a server speaks only for its own zone). Pure.
 */
import {
  DEFAULT_FLAGS,
  isType,
  Rcode,
  RRClass,
  RRType,
  type Message,
  type Name,
  type Rr,
  type TargetRdata,
} from '../wire/index.ts';

/** A name server of a delegation with the addresses known for it (possibly none yet). */
export interface NsHost {
  name: Name;
  addresses: string[];
}

/** What a referral says. */
export interface Referral {
  zone: Name;
  servers: NsHost[];
  /** DS RRset and its RRSIGs, or NSEC/NSEC3 records and RRSIGs proving there is no DS. */
  parentDs: Rr[];
  /** Smallest TTL of the NS RRset. */
  ttl: number;
}

const PROOF_TYPES: ReadonlySet<number> = new Set([RRType.NSEC, RRType.NSEC3]);

/**
 * The delegation a response refers to, or undefined when it is no downward referral from
 * `current` towards `target` (an answer, a negative answer, a lame or upward referral).
 */
export function parseReferral(msg: Message, current: Name, target: Name): Referral | undefined {
  // The AA bit is not looked at: some servers set it on referrals (RFC 5155 Appendix B.3 does).
  if (msg.rcode !== Rcode.NOERROR) return undefined;
  if (msg.answers.some((rr) => rr.type !== RRType.RRSIG)) return undefined;
  if (msg.authorities.some((rr) => rr.type === RRType.SOA)) return undefined;
  const ns = msg.authorities.filter((rr): rr is Rr<TargetRdata> => isType(rr, RRType.NS));
  const zone = ns[0]?.name;
  if (zone === undefined) return undefined;
  // Only a referral strictly below the current zone and towards the target counts.
  if (!target.isSubdomainOf(zone) || zone.labelCount <= current.labelCount || !zone.isSubdomainOf(current))
    return undefined;
  const servers: NsHost[] = [];
  for (const rr of ns) {
    if (!rr.name.equals(zone) || servers.some((s) => s.name.equals(rr.data.target))) continue;
    const host = rr.data.target;
    // Bailiwick: glue is taken only for names inside the referring server's own zone.
    const addresses = host.isSubdomainOf(current)
      ? msg.additionals
          .filter((g) => (g.type === RRType.A || g.type === RRType.AAAA) && g.name.equals(host))
          .map((g) => (g.data as { address: string }).address)
      : [];
    servers.push({ name: host, addresses });
  }
  const parentDs = msg.authorities.filter((rr) => {
    if (rr.type === RRType.DS) return rr.name.equals(zone);
    if (PROOF_TYPES.has(rr.type)) return true;
    if (isType(rr, RRType.RRSIG)) {
      const covered = rr.data.typeCovered;
      return (covered === RRType.DS && rr.name.equals(zone)) || PROOF_TYPES.has(covered);
    }
    return false;
  });
  return { zone, servers, parentDs, ttl: Math.min(...ns.map((rr) => rr.ttl)) };
}

/**
 * A response to "zone DS" made from what a referral carried: the DS RRset in the answer
 * section, or the NSEC/NSEC3 proof of its absence in the authority section (RFC 4035 §3.1.4.1:
 * the parent's own, signed data). Marked authoritative so it is never read as a referral.
 */
export function dsResponseFromReferral(zone: Name, records: readonly Rr[], id = 0): Message {
  const isDs = (rr: Rr): boolean =>
    rr.type === RRType.DS || (isType(rr, RRType.RRSIG) && rr.data.typeCovered === RRType.DS);
  const hasDs = records.some((rr) => rr.type === RRType.DS);
  return {
    id,
    flags: { ...DEFAULT_FLAGS, qr: true, aa: true },
    rcode: Rcode.NOERROR,
    questions: [{ name: zone, type: RRType.DS, class: RRClass.IN }],
    answers: hasDs ? records.filter(isDs) : [],
    authorities: hasDs ? [] : records.filter((rr) => !isDs(rr)),
    additionals: [],
  };
}

/**
 * Drop what an authoritative server for `zone` cannot speak for: answer and authority records
 * owned by names outside the zone (cache-poisoning defence, as every iterative resolver does;
 * RFC 5452 §6). When a CNAME or DNAME chain leaves the zone, an NXDOMAIN rcode is about the
 * outside target and is dropped too: the chain must be followed with a query of its own.
 */
export function scrubResponse(msg: Message, zone: Name): Message {
  const inZone = (rr: Rr): boolean => rr.name.isSubdomainOf(zone);
  const answers = msg.answers.filter(inZone);
  const authorities = msg.authorities.filter(inZone);
  const leaves = answers.some(
    (rr) => (isType(rr, RRType.CNAME) || isType(rr, RRType.DNAME)) && !rr.data.target.isSubdomainOf(zone),
  );
  const rcode = leaves && msg.rcode === Rcode.NXDOMAIN ? Rcode.NOERROR : msg.rcode;
  if (
    answers.length === msg.answers.length &&
    authorities.length === msg.authorities.length &&
    rcode === msg.rcode
  )
    return msg;
  return { ...msg, rcode, answers, authorities };
}
