/**
 * DS records (RFC 4034 §5): the digest of a child zone's DNSKEY, "digest = digest_algorithm(
 * DNSKEY owner name | DNSKEY RDATA)" (§5.1.4) with the owner in canonical form, for SHA-1 (1),
 * SHA-256 (2, RFC 4509) and SHA-384 (4, RFC 6605). GOST (3) and unknown digest types are
 * reported as unsupported so the resolver can ignore such DS records (RFC 6840 §5.2). Pure
 * apart from the digest computed by algorithms.ts.
 */
import { concatBytes, equalBytes } from '../../util/index.ts';
import type { DnskeyRdata, DsRdata, Name } from '../wire/index.ts';
import { digestLength, dsDigestOf, isDigestSupported } from './algorithms.ts';
import { keyTag } from './keytag.ts';

/** The DNSKEY rdata octets: flags | protocol | algorithm | public key (RFC 4034 §2.1). */
export function dnskeyRdataBytes(key: DnskeyRdata): Uint8Array {
  const head = Uint8Array.of(key.flags >> 8, key.flags & 0xff, key.protocol, key.algorithm);
  return concatBytes([head, key.publicKey]);
}

/**
 * The DS digest of `key` at `owner` with `digestType`, or undefined when the digest type is
 * not supported. RFC 4034 §5.1.4: "digest = digest_algorithm( DNSKEY owner name | DNSKEY
 * RDATA);" where the owner name is in canonical form (§6.2).
 */
export function dsDigest(owner: Name, key: DnskeyRdata, digestType: number): Uint8Array | undefined {
  if (!isDigestSupported(digestType)) return undefined;
  return dsDigestOf(digestType, concatBytes([owner.canonical().toWire(), dnskeyRdataBytes(key)]));
}

/** Build the DS rdata for a DNSKEY (as `dnssec-dsfromkey` does); undefined for unsupported digests. */
export function makeDs(owner: Name, key: DnskeyRdata, digestType: number): DsRdata | undefined {
  const digest = dsDigest(owner, key, digestType);
  if (digest === undefined) return undefined;
  return { keyTag: keyTag(key), algorithm: key.algorithm, digestType, digest };
}

/**
 * Does `ds` authenticate the DNSKEY `key` owned by `owner`? Key tag, algorithm and digest must
 * match; a digest of the wrong length never matches. Returns 'unsupported-digest' for digest
 * types we cannot compute (RFC 6840 §5.2: treat as if the DS were absent).
 */
export function dsMatchesKey(ds: DsRdata, owner: Name, key: DnskeyRdata): boolean | 'unsupported-digest' {
  const length = digestLength(ds.digestType);
  if (length === undefined) return 'unsupported-digest';
  if (ds.algorithm !== key.algorithm || ds.keyTag !== keyTag(key)) return false;
  if (ds.digest.length !== length) return false;
  const digest = dsDigest(owner, key, ds.digestType);
  return digest !== undefined && equalBytes(digest, ds.digest);
}
