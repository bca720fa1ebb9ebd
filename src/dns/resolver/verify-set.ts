/**
 * The crypto seam of validation and the one RRset check everything uses: verify an RRset with a
 * zone's validated DNSKEYs (RFC 4035 §5.3) through dns/dnssec, charging every signature check to
 * the lookup's budget (KeyTrap, CVE-2023-50387). Product code always uses `DEFAULT_CRYPTO`;
 * replaying Unbound's test data injects a stand-in — in tests only.
 */
import {
  dsMatchesKey,
  Ede,
  isAlgorithmSupported,
  isDigestSupported,
  nsec3Sha1,
  verifyRrsetAny,
  verifySignature,
  type Nsec3HashFunction,
  type Nsec3Hashes,
  type SignatureVerifier,
} from '../dnssec/index.ts';
import type { DnskeyRdata, DsRdata, Name, Rr } from '../wire/index.ts';
import type { Budget } from './budget.ts';
import type { TtlPolicy } from './defaults.ts';
import type { RRset } from './rrset.ts';

/**
 * The cryptographic decisions of validation. Product code always uses `DEFAULT_CRYPTO`; replaying
 * Unbound's test data (`fake-sha1: yes`) injects a stand-in — in tests only.
 */
export interface DnssecCrypto {
  verify: SignatureVerifier;
  isAlgorithmSupported(algorithm: number): boolean;
  isDigestSupported(digestType: number): boolean;
  dsMatchesKey(ds: DsRdata, owner: Name, key: DnskeyRdata): boolean | 'unsupported-digest';
  /** RFC 5155 §5 hashing (tests count the calls, as they count signature checks). */
  nsec3Hash: Nsec3HashFunction;
}

export const DEFAULT_CRYPTO: DnssecCrypto = {
  verify: verifySignature,
  isAlgorithmSupported,
  isDigestSupported,
  dsMatchesKey,
  nsec3Hash: nsec3Sha1,
};

export interface ValidationContext {
  budget: Budget;
  /** Validation time, seconds since the epoch. */
  now: number;
  trace?: ((line: string) => void) | undefined;
  /** NSEC/NSEC3 RRsets seen in this lookup's responses (unverified; the key walk may use them). */
  proofs?: RRset[];
  /** The resolver's cache lifetimes (maxTtl, bogusTtl). */
  ttl: TtlPolicy;
  /** The NSEC3 hashes of this lookup: each computed once, each charged to the budget. */
  nsec3: Nsec3Hashes;
}

/** Verify an RRset with a secure key set, charging the budget; shared with the response validator. */
export type SetVerdict =
  { ok: true; ttl: number; keyTag?: number; wildcard?: Name } | { ok: false; reason: string; ede: number };

/** Verdicts already reached in this process, per RRset object and key set (no work is repeated). */
const memo = new WeakMap<RRset, WeakMap<readonly Rr<DnskeyRdata>[], { now: number; verdict: SetVerdict }>>();

export function verifySet(
  set: RRset,
  keys: { zone: Name; keys: Rr<DnskeyRdata>[] },
  ctx: ValidationContext,
  opts: { crypto: DnssecCrypto; maxKeysPerTag: number },
): SetVerdict {
  const seen = memo.get(set)?.get(keys.keys);
  if (seen?.now === ctx.now) return seen.verdict;
  const verdict = verifyNow(set, keys, ctx, opts);
  let byKeys = memo.get(set);
  if (byKeys === undefined) {
    byKeys = new WeakMap();
    memo.set(set, byKeys);
  }
  byKeys.set(keys.keys, { now: ctx.now, verdict });
  return verdict;
}

function verifyNow(
  set: RRset,
  keys: { zone: Name; keys: Rr<DnskeyRdata>[] },
  ctx: ValidationContext,
  opts: { crypto: DnssecCrypto; maxKeysPerTag: number },
): SetVerdict {
  const sigs = set.sigs.filter((s) => s.data.signerName.equals(keys.zone));
  if (sigs.length === 0) {
    return { ok: false, reason: `no RRSIG by ${keys.zone.toString()}`, ede: Ede.RRSIGS_MISSING };
  }
  const res = verifyRrsetAny(set.rrs, sigs, keys.keys, {
    now: ctx.now,
    maxKeysPerTag: opts.maxKeysPerTag,
    maxChecks: ctx.budget.signaturesLeft,
    verify: opts.crypto.verify,
    isSupported: (alg) => opts.crypto.isAlgorithmSupported(alg),
  });
  ctx.budget.spendSignatures(res.checks);
  if (!res.ok) return { ok: false, reason: res.reason, ede: res.ede };
  return {
    ok: true,
    ttl: res.ttl,
    keyTag: res.keyTag,
    ...(res.wildcard === undefined ? {} : { wildcard: res.wildcard }),
  };
}
