/**
 * The crypto used to replay Unbound's validator scenarios: the product's own verifier for every
 * algorithm it implements, plus DSA (algorithms 3 and 6, RFC 2536) — which the product refuses
 * (RFC 8624 §3.1: "MUST NOT" validate) but which most of Unbound's 2007-era scenarios are signed
 * with. Unbound builds with DSA and SHA-1 verify these signatures for real (its `fake-sha1` /
 * `fake-dsa` options only act in builds without them), so this stand-in does real DSA crypto too.
 * Test-only: it is injected through the resolver's `crypto` option and never used by product code.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import {
  dsMatchesKey,
  isAlgorithmSupported,
  isDigestSupported,
  nsec3Sha1,
  verifySignature,
} from '../../src/dns/dnssec/index.ts';
import type { DnssecCrypto } from '../../src/dns/resolver/index.ts';

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v >>= 8) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

function der(tag: number, body: readonly number[]): number[] {
  return [tag, ...derLength(body.length), ...body];
}

function derInteger(bytes: Uint8Array): number[] {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = [...bytes.subarray(i)];
  if ((v[0] ?? 0) & 0x80) v.unshift(0);
  return der(0x02, v.length === 0 ? [0] : v);
}

const DSA_OID = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];

/** RFC 2536 §2: T, Q (20 octets), P, G, Y (64 + T*8 octets each) → a DER SubjectPublicKeyInfo. */
function dsaSpki(key: Uint8Array): Buffer | undefined {
  const t = key[0];
  if (t === undefined || t > 8) return undefined;
  const len = 64 + t * 8;
  if (key.length !== 1 + 20 + 3 * len) return undefined;
  const q = key.subarray(1, 21);
  const p = key.subarray(21, 21 + len);
  const g = key.subarray(21 + len, 21 + 2 * len);
  const y = key.subarray(21 + 2 * len);
  const params = der(0x30, [...derInteger(p), ...derInteger(q), ...derInteger(g)]);
  const algId = der(0x30, [...DSA_OID, ...params]);
  const pub = der(0x03, [0, ...derInteger(y)]);
  return Buffer.from(der(0x30, [...algId, ...pub]));
}

/**
 * RFC 2536 §3: T, R (20), S (20) → DER Dss-Sig-Value. Unbound's 2007 scenarios carry DSA
 * signatures already in DER (as ldns wrote them then); like Unbound's own `setup_dsa_sig`, a
 * signature that is not 41 octets long is taken as DER.
 */
function dsaSignature(sig: Uint8Array): Buffer | undefined {
  if (sig.length !== 41) return sig[0] === 0x30 ? Buffer.from(sig) : undefined;
  return Buffer.from(der(0x30, [...derInteger(sig.subarray(1, 21)), ...derInteger(sig.subarray(21))]));
}

/** DSA/SHA-1 verification (RFC 2536), test-only. */
export function verifyDsa(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const spki = dsaSpki(publicKey);
  const sig = dsaSignature(signature);
  if (spki === undefined || sig === undefined) return false;
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return cryptoVerify('sha1', data, key, sig);
  } catch {
    return false;
  }
}

const DSA_ALGORITHMS = new Set([3, 6]);

/** The product's crypto plus real DSA, for Unbound's replay scenarios. */
export const REPLAY_CRYPTO: DnssecCrypto = {
  verify: (algorithm, publicKey, data, signature) =>
    DSA_ALGORITHMS.has(algorithm)
      ? verifyDsa(publicKey, data, signature)
      : verifySignature(algorithm, publicKey, data, signature),
  isAlgorithmSupported: (algorithm) => DSA_ALGORITHMS.has(algorithm) || isAlgorithmSupported(algorithm),
  isDigestSupported,
  dsMatchesKey,
  nsec3Hash: nsec3Sha1,
};
