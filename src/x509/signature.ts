/**
 * Certificate signature verification (RFC 5280 §4.1.1.3) with node:crypto: RSA PKCS#1 v1.5
 * (RFC 4055 §5), RSASSA-PSS (RFC 4055 §3.1), ECDSA P-256/P-384/P-521 (RFC 5758 §3.2) and
 * Ed25519/Ed448 (RFC 8410 §6). MD5 and SHA-1 signatures are refused as too weak (as OpenSSL 3
 * does at its default security level), and a key of the wrong type never "verifies".
 * Never throws: every failure is a `{ ok: false, reason }` value.
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { DerTag, decodeOid, readChildren, readTlv, tlvContent } from './der.ts';
import type { AlgorithmInfo } from './cert.ts';

/** Outcome of a signature check. */
export type SignatureCheck = { ok: true } | { ok: false; reason: string; weak?: boolean };

interface Scheme {
  name: string;
  hash: string | null;
  keyTypes: readonly string[];
  weak?: boolean;
}

const SCHEMES: Readonly<Record<string, Scheme>> = {
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md5', keyTypes: ['rsa'], weak: true },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1', keyTypes: ['rsa'], weak: true },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', hash: 'sha224', keyTypes: ['rsa'] },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256', keyTypes: ['rsa'] },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384', keyTypes: ['rsa'] },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512', keyTypes: ['rsa'] },
  '1.2.840.113549.1.1.10': { name: 'rsassaPss', hash: null, keyTypes: ['rsa', 'rsa-pss'] },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1', keyTypes: ['ec'], weak: true },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', hash: 'sha224', keyTypes: ['ec'] },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256', keyTypes: ['ec'] },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384', keyTypes: ['ec'] },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512', keyTypes: ['ec'] },
  '1.3.101.112': { name: 'ED25519', hash: null, keyTypes: ['ed25519'] },
  '1.3.101.113': { name: 'ED448', hash: null, keyTypes: ['ed448'] },
};

const HASH_OIDS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const MGF1 = '1.2.840.113549.1.1.8';

/** A readable name for a signature algorithm OID (the OID itself when unknown). */
export function signatureAlgorithmName(oid: string): string {
  return SCHEMES[oid]?.name ?? oid;
}

interface PssParams {
  hash: string;
  mgfHash: string;
  saltLength: number;
}

function hashOfAlgId(der: Uint8Array, start: number, end: number): string {
  const alg = readTlv(der, start, end);
  const oidTlv = readChildren(der, alg)[0];
  if (oidTlv?.tag !== DerTag.OID) throw new Error('hash AlgorithmIdentifier without OID');
  const oid = decodeOid(tlvContent(der, oidTlv));
  const name = HASH_OIDS[oid];
  if (name === undefined) throw new Error(`unknown hash ${oid}`);
  return name;
}

/** RFC 4055 §3.1 RSASSA-PSS-params, with the defaults (SHA-1, MGF1-SHA-1, salt 20). */
function parsePssParams(der: Uint8Array | undefined): PssParams {
  const out: PssParams = { hash: 'sha1', mgfHash: 'sha1', saltLength: 20 };
  if (der === undefined) return out;
  for (const field of readChildren(der, readTlv(der, 0))) {
    const inner = readTlv(der, field.contentStart, field.end);
    if (field.tag === DerTag.CONTEXT_0) out.hash = hashOfAlgId(der, inner.start, inner.end);
    if (field.tag === DerTag.CONTEXT_1) {
      const [oid, params] = readChildren(der, inner);
      if (oid === undefined || decodeOid(tlvContent(der, oid)) !== MGF1 || params === undefined) {
        throw new Error('mask generation function is not MGF1');
      }
      out.mgfHash = hashOfAlgId(der, params.start, params.end);
    }
    if (field.tag === DerTag.CONTEXT_2)
      out.saltLength = tlvContent(der, inner).reduce((a, b) => a * 256 + b, 0);
  }
  return out;
}

function verifyPss(
  data: Uint8Array,
  signature: Uint8Array,
  alg: AlgorithmInfo,
  key: KeyObject,
): SignatureCheck {
  let p: PssParams;
  try {
    p = parsePssParams(alg.parameters);
  } catch (err) {
    return { ok: false, reason: `unsupported RSASSA-PSS parameters (${(err as Error).message})` };
  }
  if (p.hash === 'sha1') return { ok: false, reason: 'RSASSA-PSS with SHA-1 is too weak', weak: true };
  if (p.mgfHash !== p.hash)
    return { ok: false, reason: 'RSASSA-PSS with a different MGF1 hash is not supported' };
  const ok = cryptoVerify(
    p.hash,
    data,
    { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength },
    signature,
  );
  return ok ? { ok: true } : { ok: false, reason: 'signature does not verify' };
}

/**
 * Verify `signature` over `data` (a TBSCertificate) with `key` under algorithm `alg`.
 */
export function verifySignature(
  data: Uint8Array,
  signature: Uint8Array,
  opts: { algorithm: AlgorithmInfo; key: KeyObject },
): SignatureCheck {
  const { algorithm: alg, key } = opts;
  const scheme = SCHEMES[alg.oid];
  if (scheme === undefined) return { ok: false, reason: `unsupported signature algorithm ${alg.oid}` };
  if (scheme.weak === true) return { ok: false, reason: `${scheme.name} is too weak`, weak: true };
  const keyType = key.asymmetricKeyType ?? 'unknown';
  if (!scheme.keyTypes.includes(keyType)) {
    return { ok: false, reason: `${scheme.name} signature cannot be made by a ${keyType} key` };
  }
  try {
    if (scheme.name === 'rsassaPss') return verifyPss(data, signature, alg, key);
    const ok = cryptoVerify(scheme.hash, data, key, signature);
    return ok ? { ok: true } : { ok: false, reason: 'signature does not verify' };
  } catch (err) {
    return { ok: false, reason: `signature check failed (${(err as Error).message})` };
  }
}
