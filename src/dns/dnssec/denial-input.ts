/**
 * Which signature-verified NSEC / NSEC3 records may serve as a denial proof at all (RFC 4035
 * §5.3.4, RFC 4034 §3.1.3; CVE-2017-15105): records of the zone only, and never a record that
 * was itself synthesized from a wildcard, which the Labels field of the RRSIG that covered it
 * shows. The proofs of denial-nsec.ts and denial-nsec3.ts filter their input through here.
 * Pure; never verifies a signature itself (the caller already did).
 */
import type { Name, Rr, RrsigRdata } from '../wire/index.ts';

/** What the caller knows about the signatures of the records handed to a proof. */
export interface DenialOptions {
  /**
   * The RRSIGs that covered the NSEC / NSEC3 RRsets when they were verified (other RRSIGs may be
   * included). A record covered by an RRSIG here whose Labels field shows a wildcard expansion
   * is ignored. Without this option the caller vouches that no record was expanded.
   */
  rrsigs?: readonly Rr<RrsigRdata>[] | undefined;
}

/**
 * RFC 4035 §5.3.4: "If the number of labels in an RRset's owner name is greater than the Labels
 * field of the covering RRSIG RR, then the RRset and its covering RRSIG RR were created as a
 * result of wildcard expansion." RFC 4034 §3.1.3: "The value of the Labels field MUST NOT count
 * either the null (root) label that terminates the owner name or the wildcard label (if
 * present)." True when an RRset at `owner` covered by an RRSIG with `rrsigLabels` was expanded.
 */
export function isWildcardExpansion(owner: Name, rrsigLabels: number): boolean {
  const count = owner.isWildcard ? owner.labelCount - 1 : owner.labelCount;
  return rrsigLabels < count;
}

/**
 * True when an RRSIG of `rrsigs` covering `rr` (same owner, class and type) says it was
 * synthesized from a wildcard. RFC 4035 §5.3.4 makes an expanded RRset a statement about the
 * expanded name only; an expanded NSEC or NSEC3 would deny names the wildcard's record never
 * spoke about (CVE-2017-15105). One such RRSIG is enough: the verified one may be any of them.
 */
export function isExpandedRecord(rr: Rr, rrsigs: readonly Rr<RrsigRdata>[]): boolean {
  return rrsigs.some(
    (s) =>
      s.data.typeCovered === rr.type &&
      s.class === rr.class &&
      s.name.equals(rr.name) &&
      isWildcardExpansion(rr.name, s.data.labels),
  );
}

/**
 * The records that may take part in a denial proof: owners inside `zone` (when given) and not
 * shown by `rrsigs` to be wildcard expansions. Order is kept.
 */
export function usableDenialRecords<T extends Rr>(
  records: readonly T[],
  opts: DenialOptions & { zone?: Name | undefined },
): T[] {
  const { zone, rrsigs } = opts;
  return records.filter(
    (rr) =>
      (zone === undefined || rr.name.isSubdomainOf(zone)) &&
      (rrsigs === undefined || !isExpandedRecord(rr, rrsigs)),
  );
}
