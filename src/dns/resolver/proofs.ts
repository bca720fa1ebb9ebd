/**
 * The NSEC / NSEC3 RRsets of a response that may serve as a denial proof for a zone: those
 * signed by the zone (sets signed by someone else are no evidence either way and are left
 * out), each signature verified with the zone's validated keys. A set whose signature does not
 * verify makes the response bogus. The sets keep their RRSIGs: the proofs of dns/dnssec read
 * them to ignore records synthesized from a wildcard (RFC 4035 §5.3.4, CVE-2017-15105), and
 * ignore NSECs whose next name leaves the zone (RFC 4034 §4.1.1) themselves.
 * Pure apart from the signature checks it charges to the lookup's budget.
 */
import { RRType, typeToString, type DnskeyRdata, type Name, type Rr } from '../wire/index.ts';
import { verifySet, type DnssecCrypto, type ValidationContext } from './verify-set.ts';
import type { RRset } from './rrset.ts';

export type VerifiedProofs =
  { ok: true; sets: RRset[]; ttl: number } | { ok: false; reason: string; ede: number };

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
      ctx.trace?.(
        `; ${set.name.toString()} ${typeToString(set.type)} was expanded from a wildcard: no proof`,
      );
    }
    ttl = Math.min(ttl, v.ttl, set.ttl);
    sets.push(set);
  }
  return { ok: true, sets, ttl };
}
