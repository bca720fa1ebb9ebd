/**
 * The lab's private PKI: key pairs, root and intermediate CAs and server leaves, built in-process
 * as X.509 v3 DER with @peculiar/asn1-x509 and signed with node:crypto — no openssl CLI needed.
 * Implements the certificate profile of RFC 5280 §4.1 (serial, validity encoding) and §4.2.1
 * (authority/subject key identifiers, keyUsage, basicConstraints, subjectAltName, extKeyUsage),
 * with the signature algorithm encodings of RFC 5758 §3.2, RFC 4055 §5 and RFC 8410 §3.
 * Never reads the clock (validity is passed in) and never touches the network or the file system.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Time,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MtaError, cryptoRandom, toBase64, toHex } from '../../util/index.ts';
import type { Random } from '../../util/index.ts';

/** Machine codes of errors thrown by the lab PKI. */
export type LabCertErrorCode = 'LAB_ERR_CERT_ARGUMENT';

/** A bad argument to the lab PKI (bad validity window, serial, name …). */
export class LabCertError extends MtaError<LabCertErrorCode> {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('LAB_ERR_CERT_ARGUMENT', message, options);
    this.name = 'LabCertError';
  }
}

/** Key algorithms the lab can issue with. */
export const LabKeyType = { EC_P256: 'ec-p256', RSA_2048: 'rsa-2048', ED25519: 'ed25519' } as const;
export type LabKeyType = (typeof LabKeyType)[keyof typeof LabKeyType];

/** A key pair and its DER SubjectPublicKeyInfo (what TLSA selector 1 hashes). */
export interface LabKey {
  readonly type: LabKeyType;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly spkiDer: Uint8Array;
}

/** A certificate made by the lab, with its key and the issuer it chains to. */
export interface LabCert {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly key: LabKey;
  /** Subject as `CN=…` (empty when the subject is empty). */
  readonly subject: string;
  /** The issuing certificate; absent for a self-signed certificate. */
  readonly issuer?: LabCert;
  readonly isCa: boolean;
  /** Serial number as lower-case hex (the DER INTEGER content octets). */
  readonly serialHex: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly dnsNames: readonly string[];
  /** The subjectKeyIdentifier (SHA-1 of the subjectPublicKey bits). */
  readonly subjectKeyId: Uint8Array;
}

const keyCache = new Map<string, LabKey>();

/**
 * Generate a key pair. With `cacheKey`, the same (type, cacheKey) returns the same key for the
 * life of the process — RSA-2048 generation takes a noticeable fraction of a second.
 */
export function createKeyPair(type: LabKeyType, opts: { cacheKey?: string } = {}): LabKey {
  const slot = opts.cacheKey === undefined ? undefined : `${type}\u0000${opts.cacheKey}`;
  const cached = slot === undefined ? undefined : keyCache.get(slot);
  if (cached !== undefined) return cached;
  const pair = generatePair(type);
  const spkiDer = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
  const key: LabKey = { type, privateKey: pair.privateKey, publicKey: pair.publicKey, spkiDer };
  if (slot !== undefined) keyCache.set(slot, key);
  return key;
}

function generatePair(type: LabKeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (type) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    default:
      throw new LabCertError(`unknown key type ${String(type)}`);
  }
}

/** The private key as PKCS #8 PEM (what a TLS server is configured with). */
export function privateKeyPem(key: LabKey): string {
  return key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Options of `createCa`. Times are milliseconds since the epoch. */
export interface CreateCaOptions {
  /** Common name of the CA. */
  name: string;
  key?: LabKey;
  /** Key type when `key` is absent (default ec-p256). */
  keyType?: LabKeyType;
  /** Issuing CA; absent for a self-signed root. */
  issuer?: LabCert;
  notBefore: number;
  notAfter: number;
  /** basicConstraints pathLenConstraint. */
  pathLen?: number;
  /**
   * Leave the cA BOOLEAN out of basicConstraints (DER then encodes cA = FALSE): a "CA" that every
   * RFC 5280 verifier must refuse as an issuer. keyCertSign stays set, so it is the only defect.
   */
  omitCaFlag?: boolean;
  serial?: bigint;
  random?: Random;
}

/** Create a root CA (self-signed) or, with `issuer`, an intermediate CA. */
export function createCa(opts: CreateCaOptions): LabCert {
  const key = opts.key ?? createKeyPair(opts.keyType ?? 'ec-p256');
  if (opts.pathLen !== undefined && (!Number.isInteger(opts.pathLen) || opts.pathLen < 0)) {
    throw new LabCertError(`pathLen must be a non-negative integer, got ${opts.pathLen}`);
  }
  /*
   * RFC 5280 §4.2.1.9: "Conforming CAs MUST include this extension in all CA certificates that
   * contain public keys used to validate digital signatures on certificates and MUST mark the
   * extension as critical in such certificates."
   */
  const basic = new BasicConstraints({ cA: opts.omitCaFlag !== true });
  if (opts.pathLen !== undefined && opts.omitCaFlag !== true) basic.pathLenConstraint = opts.pathLen;
  const extensions = [
    extension(id_ce_basicConstraints, true, basic),
    /* RFC 5280 §4.2.1.3: "When present, conforming CAs SHOULD mark this extension as critical." */
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
  ];
  return buildCert({
    commonName: opts.name,
    key,
    issuer: opts.issuer,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    serial: opts.serial,
    random: opts.random,
    extensions,
    dnsNames: [],
    isCa: opts.omitCaFlag !== true,
  });
}

/** Options of `issueLeaf`. Times are milliseconds since the epoch. */
export interface IssueLeafOptions {
  /** Issuing CA, or 'self' for a self-signed leaf (typical for DANE-EE). */
  issuer: LabCert | 'self';
  key?: LabKey;
  /** Key type when `key` is absent (default ec-p256). */
  keyType?: LabKeyType;
  /** Subject CN; defaults to the first DNS name. */
  commonName?: string;
  /** subjectAltName dNSNames (A-labels; a wildcard only as `*.` + name). */
  dnsNames: string[];
  notBefore: number;
  notAfter: number;
  serial?: bigint;
  random?: Random;
}

/** Issue a TLS server certificate (serverAuth, SAN dNSNames). */
export function issueLeaf(opts: IssueLeafOptions): LabCert {
  const key = opts.key ?? createKeyPair(opts.keyType ?? 'ec-p256');
  for (const name of opts.dnsNames) checkDnsName(name);
  const commonName = opts.commonName ?? opts.dnsNames[0];
  /* RFC 5280 §4.2.1.3: digitalSignature for (EC)DHE key exchange; keyEncipherment for RSA transport. */
  const usage =
    key.type === 'rsa-2048'
      ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment
      : KeyUsageFlags.digitalSignature;
  const extensions = [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    extension(id_ce_keyUsage, true, new KeyUsage(usage)),
    extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])),
  ];
  if (opts.dnsNames.length > 0) {
    /*
     * RFC 5280 §4.2.1.6: "If the subject field contains an empty sequence, then the issuing CA
     * MUST include a subjectAltName extension that is marked as critical."
     */
    const names = opts.dnsNames.map((dNSName) => new GeneralName({ dNSName }));
    extensions.push(extension(id_ce_subjectAltName, commonName === '', new SubjectAlternativeName(names)));
  }
  return buildCert({
    commonName,
    key,
    issuer: opts.issuer === 'self' ? undefined : opts.issuer,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    serial: opts.serial,
    random: opts.random,
    extensions,
    dnsNames: opts.dnsNames,
    isCa: false,
  });
}

/** Which certificates a server sends: the leaf alone, the leaf and intermediates, or all. */
export type ChainInclude = 'leaf' | 'leaf+intermediates' | 'full';

/** The certificates from `leaf` up to its root, leaf first, as `include` selects. */
export function chainOf(leaf: LabCert, opts: { include?: ChainInclude } = {}): LabCert[] {
  const include = opts.include ?? 'leaf+intermediates';
  const out: LabCert[] = [leaf];
  if (include === 'leaf') return out;
  for (let c = leaf.issuer; c !== undefined; c = c.issuer) {
    if (c.issuer === undefined && include !== 'full') break;
    out.push(c);
  }
  return out;
}

/** The chain a server sends, as concatenated PEM (default: leaf + intermediates). */
export function chainPem(leaf: LabCert, opts: { include?: ChainInclude } = {}): string {
  return chainOf(leaf, opts)
    .map((c) => c.pem)
    .join('');
}

/** The chain a server sends, as DER certificates (leaf first). */
export function chainDer(leaf: LabCert, opts: { include?: ChainInclude } = {}): Uint8Array[] {
  return chainOf(leaf, opts).map((c) => c.der);
}

interface CertSpec {
  commonName: string | undefined;
  key: LabKey;
  issuer: LabCert | undefined;
  notBefore: number;
  notAfter: number;
  serial: bigint | undefined;
  random: Random | undefined;
  extensions: Extension[];
  dnsNames: readonly string[];
  isCa: boolean;
}

function buildCert(spec: CertSpec): LabCert {
  const signer = spec.issuer?.key ?? spec.key;
  const serial = serialOctets(spec.serial, spec.random ?? cryptoRandom);
  const { tbs, ski } = buildTbs(spec, signer, serial);
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const digest = signer.type === 'ed25519' ? null : 'sha256';
  const signature = new Uint8Array(sign(digest, tbsDer, signer.privateKey));
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signatureAlgorithm(signer),
    signatureValue: toArrayBuffer(signature),
  });
  const der = new Uint8Array(AsnConvert.serialize(cert));
  const base: Omit<LabCert, 'issuer'> = {
    der,
    pem: toPem(der),
    key: spec.key,
    subject: spec.commonName === undefined || spec.commonName === '' ? '' : `CN=${spec.commonName}`,
    isCa: spec.isCa,
    serialHex: toHex(serial),
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    dnsNames: [...spec.dnsNames],
    subjectKeyId: ski,
  };
  return spec.issuer === undefined ? base : { ...base, issuer: spec.issuer };
}

/** The to-be-signed part, with the key identifier extensions added to `spec.extensions`. */
function buildTbs(
  spec: CertSpec,
  signer: LabKey,
  serial: Uint8Array,
): { tbs: TBSCertificate; ski: Uint8Array } {
  const spki = AsnConvert.parse(spec.key.spkiDer, SubjectPublicKeyInfo);
  /*
   * RFC 5280 §4.2.1.2, method (1): "The keyIdentifier is composed of the 160-bit SHA-1 hash of
   * the value of the BIT STRING subjectPublicKey (excluding the tag, length, and number of
   * unused bits)."
   */
  const ski = new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest());
  const subject = buildName(spec.commonName);
  const issuerName =
    spec.issuer === undefined
      ? subject
      : AsnConvert.parse(spec.issuer.der, Certificate).tbsCertificate.subject;
  /*
   * RFC 5280 §4.2.1.1: "The keyIdentifier field of the authorityKeyIdentifier extension MUST be
   * included in all certificates generated by conforming CAs to facilitate certification path
   * construction." (A self-signed certificate names its own key.)
   */
  const aki = new AuthorityKeyIdentifier({
    keyIdentifier: new KeyIdentifier(spec.issuer?.subjectKeyId ?? ski),
  });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: signatureAlgorithm(signer),
    issuer: issuerName,
    validity: validity(spec.notBefore, spec.notAfter),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      ...spec.extensions,
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski)),
      extension(id_ce_authorityKeyIdentifier, false, aki),
    ]),
  });
  return { tbs, ski };
}

/** Signature AlgorithmIdentifier for a signing key. */
function signatureAlgorithm(signer: LabKey): AlgorithmIdentifier {
  switch (signer.type) {
    /*
     * RFC 5758 §3.2: "When the ecdsa-with-SHA224, ecdsa-with-SHA256, ecdsa-with-SHA384, or
     * ecdsa-with-SHA512 algorithm identifier appears in the algorithm field as an
     * AlgorithmIdentifier, the encoding MUST omit the parameters field."
     */
    case 'ec-p256':
      return new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
    /* RFC 4055 §5: sha256WithRSAEncryption with NULL parameters. */
    case 'rsa-2048':
      return new AlgorithmIdentifier({
        algorithm: '1.2.840.113549.1.1.11',
        parameters: toArrayBuffer(new Uint8Array([0x05, 0x00])),
      });
    /* RFC 8410 §3: "For all of the OIDs, the parameters MUST be absent." */
    case 'ed25519':
      return new AlgorithmIdentifier({ algorithm: '1.3.101.112' });
    default:
      throw new LabCertError(`unknown key type ${String(signer.type)}`);
  }
}

/** An extension whose extnValue is the DER of `value`. */
function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** A Name holding one CN (UTF8String), or the empty sequence. */
function buildName(commonName: string | undefined): Name {
  if (commonName === undefined || commonName === '') return new Name([]);
  if (commonName.length > 64)
    throw new LabCertError('common name longer than 64 characters (RFC 5280 ub-common-name)');
  const cn = new AttributeTypeAndValue({
    type: '2.5.4.3',
    value: new AttributeValue({ utf8String: commonName }),
  });
  return new Name([new RelativeDistinguishedName([cn])]);
}

/**
 * RFC 5280 §4.1.2.5: "CAs conforming to this profile MUST always encode certificate validity
 * dates through the year 2049 as UTCTime; certificate validity dates in 2050 or later MUST be
 * encoded as GeneralizedTime." GeneralizedTime "MUST NOT include fractional seconds".
 */
function validity(notBefore: number, notAfter: number): Validity {
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter) || notAfter < notBefore) {
    throw new LabCertError('validity: notBefore and notAfter must be times with notBefore <= notAfter');
  }
  const v = new Validity();
  v.notBefore = asn1Time(notBefore);
  v.notAfter = asn1Time(notAfter);
  return v;
}

function asn1Time(ms: number): Time {
  const date = new Date(Math.floor(ms / 1000) * 1000);
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999)
    throw new LabCertError(`validity date ${date.toISOString()} cannot be encoded`);
  return year < 2050 ? new Time({ utcTime: date }) : new Time({ generalTime: date });
}

/**
 * Content octets of the serial INTEGER. RFC 5280 §4.1.2.2: "The serial number MUST be a
 * positive integer assigned by the CA to each certificate." … "Conforming CAs MUST NOT use
 * serialNumber values longer than 20 octets."
 */
function serialOctets(serial: bigint | undefined, random: Random): Uint8Array {
  if (serial === undefined) {
    const bytes = random.bytes(16);
    // First octet in 0x40..0x7f: positive and minimally encoded.
    bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
    return bytes;
  }
  if (serial <= 0n) throw new LabCertError(`serial must be a positive integer, got ${serial}`);
  let hex = serial.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = '00' + hex;
  if (hex.length > 40) throw new LabCertError('serial longer than 20 octets');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function checkDnsName(name: string): void {
  // dNSName is an IA5String of A-labels (RFC 5280 §4.2.1.6; IDNs as A-labels per RFC 5890).
  if (!/^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(name) || name.length > 253) {
    throw new LabCertError(`dNSName ${JSON.stringify(name)} is not an ASCII host name (use A-labels)`);
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

function toPem(der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
