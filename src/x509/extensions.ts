/**
 * The certificate extensions DANE-TA path checks need (RFC 5280 §4.2): basicConstraints,
 * keyUsage, extendedKeyUsage and subjectAltName, decoded with @peculiar/asn1-x509. Problems
 * (a duplicate extension, an undecodable value, an unrecognised critical extension) are
 * collected as text instead of thrown, so that a DANE-EE(3) peer whose certificate carries odd
 * extensions is still matched by its key alone, while chain checks refuse such a certificate.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  ExtendedKeyUsage,
  type Extensions,
  KeyUsage,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import { describeError } from '../util/index.ts';
import {
  decodeNameConstraints,
  generalNameForm,
  type GeneralNameForm,
  type NameConstraintsInfo,
} from './name-constraints.ts';

/** Decoded basicConstraints (RFC 5280 §4.2.1.9). */
export interface BasicConstraintsInfo {
  readonly cA: boolean;
  /** Absent when the extension does not limit the path length. */
  readonly pathLenConstraint: number | undefined;
  readonly critical: boolean;
}

/** keyUsage bits (RFC 5280 §4.2.1.3) by their RFC names. */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

/** keyUsage names in bit order (bit 0 = digitalSignature), as @peculiar's KeyUsage numbers them. */
const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/** What the certificate's extensions say, as far as DANE cares. */
export interface ExtensionInfo {
  basicConstraints: BasicConstraintsInfo | undefined;
  /** Asserted keyUsage bits; undefined when the extension is absent. */
  keyUsage: ReadonlySet<KeyUsageName> | undefined;
  /** extendedKeyUsage purpose OIDs; undefined when the extension is absent. */
  extendedKeyUsage: readonly string[] | undefined;
  /** subjectAltName dNSName entries, as presented. */
  dnsNames: string[];
  /** subjectAltName iPAddress entries, as text. */
  ipAddresses: string[];
  /** True when a subjectAltName extension is present (even without dNSNames). */
  hasSubjectAltName: boolean;
  /** The GeneralName forms present in subjectAltName. */
  altNameForms: GeneralNameForm[];
  /** Decoded nameConstraints (RFC 5280 §4.2.1.10); undefined when absent. */
  nameConstraints: NameConstraintsInfo | undefined;
  /** Dotted OIDs of every extension present. */
  oids: string[];
  /** Reasons this certificate must not be used in a validated path. */
  problems: string[];
}

/** Extension OIDs (RFC 5280 §4.2.1, RFC 6962 §3.3). */
export const ExtensionOid = {
  SUBJECT_KEY_ID: '2.5.29.14',
  KEY_USAGE: '2.5.29.15',
  SUBJECT_ALT_NAME: '2.5.29.17',
  ISSUER_ALT_NAME: '2.5.29.18',
  BASIC_CONSTRAINTS: '2.5.29.19',
  NAME_CONSTRAINTS: '2.5.29.30',
  CRL_DISTRIBUTION_POINTS: '2.5.29.31',
  CERTIFICATE_POLICIES: '2.5.29.32',
  AUTHORITY_KEY_ID: '2.5.29.35',
  EXT_KEY_USAGE: '2.5.29.37',
  AUTHORITY_INFO_ACCESS: '1.3.6.1.5.5.7.1.1',
  SUBJECT_INFO_ACCESS: '1.3.6.1.5.5.7.1.11',
  CT_SCTS: '1.3.6.1.4.1.11129.2.4.2',
} as const;

/**
 * Extensions we either process or may safely ignore. Name constraints are processed by
 * name-constraints.ts (dNSName enforced, other forms refused when they apply).
 */
const RECOGNISED: ReadonlySet<string> = new Set([
  ExtensionOid.NAME_CONSTRAINTS,
  ExtensionOid.SUBJECT_KEY_ID,
  ExtensionOid.KEY_USAGE,
  ExtensionOid.SUBJECT_ALT_NAME,
  ExtensionOid.ISSUER_ALT_NAME,
  ExtensionOid.BASIC_CONSTRAINTS,
  ExtensionOid.CRL_DISTRIBUTION_POINTS,
  ExtensionOid.CERTIFICATE_POLICIES,
  ExtensionOid.AUTHORITY_KEY_ID,
  ExtensionOid.EXT_KEY_USAGE,
  ExtensionOid.AUTHORITY_INFO_ACCESS,
  ExtensionOid.SUBJECT_INFO_ACCESS,
  ExtensionOid.CT_SCTS,
]);

/** An empty ExtensionInfo (v1/v2 certificates have no extensions). */
function emptyInfo(): ExtensionInfo {
  return {
    basicConstraints: undefined,
    keyUsage: undefined,
    extendedKeyUsage: undefined,
    dnsNames: [],
    ipAddresses: [],
    hasSubjectAltName: false,
    altNameForms: [],
    nameConstraints: undefined,
    oids: [],
    problems: [],
  };
}

type Ext = Extensions[number];

function decodeOne(info: ExtensionInfo, ext: Ext): void {
  switch (ext.extnID) {
    case ExtensionOid.BASIC_CONSTRAINTS: {
      const bc = AsnConvert.parse(ext.extnValue, BasicConstraints);
      info.basicConstraints = { cA: bc.cA, pathLenConstraint: bc.pathLenConstraint, critical: ext.critical };
      break;
    }
    case ExtensionOid.KEY_USAGE: {
      const bits = AsnConvert.parse(ext.extnValue, KeyUsage).toNumber();
      info.keyUsage = new Set(KEY_USAGE_BITS.filter((_, i) => (bits & (1 << i)) !== 0));
      break;
    }
    case ExtensionOid.EXT_KEY_USAGE:
      info.extendedKeyUsage = [...AsnConvert.parse(ext.extnValue, ExtendedKeyUsage)];
      break;
    case ExtensionOid.SUBJECT_ALT_NAME:
      info.hasSubjectAltName = true;
      for (const gn of AsnConvert.parse(ext.extnValue, SubjectAlternativeName)) {
        if (gn.dNSName !== undefined) info.dnsNames.push(gn.dNSName);
        if (gn.iPAddress !== undefined) info.ipAddresses.push(gn.iPAddress);
        const form = generalNameForm(gn);
        if (form !== undefined && !info.altNameForms.includes(form)) info.altNameForms.push(form);
      }
      break;
    case ExtensionOid.NAME_CONSTRAINTS:
      info.nameConstraints = decodeNameConstraints(ext.extnValue);
      break;
    default:
      break;
  }
}

/** Decode the extensions of a certificate; never throws. */
export function decodeExtensions(extensions: Extensions | undefined): ExtensionInfo {
  const info = emptyInfo();
  if (extensions === undefined) return info;
  for (const ext of extensions) {
    if (info.oids.includes(ext.extnID)) {
      // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
      info.problems.push(`duplicate extension ${ext.extnID}`);
      continue;
    }
    info.oids.push(ext.extnID);
    // RFC 5280 §4.2: "A certificate-using system MUST reject the certificate if it encounters a
    // critical extension it does not recognize or a critical extension that contains information
    // that it cannot process."
    if (ext.critical && !RECOGNISED.has(ext.extnID)) {
      info.problems.push(`unhandled critical extension ${ext.extnID}`);
    }
    try {
      decodeOne(info, ext);
    } catch (cause) {
      info.problems.push(`undecodable extension ${ext.extnID}: ${describeError(cause)}`);
    }
  }
  return info;
}
