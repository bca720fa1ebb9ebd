/**
 * Which TLSA records an SMTP client may use (RFC 7672 §2.2, §3.1.3; RFC 6698 §4.1) and digest
 * algorithm agility (RFC 7671 §9). Pure: no I/O, no clock, no crypto.
 *
 * Choices (documented as the brief asks):
 * - PKIX-TA(0)/PKIX-EE(1) are unusable for SMTP (RFC 7672 §3.1.3 permits this), as are
 *   unassigned and private-use code points.
 * - Full(0) association data is not a digest, so digest agility never removes it; it must be a
 *   single well-formed DER SEQUENCE (a certificate or a SubjectPublicKeyInfo).
 * - Among SHA2-256(1) and SHA2-512(2), for each (usage, selector) only the records of the
 *   strongest matching type present among the usable records are used; our ranking is
 *   SHA2-512 over SHA2-256 (RFC 7671 §9 lets the client rank by its own preference).
 */
import { describeTlsaParams, Matching, type TlsaRecord } from './types.ts';

/** A record set aside, with the reason. */
export interface SetAsideTlsa {
  readonly record: TlsaRecord;
  readonly reason: string;
}

/** Result of classifying a TLSA RRset. */
export interface TlsaClassification {
  /** Records to match against the peer, after digest agility. */
  readonly usable: TlsaRecord[];
  /** Records the client cannot use at all. */
  readonly unusable: SetAsideTlsa[];
  /** Usable records not used because a stronger digest exists for their (usage, selector). */
  readonly superseded: SetAsideTlsa[];
}

/** Length in octets of each digest matching type (RFC 6698 §2.1.3, RFC 6234). */
const DIGEST_LENGTH: Readonly<Record<number, number>> = { [Matching.SHA2_256]: 32, [Matching.SHA2_512]: 64 };

/** Our digest preference (higher is stronger); Full(0) is absent on purpose: it is no digest. */
const DIGEST_RANK: Readonly<Record<number, number>> = { [Matching.SHA2_256]: 1, [Matching.SHA2_512]: 2 };

/** True when `data` is exactly one DER SEQUENCE with a definite length (shape check only). */
function isOneDerSequence(data: Uint8Array): boolean {
  if (data.length < 2 || data[0] !== 0x30) return false;
  const first = data[1] as number;
  if (first < 0x80) return data.length === 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || data.length < 2 + count) return false;
  let len = 0;
  for (let i = 0; i < count; i++) len = len * 256 + (data[2 + i] as number);
  return data.length === 2 + count + len;
}

/**
 * Why `record` is unusable, or undefined when it is usable.
 * RFC 6698 §4.1: "If a certificate association contains a certificate usage, selector, or
 * matching type that is not understood by the TLS client, that certificate association MUST be
 * marked as unusable. If the comparison data for a certificate is malformed, the certificate
 * association MUST be marked as unusable."
 */
export function unusableReason(record: TlsaRecord): string | undefined {
  const { usage, selector, matchingType, data } = record;
  // RFC 7672 §3.1.3: "SMTP client treatment of TLSA RRs with certificate usages PKIX-TA(0) or
  // PKIX-EE(1) is undefined. As with any other unsupported certificate usage, SMTP clients MAY
  // treat such records as "unusable"."
  if (usage === 0 || usage === 1)
    return `certificate usage ${describeTlsaParams(record).split(' ')[0]} is not used for SMTP (RFC 7672 §3.1.3)`;
  if (usage !== 2 && usage !== 3) return `unsupported certificate usage ${usage}`;
  if (selector !== 0 && selector !== 1) return `unsupported selector ${selector}`;
  if (matchingType === Matching.FULL) {
    if (data.length === 0) return 'empty Full(0) association data';
    if (!isOneDerSequence(data))
      return `Full(0) association data is not a DER ${selector === 0 ? 'certificate' : 'SubjectPublicKeyInfo'}`;
    return undefined;
  }
  const want = DIGEST_LENGTH[matchingType];
  if (want === undefined) return `unsupported matching type ${matchingType}`;
  if (data.length !== want)
    return `${describeTlsaParams(record).split(' ')[2] ?? ''} digest has ${data.length} octets, not ${want}`;
  return undefined;
}

/**
 * Split a TLSA RRset into usable, unusable and superseded records.
 *
 * RFC 7671 §9 (digest algorithm agility), for an RRset with "3 1 0", "3 1 1" and "3 1 2"
 * records: "the client SHOULD accept a server public key that matches either the "3 1 0" record
 * or the "3 1 2" record, but it SHOULD NOT accept keys that match only the weaker "3 1 1"
 * record." So for each (usage, selector) we keep Full(0) and the strongest digest present.
 */
export function classifyTlsa(records: readonly TlsaRecord[]): TlsaClassification {
  const unusable: SetAsideTlsa[] = [];
  const candidates: TlsaRecord[] = [];
  for (const record of records) {
    const reason = unusableReason(record);
    if (reason === undefined) candidates.push(record);
    else unusable.push({ record, reason });
  }
  const strongest = new Map<string, number>();
  for (const r of candidates) {
    const rank = DIGEST_RANK[r.matchingType];
    const key = `${r.usage}/${r.selector}`;
    if (rank !== undefined && rank > (strongest.get(key) ?? 0)) strongest.set(key, rank);
  }
  const usable: TlsaRecord[] = [];
  const superseded: SetAsideTlsa[] = [];
  for (const r of candidates) {
    const rank = DIGEST_RANK[r.matchingType];
    const best = strongest.get(`${r.usage}/${r.selector}`) ?? 0;
    if (rank === undefined || rank === best) usable.push(r);
    else
      superseded.push({
        record: r,
        reason: `a stronger digest is published for ${describeTlsaParams(r).split(' ').slice(0, 2).join(' ')} (RFC 7671 §9)`,
      });
  }
  return { usable, unusable, superseded };
}
