/**
 * DNSSEC zone keys for the lab's signer: key generation and RRset signing for RSASHA256 (8,
 * RFC 5702, public key per RFC 3110), ECDSAP256SHA256 (13, RFC 6605) and ED25519 (15, RFC 8080).
 * The to-be-signed octets come from dns/dnssec (`signedData`, RFC 4034 §3.1.8.1), so the signer
 * and the validator share one definition of canonical form. Time is passed in (inception and
 * expiration in seconds). Must never read the clock or be used for anything but test zones.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { keyTag, signedData } from '../../dns/dnssec/index.ts';
import {
  DnskeyFlag,
  makeRr,
  RRType,
  type DnskeyRdata,
  type Name,
  type Rr,
  type RrsigRdata,
} from '../../dns/wire/index.ts';
import { LabDnsError } from './lab-dns-error.ts';

/** The DNSKEY algorithms the lab signs with. */
export type ZoneAlgorithm = 8 | 13 | 15;

/** A zone signing key: its DNSKEY rdata, private key and key tag. */
export interface ZoneKey {
  readonly dnskey: DnskeyRdata;
  readonly privateKey: KeyObject;
  readonly keyTag: number;
}

const ZONE_ALGORITHMS: ReadonlySet<number> = new Set([8, 13, 15]);

/** Throws LAB_ERR_DNS_ARGUMENT unless `algorithm` is one the lab signs with. */
export function checkZoneAlgorithm(algorithm: number): asserts algorithm is ZoneAlgorithm {
  if (!ZONE_ALGORITHMS.has(algorithm)) {
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `DNSSEC algorithm ${algorithm} is not one of 8, 13, 15`);
  }
}

function fromB64url(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string') throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `key has no ${what}`);
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/**
 * RFC 3110 §2: "The RDATA for a KEY RR consists of ... exponent length | exponent | modulus"
 * where the length is one octet, or a zero octet followed by two octets when the exponent is
 * longer than 255 octets.
 */
function rsaPublicKeyField(jwk: JsonWebKey): Uint8Array {
  const e = fromB64url(jwk.e, 'RSA exponent');
  const n = fromB64url(jwk.n, 'RSA modulus');
  const head = e.length <= 255 ? Uint8Array.of(e.length) : Uint8Array.of(0, e.length >> 8, e.length & 0xff);
  const out = new Uint8Array(head.length + e.length + n.length);
  out.set(head, 0);
  out.set(e, head.length);
  out.set(n, head.length + e.length);
  return out;
}

/** The DNSKEY public key field of a public key (RFC 3110 §2, RFC 6605 §4, RFC 8080 §3). */
function publicKeyField(algorithm: ZoneAlgorithm, publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  if (algorithm === 8) return rsaPublicKeyField(jwk);
  if (algorithm === 13) {
    // RFC 6605 §4: "the public key ... is the concatenation of the x and y coordinates".
    const x = fromB64url(jwk.x, 'EC x coordinate');
    const y = fromB64url(jwk.y, 'EC y coordinate');
    const out = new Uint8Array(64);
    out.set(x, 32 - x.length);
    out.set(y, 64 - y.length);
    return out;
  }
  // RFC 8080 §3: "An Ed25519 public key consists of a 32-octet value".
  return fromB64url(jwk.x, 'Ed25519 public key');
}

function keyMatchesAlgorithm(algorithm: ZoneAlgorithm, key: KeyObject): boolean {
  if (algorithm === 8) return key.asymmetricKeyType === 'rsa';
  if (algorithm === 13)
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  return key.asymmetricKeyType === 'ed25519';
}

function zoneKeyOf(algorithm: ZoneAlgorithm, privateKey: KeyObject, ksk: boolean): ZoneKey {
  if (!keyMatchesAlgorithm(algorithm, privateKey)) {
    throw new LabDnsError(
      'LAB_ERR_DNS_ARGUMENT',
      `the private key does not fit DNSSEC algorithm ${algorithm}`,
    );
  }
  const dnskey: DnskeyRdata = {
    // RFC 4034 §2.1.1: ZONE (bit 7) on every zone key; SEP (bit 15) marks the KSK (RFC 3757).
    flags: DnskeyFlag.ZONE | (ksk ? DnskeyFlag.SEP : 0),
    protocol: 3,
    algorithm,
    publicKey: publicKeyField(algorithm, createPublicKey(privateKey)),
  };
  return { dnskey, privateKey, keyTag: keyTag(dnskey) };
}

/**
 * Generate a zone key: RSA-2048 with e = 65537 (8), P-256 (13) or Ed25519 (15). `ksk` sets the
 * SEP flag (flags 257); a ZSK has flags 256. RSA generation takes a noticeable fraction of a
 * second, so tests should reuse keys (pass them to `signZone` as `keys`).
 */
export function generateZoneKey(algorithm: ZoneAlgorithm, opts: { ksk: boolean }): ZoneKey {
  checkZoneAlgorithm(algorithm);
  let privateKey: KeyObject;
  if (algorithm === 8) {
    privateKey = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }).privateKey;
  } else if (algorithm === 13) {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  } else {
    privateKey = generateKeyPairSync('ed25519').privateKey;
  }
  return zoneKeyOf(algorithm, privateKey, opts.ksk);
}

/** A zone key from an existing private key (a KeyObject or PEM text), e.g. one kept on disk. */
export function importZoneKey(
  algorithm: ZoneAlgorithm,
  privateKey: KeyObject | string,
  opts: { ksk: boolean },
): ZoneKey {
  checkZoneAlgorithm(algorithm);
  let key: KeyObject;
  try {
    key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  } catch (err) {
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', 'the private key text does not parse', { cause: err });
  }
  if (key.type !== 'private') throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', 'a private key is needed');
  return zoneKeyOf(algorithm, key, opts.ksk);
}

/** The raw signature over `data` (RFC 5702 §3 PKCS #1 v1.5; RFC 6605 §4 r|s; RFC 8080 §4). */
export function signData(key: ZoneKey, data: Uint8Array): Uint8Array {
  const alg = key.dnskey.algorithm;
  if (alg === 13) {
    return new Uint8Array(cryptoSign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }));
  }
  return new Uint8Array(cryptoSign(alg === 8 ? 'sha256' : null, data, key.privateKey));
}

/** The validity window and signer of an RRSIG. */
export interface SignWindow {
  /** The zone apex (RRSIG Signer's Name). */
  signer: Name;
  /** Seconds since the epoch (RFC 4034 §3.1.5). */
  inception: number;
  expiration: number;
}

/**
 * Sign one RRset (all records share owner, type and class; the first record's TTL is used).
 * RFC 4034 §3.1.3: the Labels field "MUST NOT count either the null (root) label ... or the
 * wildcard label"; RFC 4034 §3: "The TTL value of an RRSIG RR MUST match the TTL value of the
 * RRset it covers."
 */
export function signRrset(rrset: readonly Rr[], key: ZoneKey, window: SignWindow): Rr<RrsigRdata> {
  const first = rrset[0];
  if (first === undefined) throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', 'cannot sign an empty RRset');
  const owner = first.name;
  const unsigned: RrsigRdata = {
    typeCovered: first.type,
    algorithm: key.dnskey.algorithm,
    labels: owner.isWildcard ? owner.labelCount - 1 : owner.labelCount,
    originalTtl: first.ttl,
    expiration: window.expiration >>> 0,
    inception: window.inception >>> 0,
    keyTag: key.keyTag,
    signerName: window.signer,
    signature: new Uint8Array(0),
  };
  const data = signedData(rrset, unsigned);
  if (data === undefined) throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `cannot sign ${owner.toString()}`);
  const signature = signData(key, data);
  return makeRr({
    name: owner,
    type: RRType.RRSIG,
    ttl: first.ttl,
    class: first.class,
    data: { ...unsigned, signature },
  });
}
