/**
 * X.509 certificate parsing (RFC 5280 §4.1). The DER is first cut into its exact byte ranges
 * with our own bounds-checked reader (so the TBSCertificate and SubjectPublicKeyInfo bytes are
 * the ones the peer sent: TLSA selector SPKI(1) and signature checks need them verbatim), then
 * decoded with @peculiar/asn1-x509. The public key becomes a node:crypto KeyObject.
 * Malformed input yields an X509Error (X509_ERR_PARSE); this module never crashes on it and
 * never decides trust. Parsing is a pure function of the DER octets, so recent results are kept
 * in a small bounded cache keyed by the complete DER (never by a digest of it): an MTA sees the
 * same few chains on every connection, and parsing (ASN.1 decode, OpenSSL key load) costs about
 * a millisecond per certificate.
 */
import type { KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { describeError, equalBytes, toHex } from '../util/index.ts';
import {
  DerTag,
  decodeOid,
  expectTag,
  readChildren,
  readTlv,
  tlvBytes,
  tlvContent,
  type Tlv,
} from './der.ts';
import { decodeName, nameValues, type DistinguishedName } from './dn.ts';
import { X509Error } from './errors.ts';
import { decodeExtensions, type BasicConstraintsInfo, type KeyUsageName } from './extensions.ts';
import type { GeneralNameForm, NameConstraintsInfo } from './name-constraints.ts';
import { publicKeyFromSpki } from './keys.ts';

/** An AlgorithmIdentifier (RFC 5280 §4.1.1.2). */
export interface AlgorithmInfo {
  /** Dotted OID. */
  readonly oid: string;
  /** DER of the parameters, when present (RSASSA-PSS needs them). */
  readonly parameters: Uint8Array | undefined;
  /** The whole DER AlgorithmIdentifier, for the "same algorithm inside and outside" check. */
  readonly der: Uint8Array;
}

/** A parsed certificate. All byte arrays are views of its `der` (equal to the input DER). */
export interface Certificate {
  /** The certificate as received (the cache's own copy when the result was cached). */
  readonly der: Uint8Array;
  /** The exact DER TBSCertificate (what the issuer signed). */
  readonly tbs: Uint8Array;
  /** The exact DER SubjectPublicKeyInfo (TLSA selector SPKI(1)). */
  readonly spki: Uint8Array;
  /** 1, 2 or 3. */
  readonly version: number;
  /** Serial number as lower-case hex of its DER INTEGER content. */
  readonly serial: string;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  /** Start of validity, ms since the epoch. */
  readonly notBefore: number;
  /** End of validity, ms since the epoch. */
  readonly notAfter: number;
  readonly basicConstraints: BasicConstraintsInfo | undefined;
  /** Asserted keyUsage bits; undefined when there is no keyUsage extension. */
  readonly keyUsage: ReadonlySet<KeyUsageName> | undefined;
  /** extendedKeyUsage purposes; undefined when absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** subjectAltName dNSNames as presented (not normalised). */
  readonly dnsNames: readonly string[];
  /** subjectAltName iPAddresses as text. */
  readonly ipAddresses: readonly string[];
  /** The GeneralName forms present in subjectAltName. */
  readonly altNameForms: readonly GeneralNameForm[];
  /** nameConstraints (RFC 5280 §4.2.1.10), when present. */
  readonly nameConstraints: NameConstraintsInfo | undefined;
  /** Every subject commonName (2.5.4.3) value. */
  readonly commonNames: readonly string[];
  /** Algorithm of the subject public key (dotted OID). */
  readonly publicKeyAlgorithm: string;
  /** The subject key, or undefined when node:crypto cannot load that key type. */
  readonly publicKey: KeyObject | undefined;
  /** signatureAlgorithm of the outer Certificate. */
  readonly signatureAlgorithm: AlgorithmInfo;
  /** True when the TBS `signature` field equals the outer signatureAlgorithm (RFC 5280 §4.1.2.3). */
  readonly signatureAlgorithmsAgree: boolean;
  /** The signature value (BIT STRING contents without the unused-bits octet). */
  readonly signature: Uint8Array;
  /** Subject and issuer names are equal (RFC 5280 §6.1: "self-issued"). */
  readonly selfIssued: boolean;
  /** Reasons this certificate must not be used in a validated path (bad extensions…). */
  readonly problems: readonly string[];
}

/** The byte ranges of a certificate, found without any ASN.1 library. */
interface RawParts {
  tbs: Uint8Array;
  spki: Uint8Array;
  innerAlg: Tlv;
  outerAlg: Tlv;
  signature: Uint8Array;
  serial: Uint8Array;
}

function bitStringContent(der: Uint8Array, tlv: Tlv): Uint8Array {
  const content = tlvContent(der, tlv);
  if (content.length === 0 || content[0] !== 0) {
    throw new X509Error('X509_ERR_PARSE', 'malformed DER: signature BIT STRING has unused bits');
  }
  return content.subarray(1);
}

/** Cut `der` into its parts; throws X509Error on any structural fault. */
function splitCertificate(der: Uint8Array): RawParts {
  const top = expectTag(readTlv(der, 0), DerTag.SEQUENCE, 'Certificate');
  if (top.end !== der.length) {
    throw new X509Error(
      'X509_ERR_PARSE',
      `malformed DER: ${der.length - top.end} octets after the certificate`,
    );
  }
  const parts = readChildren(der, top);
  if (parts.length !== 3)
    throw new X509Error('X509_ERR_PARSE', 'malformed DER: Certificate must have 3 parts');
  const tbsTlv = expectTag(parts[0], DerTag.SEQUENCE, 'TBSCertificate');
  const outerAlg = expectTag(parts[1], DerTag.SEQUENCE, 'signatureAlgorithm');
  const sigTlv = expectTag(parts[2], DerTag.BIT_STRING, 'signatureValue');
  const fields = readChildren(der, tbsTlv);
  const i = fields[0]?.tag === DerTag.CONTEXT_0 ? 1 : 0;
  const serial = expectTag(fields[i], DerTag.INTEGER, 'serialNumber', tbsTlv.start);
  const innerAlg = expectTag(fields[i + 1], DerTag.SEQUENCE, 'TBS signature', tbsTlv.start);
  const spki = expectTag(fields[i + 5], DerTag.SEQUENCE, 'subjectPublicKeyInfo', tbsTlv.start);
  return {
    tbs: tlvBytes(der, tbsTlv),
    spki: tlvBytes(der, spki),
    innerAlg,
    outerAlg,
    signature: bitStringContent(der, sigTlv),
    serial: tlvContent(der, serial),
  };
}

/**
 * The exact DER SubjectPublicKeyInfo of a certificate, using only the structural reader (no
 * full decode). Throws X509Error when the certificate is malformed.
 */
export function extractSpki(der: Uint8Array): Uint8Array {
  return splitCertificate(der).spki;
}

function algorithmInfo(der: Uint8Array, tlv: Tlv): AlgorithmInfo {
  const kids = readChildren(der, tlv);
  const oidTlv = expectTag(kids[0], DerTag.OID, 'algorithm OID', tlv.start);
  const params = kids[1];
  const parameters = params === undefined || params.tag === DerTag.NULL ? undefined : tlvBytes(der, params);
  return { oid: decodeOid(tlvContent(der, oidTlv)), parameters, der: tlvBytes(der, tlv) };
}

function decodeAsn(der: Uint8Array): AsnCertificate {
  try {
    return AsnConvert.parse(der, AsnCertificate);
  } catch (cause) {
    throw new X509Error('X509_ERR_PARSE', `malformed certificate: ${describeError(cause)}`, { cause });
  }
}

function timeOf(t: { getTime(): Date }, what: string): number {
  const ms = t.getTime().getTime();
  if (!Number.isFinite(ms)) throw new X509Error('X509_ERR_PARSE', `malformed certificate: bad ${what} time`);
  return ms;
}

/** Most certificates kept parsed, and the largest one cached (bounds the memory a peer can pin). */
const CACHE_ENTRIES = 256;
const CACHE_MAX_OCTETS = 8192;
const parsed = new Map<string, Certificate>();

/**
 * Parse a DER certificate. Identical DER may return the very same Certificate object (treat it
 * as immutable, as its readonly type says); a cached result holds its own copy of the octets, so
 * a caller that later reuses its buffer cannot change it.
 * @throws X509Error (X509_ERR_PARSE) when `der` is not a well-formed certificate.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  if (!(der instanceof Uint8Array) || der.length === 0) {
    throw new X509Error('X509_ERR_PARSE', 'malformed certificate: empty input');
  }
  if (der.length > CACHE_MAX_OCTETS) return decodeCertificate(der);
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  const hit = parsed.get(key);
  if (hit !== undefined) {
    // Least recently used first: re-insert on every hit.
    parsed.delete(key);
    parsed.set(key, hit);
    return hit;
  }
  const cert = decodeCertificate(der.slice());
  if (parsed.size >= CACHE_ENTRIES) parsed.delete(parsed.keys().next().value as string);
  parsed.set(key, cert);
  return cert;
}

function decodeCertificate(der: Uint8Array): Certificate {
  const raw = splitCertificate(der);
  const asn = decodeAsn(der);
  const tbs = asn.tbsCertificate;
  const subject = decodeName(tbs.subject);
  const issuer = decodeName(tbs.issuer);
  const ext = decodeExtensions(tbs.extensions);
  const signatureAlgorithm = algorithmInfo(der, raw.outerAlg);
  const inner = tlvBytes(der, raw.innerAlg);
  return {
    der,
    tbs: raw.tbs,
    spki: raw.spki,
    version: tbs.version + 1,
    serial: toHex(raw.serial),
    subject,
    issuer,
    notBefore: timeOf(tbs.validity.notBefore, 'notBefore'),
    notAfter: timeOf(tbs.validity.notAfter, 'notAfter'),
    basicConstraints: ext.basicConstraints,
    keyUsage: ext.keyUsage,
    extendedKeyUsage: ext.extendedKeyUsage,
    dnsNames: ext.dnsNames,
    ipAddresses: ext.ipAddresses,
    altNameForms: ext.altNameForms,
    nameConstraints: ext.nameConstraints,
    commonNames: nameValues(subject, '2.5.4.3'),
    publicKeyAlgorithm: tbs.subjectPublicKeyInfo.algorithm.algorithm,
    publicKey: publicKeyFromSpki(raw.spki),
    signatureAlgorithm,
    signatureAlgorithmsAgree: equalBytes(inner, signatureAlgorithm.der),
    signature: raw.signature,
    selfIssued: subject.key === issuer.key,
    problems: ext.problems,
  };
}

/** Parse, or return the X509Error instead of throwing (for callers that collect failures). */
export function tryParseCertificate(der: Uint8Array): Certificate | X509Error {
  try {
    return parseCertificate(der);
  } catch (err) {
    if (err instanceof X509Error) return err;
    return new X509Error('X509_ERR_PARSE', `malformed certificate: ${describeError(err)}`, { cause: err });
  }
}
