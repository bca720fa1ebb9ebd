/**
 * The only file of the DNSSEC layer that touches node:crypto: signature verification for the
 * DNSKEY algorithms we implement (RFC 3110 / RFC 5702 RSA, RFC 6605 ECDSA, RFC 8080 EdDSA)
 * and the digests DS records and NSEC3 hashes need (RFC 4034 §5.1.4, RFC 4509, RFC 6605,
 * RFC 5155 §5). Algorithms we do not implement answer 'unsupported' — never false — so the
 * validator can treat such zones as insecure (RFC 4035 §5.2, RFC 6840 §5.2). Malformed keys
 * and signatures verify as false; nothing here throws. Pure apart from the crypto calls.
 */
import { createHash, createPublicKey, hash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { DnssecAlgorithm } from '../wire/index.ts';

/** DNSSEC algorithm numbers: defined once in dns/wire (the codecs parse their mnemonics). */
export { DnssecAlgorithm };

/** DS digest types (IANA "Delegation Signer (DS) Resource Record Digest Algorithms"). */
export const DigestType = { SHA1: 1, SHA256: 2, GOST: 3, SHA384: 4 } as const;

/** Verifies `sig` over `data` with a DNSKEY public key field; injectable for tests. */
export type SignatureVerifier = (
  algorithm: number,
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
) => boolean | 'unsupported';

type Kind = 'rsa' | 'ec' | 'okp';
interface AlgSpec {
  kind: Kind;
  hash: string | null;
  /** Curve name for EC/OKP keys. */
  curve?: string;
  /** Raw public key and signature sizes for EC/OKP. */
  keyLen?: number;
  sigLen?: number;
}

/*
 * RFC 8624 §3.1: RSAMD5 (1) "MUST NOT" be used for validation; DSA (3, 6) and ECC-GOST (12)
 * are "MUST NOT"/"MAY" and not implemented here, so they are reported as unsupported.
 */
const SPECS: ReadonlyMap<number, AlgSpec> = new Map<number, AlgSpec>([
  [DnssecAlgorithm.RSASHA1, { kind: 'rsa', hash: 'sha1' }],
  [DnssecAlgorithm.RSASHA1_NSEC3_SHA1, { kind: 'rsa', hash: 'sha1' }],
  [DnssecAlgorithm.RSASHA256, { kind: 'rsa', hash: 'sha256' }],
  [DnssecAlgorithm.RSASHA512, { kind: 'rsa', hash: 'sha512' }],
  [DnssecAlgorithm.ECDSAP256SHA256, { kind: 'ec', hash: 'sha256', curve: 'P-256', keyLen: 64, sigLen: 64 }],
  [DnssecAlgorithm.ECDSAP384SHA384, { kind: 'ec', hash: 'sha384', curve: 'P-384', keyLen: 96, sigLen: 96 }],
  [DnssecAlgorithm.ED25519, { kind: 'okp', hash: null, curve: 'Ed25519', keyLen: 32, sigLen: 64 }],
  [DnssecAlgorithm.ED448, { kind: 'okp', hash: null, curve: 'Ed448', keyLen: 57, sigLen: 114 }],
]);

/** True for the DNSKEY algorithms this validator can verify. */
export function isAlgorithmSupported(algorithm: number): boolean {
  return SPECS.has(algorithm);
}

/** True for the DS digest types this validator can compute (SHA-1, SHA-256, SHA-384). */
export function isDigestSupported(digestType: number): boolean {
  return DIGESTS.has(digestType);
}

const DIGESTS: ReadonlyMap<number, { name: string; length: number }> = new Map([
  [1, { name: 'sha1', length: 20 }],
  [2, { name: 'sha256', length: 32 }],
  [4, { name: 'sha384', length: 48 }],
]);

/** Digest length of a DS digest type, or undefined when unsupported. */
export function digestLength(digestType: number): number | undefined {
  return DIGESTS.get(digestType)?.length;
}

/** The DS digest of `data` (RFC 4034 §5.1.4), or undefined when the type is unsupported. */
export function dsDigestOf(digestType: number, data: Uint8Array): Uint8Array | undefined {
  const d = DIGESTS.get(digestType);
  if (d === undefined) return undefined;
  return new Uint8Array(createHash(d.name).update(data).digest());
}

/**
 * RFC 5155 §5: IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(salt, x, k-1) || salt),
 * with H = SHA-1 (hash algorithm 1, the only one defined). `input` is the canonical owner name.
 */
export function nsec3IteratedSha1(input: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  const first = new Uint8Array(input.length + salt.length);
  first.set(input);
  first.set(salt, input.length);
  let h: Uint8Array = hash('sha1', first, 'buffer');
  // Every later round hashes the previous digest and the salt: one buffer, rewritten in place,
  // and the one-shot crypto.hash (no Hash object per round) — the rounds are the cost of NSEC3.
  const round = new Uint8Array(SHA1_LENGTH + salt.length);
  round.set(salt, SHA1_LENGTH);
  for (let i = 0; i < iterations; i++) {
    round.set(h);
    h = hash('sha1', round, 'buffer');
  }
  return new Uint8Array(h);
}

/** Octets of a SHA-1 digest. */
const SHA1_LENGTH = 20;

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus. */
function rsaJwk(key: Uint8Array): { kty: 'RSA'; n: string; e: string } | undefined {
  if (key.length < 3) return undefined;
  let off = 1;
  let expLen = key[0] as number;
  if (expLen === 0) {
    expLen = ((key[1] as number) << 8) | (key[2] as number);
    off = 3;
  }
  if (expLen === 0 || off + expLen >= key.length) return undefined;
  const e = stripZeros(key.subarray(off, off + expLen));
  const n = stripZeros(key.subarray(off + expLen));
  // RFC 3110 §2 / RFC 5702 §2: moduli of at most 4096 bits; larger keys are refused (cost bound).
  if (n.length > 512 || e.length > 16 || n[0] === 0) return undefined;
  return { kty: 'RSA', n: b64url(n), e: b64url(e) };
}

function buildKey(spec: AlgSpec, key: Uint8Array): KeyObject | null {
  try {
    if (spec.kind === 'rsa') {
      const jwk = rsaJwk(key);
      return jwk === undefined ? null : createPublicKey({ key: jwk, format: 'jwk' });
    }
    if (key.length !== spec.keyLen) return null;
    const crv = spec.curve ?? '';
    if (spec.kind === 'ec') {
      // RFC 6605 §4: the public key is the uncompressed point Q = x | y without a prefix.
      const half = key.length / 2;
      const jwk = { kty: 'EC', crv, x: b64url(key.subarray(0, half)), y: b64url(key.subarray(half)) };
      return createPublicKey({ key: jwk, format: 'jwk' });
    }
    // RFC 8080 §3: the public key is the raw Ed25519 (32 octets) / Ed448 (57 octets) key.
    return createPublicKey({ key: { kty: 'OKP', crv, x: b64url(key) }, format: 'jwk' });
  } catch {
    return null;
  }
}

const CACHE_LIMIT = 512;
/** Parsed keys by (algorithm, key octets); `null` remembers a key that does not parse. */
const keyCache = new Map<string, KeyObject | null>();
/** Fast path for the same Uint8Array seen again (cached rdata objects). */
const objectCache = new WeakMap<Uint8Array, { algorithm: number; key: KeyObject | null }>();

function publicKeyFor(algorithm: number, spec: AlgSpec, key: Uint8Array): KeyObject | null {
  const hit = objectCache.get(key);
  if (hit?.algorithm === algorithm) return hit.key;
  const id = `${algorithm}:${b64url(key)}`;
  let parsed = keyCache.get(id);
  if (parsed === undefined) {
    parsed = buildKey(spec, key);
    if (keyCache.size >= CACHE_LIMIT) {
      const oldest = keyCache.keys().next();
      if (oldest.done !== true) keyCache.delete(oldest.value);
    }
    keyCache.set(id, parsed);
  }
  objectCache.set(key, { algorithm, key: parsed });
  return parsed;
}

/**
 * Verify a DNSSEC signature. RSA: PKCS #1 v1.5 (RFC 3110 §3, RFC 5702 §3); ECDSA: the signature
 * is r | s, each as long as the curve's field (RFC 6605 §4); EdDSA: the raw signature (RFC 8080
 * §4). Returns 'unsupported' for algorithms not implemented, false for any malformed input.
 */
export const verifySignature: SignatureVerifier = (algorithm, publicKey, data, signature) => {
  const spec = SPECS.get(algorithm);
  if (spec === undefined) return 'unsupported';
  if (spec.sigLen !== undefined && signature.length !== spec.sigLen) return false;
  const key = publicKeyFor(algorithm, spec, publicKey);
  if (key === null) return false;
  try {
    if (spec.kind === 'ec')
      return cryptoVerify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    return cryptoVerify(spec.hash, data, key, signature);
  } catch {
    return false;
  }
};

/** Number of parsed keys currently cached (for tests and metrics). */
export function keyCacheSize(): number {
  return keyCache.size;
}
