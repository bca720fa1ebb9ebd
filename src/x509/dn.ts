/**
 * Distinguished names (RFC 5280 §4.1.2.4): the structured RDN list, OpenSSL's "oneline" text
 * (`/OU=Domain Control Validated/CN=mx1.example.org`, as X509_NAME_oneline prints it) and a
 * comparison key for issuer/subject chaining (RFC 5280 §7.1, simplified like OpenSSL's
 * canonical encoding: case-folded ASCII, trimmed and collapsed white space).
 * Never trusts a value to be printable: control and non-ASCII bytes are escaped as \xHH.
 */
import type { AttributeValue, Name } from '@peculiar/asn1-x509';
import { toHex } from '../util/index.ts';

/** One attribute of a relative distinguished name. */
export interface NameAttribute {
  /** Dotted OID of the attribute type. */
  readonly oid: string;
  /** OpenSSL short name (`CN`, `OU`, `emailAddress`…) or the dotted OID. */
  readonly shortName: string;
  /** The value as text (`#hex` for values that are not strings). */
  readonly value: string;
}

/** A parsed distinguished name. */
export interface DistinguishedName {
  /** RDNs in encoding order (most significant first), each a set of attributes. */
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** OpenSSL X509_NAME_oneline text; empty string for an empty name. */
  readonly oneline: string;
  /** Comparison key: equal keys ⇔ the names match for chain building. */
  readonly key: string;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/** Attribute value as its text and the raw octets OpenSSL would print. */
function attributeValue(value: AttributeValue): { text: string; octets: Uint8Array } {
  if (value.utf8String !== undefined) {
    return { text: value.utf8String, octets: new Uint8Array(Buffer.from(value.utf8String, 'utf8')) };
  }
  if (value.bmpString !== undefined) {
    return {
      text: value.bmpString,
      octets: new Uint8Array(Buffer.from(value.bmpString, 'utf16le').swap16()),
    };
  }
  if (value.universalString !== undefined) {
    const codePoints: number[] = [];
    for (const ch of value.universalString) codePoints.push(ch.codePointAt(0) ?? 0);
    const octets = new Uint8Array(codePoints.length * 4);
    const view = new DataView(octets.buffer);
    codePoints.forEach((cp, i) => {
      view.setUint32(i * 4, cp);
    });
    return { text: value.universalString, octets };
  }
  const s = value.printableString ?? value.ia5String ?? value.teletexString;
  if (s !== undefined) return { text: s, octets: new Uint8Array(Buffer.from(s, 'latin1')) };
  const raw = value.anyValue === undefined ? new Uint8Array(0) : new Uint8Array(value.anyValue);
  return { text: `#${toHex(raw)}`, octets: raw };
}

/** X509_NAME_oneline's escaping: bytes outside ' '..'~' become \xHH (upper-case hex). */
function onelineEscape(octets: Uint8Array): string {
  let out = '';
  for (const b of octets) {
    out +=
      b < 0x20 || b > 0x7e ? `\\x${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

/** RFC 5280 §7.1 / RFC 4518-style folding: ASCII case-insensitive, white space collapsed. */
function foldForCompare(text: string): string {
  return text
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/[\s]+/g, ' ')
    .trim();
}

/** Convert a parsed Name into our structured form. */
export function decodeName(name: Name): DistinguishedName {
  const rdns: NameAttribute[][] = [];
  const keyParts: string[] = [];
  let oneline = '';
  for (const rdn of name) {
    const attrs: NameAttribute[] = [];
    const rdnKey: string[] = [];
    for (const atv of rdn) {
      const { text, octets } = attributeValue(atv.value);
      const shortName = SHORT_NAMES[atv.type] ?? atv.type;
      // X509_NAME_oneline joins the attributes of a multi-valued RDN with '+'.
      oneline += `${attrs.length === 0 ? '/' : '+'}${shortName}=${onelineEscape(octets)}`;
      attrs.push({ oid: atv.type, shortName, value: text });
      const folded = text.startsWith('#') && atv.value.anyValue !== undefined ? text : foldForCompare(text);
      rdnKey.push(`${atv.type}=${JSON.stringify(folded)}`);
    }
    rdns.push(attrs);
    keyParts.push(rdnKey.sort().join('+'));
  }
  return { rdns, oneline, key: keyParts.join('/') };
}

/** Every value of attribute `oid` in `dn`, in order (e.g. all CNs). */
export function nameValues(dn: DistinguishedName, oid: string): string[] {
  return dn.rdns.flatMap((rdn) => rdn.filter((a) => a.oid === oid).map((a) => a.value));
}
