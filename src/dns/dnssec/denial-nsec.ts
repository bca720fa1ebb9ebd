/**
 * Authenticated denial of existence with NSEC (RFC 4035 §3.1.3, §5.2, §5.4; RFC 4034 §4.1.1;
 * RFC 6840 §4.1, §4.3, §4.4; RFC 4592 for wildcards). Works on NSEC records whose signatures
 * were already verified, all from the zone `zone`. Order is the canonical order of RFC 4034
 * §6.1 and the last NSEC of a zone wraps around to the apex. Never uses an NSEC whose next name
 * leaves the zone or one synthesized from a wildcard (every proof takes `opts.rrsigs`, the
 * RRSIGs that covered the records: denial-input.ts); a name at or below a delegation without
 * DS is insecure, as in denial-nsec3.ts. Proofs return values; nothing throws. Pure; no I/O.
 */
import { compareNames, RRType, type Name, type NsecRdata, type Rr } from '../wire/index.ts';
import { usableDenialRecords, type DenialOptions } from './denial-input.ts';
import { Ede, type DenialProof } from './proof.ts';

function has(nsec: Rr<NsecRdata>, type: number): boolean {
  return nsec.data.types.includes(type);
}

/**
 * RFC 6840 §4.1: an "ancestor delegation" NSEC has "the NS bit set, the Start of Authority
 * (SOA) bit clear, and a signer field that is shorter than the owner name". "Ancestor
 * delegation NSEC or NSEC3 RRs MUST NOT be used to assume nonexistence of any RRs below that
 * zone cut, which include all RRs at that (original) owner name other than DS RRs, and all RRs
 * below that owner name regardless of type." The same holds for names below a DNAME owner.
 */
function isDelegation(nsec: Rr<NsecRdata>): boolean {
  return has(nsec, RRType.NS) && !has(nsec, RRType.SOA);
}

function shadows(nsec: Rr<NsecRdata>, name: Name): boolean {
  if (name.equals(nsec.name) || !name.isSubdomainOf(nsec.name)) return false;
  return isDelegation(nsec) || has(nsec, RRType.DNAME);
}

function strictlyBelow(name: Name, ancestor: Name): boolean {
  return name.labelCount > ancestor.labelCount && name.isSubdomainOf(ancestor);
}

/**
 * RFC 4035 §5.4: "If the requested RR name matches the owner name of an authenticated NSEC RR,
 * then the NSEC RR's type bit map field lists all RR types present at that owner name".
 * Names compare case-insensitively (RFC 4034 §6.2).
 */
export function nsecMatches(nsec: Rr<NsecRdata>, name: Name): boolean {
  return nsec.name.equals(name);
}

/**
 * RFC 4034 §4.1.1: "The Next Domain field contains the next owner name (in the canonical
 * ordering of the zone)"; the NSEC's owner and next name lie in its zone.
 */
function withinZone(nsec: Rr<NsecRdata>, zone: Name): boolean {
  return nsec.name.isSubdomainOf(zone) && nsec.data.nextName.isSubdomainOf(zone);
}

/**
 * RFC 4035 §5.4: "If the requested RR name would appear after an authenticated NSEC RR's owner
 * name and before the name listed in that NSEC RR's Next Domain Name field according to the
 * canonical DNS name order defined in [RFC4034], then no RRsets with the requested name exist
 * in the zone". True when the NSEC proves `name` does not exist: the name sorts strictly
 * between owner and next name, it is not an empty non-terminal (the next name is not below it)
 * and the NSEC is not an ancestor delegation or DNAME above it (RFC 6840 §4.1). RFC 4034
 * §4.1.1: "The value of the Next Domain Name field in the last NSEC record in the zone is the
 * name of the zone apex" — so a wrapping NSEC covers only names below its next name, which must
 * contain the owner and, when `zone` (the signer) is given, equal it. With `zone`, an NSEC whose
 * owner or next name leaves the zone covers nothing. Pass `zone` whenever it is known.
 */
export function nsecCovers(nsec: Rr<NsecRdata>, name: Name, zone?: Name): boolean {
  const owner = nsec.name;
  const next = nsec.data.nextName;
  if (zone !== undefined && (!withinZone(nsec, zone) || !name.isSubdomainOf(zone))) return false;
  if (name.equals(owner) || shadows(nsec, name)) return false;
  if (strictlyBelow(next, name)) return false; // name is an empty non-terminal
  if (compareNames(owner, next) < 0) return compareNames(owner, name) < 0 && compareNames(name, next) < 0;
  // Last NSEC in the chain (or the only one): its next name is the zone apex.
  if (zone !== undefined && !next.equals(zone)) return false;
  return owner.isSubdomainOf(next) && compareNames(owner, name) < 0 && strictlyBelow(name, next);
}

/**
 * The closest encloser of `qname` implied by an NSEC that covers it (RFC 4592 §3.3.1): the
 * longest ancestor of qname shared with the owner or the next name.
 */
export function nsecClosestEncloser(qname: Name, nsec: Rr<NsecRdata>): Name {
  const n = Math.max(qname.commonSuffixLength(nsec.name), qname.commonSuffixLength(nsec.data.nextName));
  return qname.suffix(n);
}

/**
 * The NSECs a proof may use: of the zone (owner and next name inside it, RFC 4034 §4.1.1) and
 * not synthesized from a wildcard (denial-input.ts).
 */
function usable(
  nsecs: readonly Rr<NsecRdata>[],
  zone: Name | undefined,
  opts: DenialOptions,
): Rr<NsecRdata>[] {
  const records = usableDenialRecords(nsecs, { zone, rrsigs: opts.rrsigs });
  return zone === undefined ? records : records.filter((n) => withinZone(n, zone));
}

/**
 * A parent-side NSEC with NS but neither DS nor SOA proves an insecure delegation (RFC 4035
 * §5.2; RFC 6840 §4.4: "The validator also MUST check for the presence of the NS bit in the
 * matching NSEC (or NSEC3) RR (proving that there is, indeed, a delegation)"). Everything at or
 * below such a name lives in an unsigned zone: the answer is insecure — never a proven absence
 * (RFC 6840 §4.1). A delegation with DS there means the answer should have been a referral:
 * bogus. Undefined when no delegation NSEC is at (when `orSelf`) or above `name`.
 */
function delegationVerdict(
  name: Name,
  records: readonly Rr<NsecRdata>[],
  orSelf: boolean,
): DenialProof | undefined {
  let cut: Rr<NsecRdata> | undefined;
  for (const rr of records) {
    if (!isDelegation(rr) || !name.isSubdomainOf(rr.name) || (!orSelf && name.equals(rr.name))) continue;
    if (cut === undefined || rr.name.labelCount > cut.name.labelCount) cut = rr;
  }
  if (cut === undefined) return undefined;
  const at = cut.name.toString();
  if (has(cut, RRType.DS))
    return bogus(`${at} is a signed delegation: ${name.toString()} needs a referral`, Ede.DNSSEC_BOGUS);
  return { status: 'insecure', reason: `${at} is an insecure delegation (NS without DS)` };
}

function bogus(reason: string, ede: number = Ede.NSEC_MISSING): DenialProof {
  return { status: 'bogus', reason, ede };
}

/**
 * NXDOMAIN (RFC 4035 §5.4, §3.1.3.2): an NSEC proves qname does not exist, and an NSEC proves
 * that the wildcard at the closest encloser does not exist either — "proving that the
 * requested RRset does not exist also requires proving that no possible wildcard RRset exists
 * that could have been used to generate a positive response". Below a delegation without DS the
 * answer is insecure (see `delegationVerdict`).
 */
export function proveNxdomainNsec(
  qname: Name,
  nsecs: readonly Rr<NsecRdata>[],
  zone?: Name,
  opts: DenialOptions = {},
): DenialProof {
  const records = usable(nsecs, zone, opts);
  const q = qname.toString();
  if (records.some((n) => nsecMatches(n, qname)))
    return bogus(`an NSEC shows that ${q} exists`, Ede.DNSSEC_BOGUS);
  const cut = delegationVerdict(qname, records, false);
  if (cut !== undefined) return cut;
  const cover = records.find((n) => nsecCovers(n, qname, zone));
  if (cover === undefined) return bogus(`no NSEC proves that ${q} does not exist`);
  const ce = nsecClosestEncloser(qname, cover);
  const wildcard = ce.prepend('*');
  if (records.some((n) => nsecMatches(n, wildcard))) {
    return bogus(`wildcard ${wildcard.toString()} exists, so ${q} is not NXDOMAIN`, Ede.DNSSEC_BOGUS);
  }
  if (!records.some((n) => nsecCovers(n, wildcard, zone))) {
    return bogus(`no NSEC proves that the wildcard ${wildcard.toString()} does not exist`);
  }
  return { status: 'secure', reason: `NSEC proves ${q} does not exist`, closestEncloser: ce };
}

/** The type bitmap of an NSEC matching the name (or the wildcard) must deny qtype and CNAME. */
function deniesType(nsec: Rr<NsecRdata>, qtype: number, qname: Name): string | undefined {
  const at = nsec.name.toString();
  if (has(nsec, qtype)) return `the NSEC at ${at} lists the queried type`;
  // RFC 6840 §4.3: "validators MUST check the CNAME bit in the matching NSEC or NSEC3 RR's type
  // bitmap in addition to the bit for the query type".
  if (qtype !== RRType.CNAME && has(nsec, RRType.CNAME)) return `the NSEC at ${at} lists a CNAME`;
  // RFC 4035 §5.2: "A security-aware resolver MUST use the parent NSEC RR when attempting to
  // prove that a DS RRset does not exist" — the child's apex NSEC has the SOA bit set.
  if (qtype === RRType.DS && has(nsec, RRType.SOA) && !qname.isRoot) {
    return `the NSEC at ${at} is the child zone's apex NSEC, not the parent's`;
  }
  return undefined;
}

/**
 * NODATA (RFC 4035 §5.4, §3.1.3.1, §3.1.3.4): an NSEC at qname without qtype and CNAME; or
 * qname is an empty non-terminal (an NSEC's next name lies below it); or qname does not exist
 * and the NSEC at the wildcard of its closest encloser lacks qtype and CNAME. For any type but
 * DS, a qname at or below a delegation without DS is insecure, with DS bogus (RFC 6840 §4.1: the
 * parent-side NSEC proves only the absence of DS), as in proveNodataNsec3.
 */
export function proveNodataNsec(
  qname: Name,
  qtype: number,
  nsecs: readonly Rr<NsecRdata>[],
  zone?: Name,
  opts: DenialOptions = {},
): DenialProof {
  const records = usable(nsecs, zone, opts);
  const q = qname.toString();
  const match = records.find((n) => nsecMatches(n, qname));
  if (match !== undefined) {
    const why = deniesType(match, qtype, qname);
    if (why !== undefined) return bogus(why, Ede.DNSSEC_BOGUS);
  }
  const cut = qtype === RRType.DS ? undefined : delegationVerdict(qname, records, true);
  if (cut !== undefined) return cut;
  if (match !== undefined) return { status: 'secure', reason: `NSEC at ${q} denies the type` };
  const ent = records.find(
    (n) => compareNames(n.name, qname) < 0 && strictlyBelow(n.data.nextName, qname) && !shadows(n, qname),
  );
  if (ent !== undefined) return { status: 'secure', reason: `${q} is an empty non-terminal` };
  const cover = records.find((n) => nsecCovers(n, qname, zone));
  if (cover === undefined) return bogus(`no NSEC proves that ${q} has no data of the type`);
  return wildcardNodata(qname, qtype, records, nsecClosestEncloser(qname, cover));
}

/** RFC 4035 §3.1.3.4: the NSEC at the wildcard of the closest encloser lacks qtype and CNAME. */
function wildcardNodata(
  qname: Name,
  qtype: number,
  records: readonly Rr<NsecRdata>[],
  ce: Name,
): DenialProof {
  const wildcard = ce.prepend('*');
  const wc = records.find((n) => nsecMatches(n, wildcard));
  if (wc === undefined)
    return bogus(`no NSEC for the wildcard ${wildcard.toString()} of ${qname.toString()}`);
  const why = deniesType(wc, qtype, qname);
  if (why !== undefined) return bogus(why, Ede.DNSSEC_BOGUS);
  if (qtype !== RRType.DS && isDelegation(wc))
    return bogus(`the wildcard ${wildcard.toString()} is a delegation`, Ede.DNSSEC_BOGUS);
  return { status: 'secure', reason: `wildcard NODATA at ${wildcard.toString()}`, closestEncloser: ce };
}

/**
 * A wildcard expansion (RFC 4035 §5.3.4): qname was synthesized from `wildcard`; an NSEC must
 * prove that the next closer name — qname cut to one label below the closest encloser — does
 * not exist, so no closer match for qname exists.
 */
export function proveWildcardAnswerNsec(
  qname: Name,
  wildcard: Name,
  nsecs: readonly Rr<NsecRdata>[],
  zone?: Name,
  opts: DenialOptions = {},
): DenialProof {
  const records = usable(nsecs, zone, opts);
  const ce = wildcard.stripLeft(1);
  if (!wildcard.isWildcard || !strictlyBelow(qname, ce)) {
    return bogus(`${qname.toString()} cannot be an expansion of ${wildcard.toString()}`, Ede.DNSSEC_BOGUS);
  }
  const nextCloser = qname.suffix(ce.labelCount + 1);
  if (!records.some((n) => nsecCovers(n, nextCloser, zone))) {
    return bogus(`no NSEC proves that ${nextCloser.toString()} does not exist (wildcard answer)`);
  }
  return {
    status: 'secure',
    reason: `wildcard expansion of ${wildcard.toString()} proven`,
    closestEncloser: ce,
  };
}

/**
 * No DS at `name` (RFC 4035 §5.2, RFC 6840 §4.4): the parent's NSEC at `name` lists NS but
 * neither DS nor SOA — an insecure delegation (`zoneCut: true`); "The validator also MUST check
 * for the presence of the NS bit in the matching NSEC (or NSEC3) RR (proving that there is,
 * indeed, a delegation)". An NSEC at `name` without NS,
 * an empty non-terminal or a non-existent name prove there is no zone cut (`zoneCut: false`).
 */
export function proveNoDsNsec(
  name: Name,
  nsecs: readonly Rr<NsecRdata>[],
  zone?: Name,
  opts: DenialOptions = {},
): DenialProof {
  const records = usable(nsecs, zone, opts);
  const n = name.toString();
  const match = records.find((x) => nsecMatches(x, name));
  if (match !== undefined) {
    if (has(match, RRType.SOA) && !name.isRoot)
      return bogus(`the NSEC at ${n} is from the child zone`, Ede.DNSSEC_BOGUS);
    if (has(match, RRType.DS)) return bogus(`the NSEC at ${n} lists DS`, Ede.DNSSEC_BOGUS);
    if (has(match, RRType.CNAME)) return bogus(`the NSEC at ${n} lists a CNAME`, Ede.DNSSEC_BOGUS);
    if (!has(match, RRType.NS))
      return { status: 'secure', reason: `${n} is not a delegation`, zoneCut: false };
    return { status: 'secure', reason: `${n} is a delegation without DS`, zoneCut: true };
  }
  const nodata = proveNodataNsec(name, RRType.DS, records, zone);
  if (nodata.status === 'secure') return { ...nodata, zoneCut: false };
  const nx = proveNxdomainNsec(name, records, zone);
  if (nx.status === 'secure') return { ...nx, zoneCut: false };
  return bogus(`no NSEC proves the absence of DS at ${n}`);
}
