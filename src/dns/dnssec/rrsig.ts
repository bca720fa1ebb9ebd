/**
 * RRset signature verification (RFC 4035 §5.3): the RRSIG's fields against the RRset and the
 * zone's DNSKEYs (§5.3.1), the signed data (§5.3.2, canonical.ts), the crypto (§5.3.3,
 * algorithms.ts through an injectable verifier) and the TTL of a validated RRset (§5.3.3).
 * REVOKEd keys (RFC 5011 §2.1) and key-tag collision limits (KeyTrap, CVE-2023-50387) are
 * applied here. Verdicts are values; nothing throws. Pure: time arrives as seconds.
 */
import { equalBytes } from '../../util/index.ts';
import { DnskeyFlag, RRType, type DnskeyRdata, type Name, type Rr, type RrsigRdata } from '../wire/index.ts';
import { isAlgorithmSupported, verifySignature, type SignatureVerifier } from './algorithms.ts';
import { signedData, signedOwner } from './canonical.ts';
import { keyTag } from './keytag.ts';
import { Ede } from './proof.ts';
import { checkWindow, serialDistance } from './serial.ts';

/** Options of a signature check. */
export interface VerifyOptions {
  /** The validator's current time, seconds since the epoch. */
  now: number;
  /** The crypto; defaults to algorithms.ts. Tests may inject a fake — product code never does. */
  verify?: SignatureVerifier;
  /** At most this many keys sharing the RRSIG's tag and algorithm are tried (default 4). */
  maxKeysPerTag?: number;
  /** At most this many signature verifications in this call (KeyTrap bound; default 16). */
  maxChecks?: number;
  /**
   * Which algorithms `verify` implements; defaults to algorithms.ts's list when `verify` is not
   * injected (an injected verifier is asked, and may answer 'unsupported' itself).
   */
  isSupported?: (algorithm: number) => boolean;
}

/** A verified RRset: the key that verified it, the TTL it may be cached for, the wildcard used. */
export interface RrsetVerified {
  ok: true;
  key: Rr<DnskeyRdata>;
  keyTag: number;
  rrsig: Rr<RrsigRdata>;
  /** min(smallest RR TTL, Original TTL, expiration − now) (RFC 4035 §5.3.3). */
  ttl: number;
  /** The wildcard owner the RRset was synthesized from, when the Labels field says so. */
  wildcard?: Name;
  /** Signature verifications (crypto operations) spent. */
  checks: number;
}

/** A failed check: why, the EDE code, and whether it failed only for lack of algorithm support. */
export interface RrsetFailed {
  ok: false;
  reason: string;
  ede: number;
  unsupported?: boolean;
  /** Signature verifications (crypto operations) spent. */
  checks: number;
}

export type RrsetVerdict = RrsetVerified | RrsetFailed;

const DEFAULT_MAX_KEYS_PER_TAG = 4;

const DEFAULT_MAX_CHECKS = 16;

function fail(reason: string, ede: number = Ede.DNSSEC_BOGUS, checks = 0): RrsetFailed {
  return { ok: false, reason, ede, checks };
}

function unsupported(algorithm: number, checks = 0): RrsetFailed {
  const reason = `DNSKEY algorithm ${algorithm} unsupported`;
  return { ok: false, reason, ede: Ede.UNSUPPORTED_DNSKEY_ALGORITHM, unsupported: true, checks };
}

function sameName(a: Name, b: Name): boolean {
  return a === b || a.equals(b);
}

/** The RRset's members share owner, type and class (RFC 4034 §6.3 defines an RRset so). */
function checkRrset(rrset: readonly Rr[]): RrsetFailed | undefined {
  const first = rrset[0];
  if (first === undefined) return fail('empty RRset');
  for (const rr of rrset) {
    if (rr.type !== first.type || rr.class !== first.class || !sameName(rr.name, first.name)) {
      return fail(`records of ${first.name.toString()} do not form one RRset`);
    }
  }
  return undefined;
}

/** RFC 4035 §5.3.1, the checks that need no key (messages are built only on failure). */
function checkRrsigFields(rrset: readonly Rr[], rrsig: Rr<RrsigRdata>, now: number): RrsetFailed | undefined {
  const first = rrset[0] as Rr;
  const sig = rrsig.data;
  // "The RRSIG RR and the RRset MUST have the same owner name and the same class."
  if (!sameName(rrsig.name, first.name) || rrsig.class !== first.class) {
    return fail(`RRSIG owner or class differs from the RRset ${first.name.toString()}`);
  }
  // "The RRSIG RR's Type Covered field MUST equal the RRset's type."
  if (sig.typeCovered !== first.type) return fail(`RRSIG for ${first.name.toString()} covers another type`);
  // "The RRSIG RR's Signer's Name field MUST be the name of the zone that contains the RRset."
  if (!first.name.isSubdomainOf(sig.signerName)) {
    return fail(`signer ${sig.signerName.toString()} is not an ancestor of ${first.name.toString()}`);
  }
  // "The number of labels in the RRset owner name MUST be greater than or equal to the value
  // in the RRSIG RR's Labels field."
  if (signedOwner(first.name, sig.labels) === undefined) {
    return fail(`RRSIG labels ${sig.labels} exceeds the labels of ${first.name.toString()}`);
  }
  const window = checkWindow(sig.inception, sig.expiration, now);
  if (window === 'valid') return undefined;
  const owner = first.name.toString();
  if (window === 'expired') return fail(`RRSIG for ${owner} expired`, Ede.SIGNATURE_EXPIRED);
  if (window === 'not-yet-valid')
    return fail(`RRSIG for ${owner} not yet valid`, Ede.SIGNATURE_NOT_YET_VALID);
  return fail(`RRSIG for ${owner} has inception after expiration`);
}

/**
 * RFC 5011 §2.1: once the REVOKE bit is seen the key MUST NOT be used "for any other purpose
 * except to validate the RRSIG it signed over the DNSKEY RRSet specifically for the purpose of
 * validating the revocation". So a revoked key may only verify a DNSKEY RRset that is its own
 * apex RRset and contains it.
 */
function revokedKeyMayVerify(key: Rr<DnskeyRdata>, rrset: readonly Rr[]): boolean {
  const first = rrset[0] as Rr;
  if (first.type !== RRType.DNSKEY || !first.name.equals(key.name)) return false;
  return rrset.some((rr) => equalBytes(rr.rdata, key.rdata));
}

interface Candidates {
  keys: Rr<DnskeyRdata>[];
  failure?: RrsetFailed;
}

/**
 * RFC 4035 §5.3.1: "The RRSIG RR's Signer's Name, Algorithm, and Key Tag fields MUST match the
 * owner name, algorithm, and key tag for some DNSKEY RR in the zone's apex DNSKEY RRset" and
 * that key "MUST have the Zone Flag bit (DNSKEY RDATA Flag bit 7) set". RFC 4034 §2.1.2: "The
 * Protocol Field MUST have value 3, and the DNSKEY RR MUST be treated as invalid during
 * signature verification if it is found to be some value other than 3."
 */
function candidateKeys(
  rrset: readonly Rr[],
  rrsig: Rr<RrsigRdata>,
  keys: readonly Rr<DnskeyRdata>[],
): Candidates {
  const sig = rrsig.data;
  const usable: Rr<DnskeyRdata>[] = [];
  let matching = 0;
  let zone = 0;
  let proto = 0;
  for (const k of keys) {
    if (
      k.data.algorithm !== sig.algorithm ||
      keyTag(k.data) !== sig.keyTag ||
      !sameName(k.name, sig.signerName)
    )
      continue;
    matching++;
    if ((k.data.flags & DnskeyFlag.ZONE) === 0) continue;
    zone++;
    if (k.data.protocol !== 3) continue;
    proto++;
    if ((k.data.flags & DnskeyFlag.REVOKE) === 0 || revokedKeyMayVerify(k, rrset)) usable.push(k);
  }
  if (usable.length > 0) return { keys: usable };
  const tag = `${sig.signerName.toString()} key ${sig.keyTag}/${sig.algorithm}`;
  if (matching === 0) return { keys: [], failure: fail(`no DNSKEY ${tag}`, Ede.DNSKEY_MISSING) };
  if (zone === 0) return { keys: [], failure: fail(`${tag} lacks the ZONE flag`, Ede.NO_ZONE_KEY_BIT_SET) };
  if (proto === 0) return { keys: [], failure: fail(`${tag} has a protocol other than 3`) };
  return { keys: [], failure: fail(`${tag} is revoked (RFC 5011)`) };
}

/** RFC 4035 §5.3.3: the TTL of a validated RRset. */
function validatedTtl(rrset: readonly Rr[], sig: RrsigRdata, now: number): number {
  let ttl = sig.originalTtl;
  for (const rr of rrset) ttl = Math.min(ttl, rr.ttl);
  return Math.min(ttl, serialDistance(now, sig.expiration));
}

/**
 * Verify one RRSIG over an RRset with a zone's DNSKEY RRset (RFC 4035 §5.3). `keys` is the
 * apex DNSKEY RRset of the signer's zone (already validated, or being validated by itself).
 * At most `maxKeysPerTag` keys with the RRSIG's tag and algorithm are tried (KeyTrap).
 */
export function verifyRrset(
  rrset: readonly Rr[],
  rrsig: Rr<RrsigRdata>,
  keys: readonly Rr<DnskeyRdata>[],
  opts: VerifyOptions,
): RrsetVerdict {
  const shape = checkRrset(rrset);
  if (shape !== undefined) return shape;
  const sig = rrsig.data;
  const supported = opts.isSupported ?? (opts.verify === undefined ? isAlgorithmSupported : undefined);
  if (supported !== undefined && !supported(sig.algorithm)) return unsupported(sig.algorithm);
  const bad = checkRrsigFields(rrset, rrsig, opts.now);
  if (bad !== undefined) return bad;
  const cands = candidateKeys(rrset, rrsig, keys);
  if (cands.failure !== undefined) return cands.failure;
  const data = signedData(rrset, sig);
  if (data === undefined) return fail('RRSIG labels out of range');
  const verify = opts.verify ?? verifySignature;
  const limit = Math.min(
    opts.maxKeysPerTag ?? DEFAULT_MAX_KEYS_PER_TAG,
    opts.maxChecks ?? DEFAULT_MAX_CHECKS,
  );
  let checks = 0;
  for (const key of cands.keys.slice(0, Math.max(0, limit))) {
    checks++;
    const ok = verify(sig.algorithm, key.data.publicKey, data, sig.signature);
    if (ok === 'unsupported') return unsupported(sig.algorithm, checks);
    if (ok) return verified(rrset, rrsig, key, { now: opts.now, checks });
  }
  const owner = (rrset[0] as Rr).name.toString();
  if (checks === 0) return fail(`signature check limit reached for ${owner}`, Ede.DNSSEC_BOGUS, 0);
  return fail(
    `signature by key ${sig.keyTag}/${sig.algorithm} over ${owner} does not verify`,
    Ede.DNSSEC_BOGUS,
    checks,
  );
}

function verified(
  rrset: readonly Rr[],
  rrsig: Rr<RrsigRdata>,
  key: Rr<DnskeyRdata>,
  at: { now: number; checks: number },
): RrsetVerified {
  const first = rrset[0] as Rr;
  const ttl = validatedTtl(rrset, rrsig.data, at.now);
  const out: RrsetVerified = { ok: true, key, keyTag: rrsig.data.keyTag, rrsig, ttl, checks: at.checks };
  const owner = signedOwner(first.name, rrsig.data.labels);
  if (owner !== undefined && owner !== first.name) out.wildcard = owner;
  return out;
}

/** Options of `verifyRrsetAny`: those of `verifyRrset`; `maxChecks` bounds the whole call. */
export interface VerifyAnyOptions extends VerifyOptions {
  /** At most this many RRSIGs are looked at (default 8). */
  maxSignatures?: number;
}

/**
 * Verify an RRset with any of its RRSIGs. RFC 6840 §5.11: validators "SHOULD accept any single
 * valid path" and "MUST NOT insist that all algorithms signaled in the DS RRset work". Fails as
 * `unsupported` only when every RRSIG failed for lack of algorithm support; RRSIGS_MISSING when
 * none covers the RRset. `maxChecks` caps the crypto operations over all RRSIGs (KeyTrap).
 */
export function verifyRrsetAny(
  rrset: readonly Rr[],
  rrsigs: readonly Rr<RrsigRdata>[],
  keys: readonly Rr<DnskeyRdata>[],
  opts: VerifyAnyOptions,
): RrsetVerdict {
  const first = rrset[0];
  if (first === undefined) return fail('empty RRset');
  const relevant = rrsigs.filter((s) => s.data.typeCovered === first.type && s.name.equals(first.name));
  if (relevant.length === 0) return fail(`no RRSIG covers ${first.name.toString()}`, Ede.RRSIGS_MISSING);
  const tried = relevant.slice(0, opts.maxSignatures ?? 8);
  let left = opts.maxChecks ?? DEFAULT_MAX_CHECKS;
  let firstFailure: RrsetFailed | undefined;
  let allUnsupported = tried.length === relevant.length;
  let checks = 0;
  for (const s of tried) {
    if (left <= 0) return fail('signature check limit reached', Ede.DNSSEC_BOGUS, checks);
    const v = verifyRrset(rrset, s, keys, { ...opts, maxChecks: left });
    checks += v.checks;
    left -= v.checks;
    if (v.ok) return { ...v, checks };
    if (v.unsupported !== true) {
      allUnsupported = false;
      firstFailure ??= v;
    }
  }
  if (allUnsupported) {
    const algs = [...new Set(tried.map((s) => s.data.algorithm))].join(', ');
    return { ...unsupported(0, checks), reason: `only unsupported DNSKEY algorithms (${algs})` };
  }
  return { ...(firstFailure ?? fail('no RRSIG verified')), checks };
}
