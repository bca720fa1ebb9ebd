/**
 * The NSEC / NSEC3 RRsets of a response that may serve as a denial proof for a zone: those
 * signed by the zone (sets signed by someone else are no evidence either way and are left
 * out), each signature verified with the zone's validated keys. A set whose signature does not
 * verify makes the response bogus. Sets that cannot prove anything are dropped:
 * - an NSEC or NSEC3 RRset that was itself synthesized from a wildcard (its RRSIG Labels field
 *   is smaller than its owner's label count): RFC 4035 §5.3.4 makes wildcard expansion a
 *   statement about the expanded name only; NSEC records say nothing about their own owner when
 *   expanded, and accepting them is CVE-2017-15105;
 * - an NSEC whose next name lies outside the zone (RFC 4034 §4.1.1: "The Next Domain field
 *   contains the next owner name (in the canonical ordering of the zone)"): it would deny
 *   names of other zones.
 * Pure apart from the signature checks it charges to the lookup's budget.
 */
import { isType, RRType, typeToString, type DnskeyRdata, type Name, type Rr } from '../wire/index.ts';
import { verifySet, type DnssecCrypto, type ValidationContext } from './verify-set.ts';
import type { RRset } from './rrset.ts';

export type VerifiedProofs =
  { ok: true; sets: RRset[]; ttl: number } | { ok: false; reason: string; ede: number };

function inZone(set: RRset, zone: Name): boolean {
  if (!set.name.isSubdomainOf(zone)) return false;
  if (set.type !== RRType.NSEC) return true;
  return set.rrs.every((rr) => !isType(rr, RRType.NSEC) || rr.data.nextName.isSubdomainOf(zone));
}

/** Verify and filter the NSEC/NSEC3 RRsets of `authority` for the zone of `keys`. */
export function verifiedProofs(
  authority: readonly RRset[],
  keys: { zone: Name; keys: Rr<DnskeyRdata>[]; ttl: number },
  ctx: ValidationContext,
  opts: { crypto: DnssecCrypto; maxKeysPerTag: number },
): VerifiedProofs {
  let ttl = keys.ttl;
  const sets: RRset[] = [];
  for (const set of authority) {
    if (set.type !== RRType.NSEC && set.type !== RRType.NSEC3) continue;
    if (!set.sigs.some((s) => s.data.signerName.equals(keys.zone))) continue;
    const v = verifySet(set, keys, ctx, opts);
    if (!v.ok) {
      return {
        ok: false,
        reason: `${set.name.toString()} ${typeToString(set.type)}: ${v.reason}`,
        ede: v.ede,
      };
    }
    if (v.wildcard !== undefined) {
      ctx.trace?.(`; ${set.name.toString()} ${typeToString(set.type)} was expanded from a wildcard: ignored`);
      continue;
    }
    if (!inZone(set, keys.zone)) {
      ctx.trace?.(`; ${set.name.toString()} NSEC reaches outside ${keys.zone.toString()}: ignored`);
      continue;
    }
    ttl = Math.min(ttl, v.ttl, set.ttl);
    sets.push(set);
  }
  return { ok: true, sets, ttl };
}
