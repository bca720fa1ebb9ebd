/**
 * OpenSSL extension config lines (`x509v3_config`) → X.509 v3 extensions, for the in-process
 * test PKI: basicConstraints, keyUsage, extendedKeyUsage, subjectKeyIdentifier,
 * authorityKeyIdentifier, subjectAltName (DNS, IP, email, URI), nameConstraints (DNS, IP, email,
 * URI, dirName as `/O=Example`) and arbitrary `OID=[critical,]ASN1:UTF8String:text` or `ASN1:NULL`.
 * RFC 5280 §4.2.1.1–§4.2.1.12. Test support only; an unknown line is an error, never ignored.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  NameConstraints,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  type SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { parseSubject } from './test-pki.ts';

const OIDS: Readonly<Record<string, string>> = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
};

const EKU: Readonly<Record<string, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  anyExtendedKeyUsage: '2.5.29.37.0',
};

/* RFC 5280 §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey BIT STRING value. */
function keyId(spki: SubjectPublicKeyInfo): ArrayBuffer {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
}

/** `IP:a.b.c.d/m.m.m.m` (OpenSSL's constraint form) as the CIDR text the ASN.1 library takes. */
function ipConstraint(text: string): string {
  const [addr = '', mask = ''] = text.split('/');
  if (!mask.includes('.') && !mask.includes(':')) return text;
  const bits = mask.includes('.')
    ? mask.split('.').reduce((n, o) => n + (Number(o).toString(2).match(/1/g)?.length ?? 0), 0)
    : Number.NaN;
  if (Number.isNaN(bits)) throw new Error(`test PKI: unsupported IP constraint ${text}`);
  return `${addr}/${bits}`;
}

/** One `TYPE:value` general name (`DNS:a`, `IP:1.2.3.4`, `email:x`, `URI:u`, `dirName:/O=x`). */
function generalName(item: string, constraint: boolean): GeneralName {
  const colon = item.indexOf(':');
  const type = item.slice(0, colon);
  const value = item.slice(colon + 1);
  switch (type) {
    case 'DNS':
      return new GeneralName({ dNSName: value });
    case 'IP':
      return new GeneralName({ iPAddress: constraint ? ipConstraint(value) : value });
    case 'email':
      return new GeneralName({ rfc822Name: value });
    case 'URI':
      return new GeneralName({ uniformResourceIdentifier: value });
    case 'dirName':
      return new GeneralName({ directoryName: parseSubject(value) });
    default:
      throw new Error(`test PKI: unsupported general name ${item}`);
  }
}

function basicConstraints(parts: readonly string[]): BasicConstraints {
  const bc = new BasicConstraints({ cA: parts.includes('CA:TRUE') });
  const pathLen = parts.map((p) => /^pathlen:(\d+)$/.exec(p)?.[1]).find((v) => v !== undefined);
  if (pathLen !== undefined) bc.pathLenConstraint = Number(pathLen);
  return bc;
}

function keyUsage(parts: readonly string[]): KeyUsage {
  let bits = 0;
  for (const p of parts) {
    const flag = (KeyUsageFlags as unknown as Record<string, number | undefined>)[p];
    if (flag === undefined) throw new Error(`test PKI: unknown keyUsage ${p}`);
    bits |= flag;
  }
  return new KeyUsage(bits);
}

function nameConstraints(parts: readonly string[]): NameConstraints {
  const permitted: GeneralSubtree[] = [];
  const excluded: GeneralSubtree[] = [];
  for (const p of parts) {
    const [which, item = ''] = p.split(';');
    const subtree = new GeneralSubtree({ base: generalName(item, true) });
    if (which === 'permitted') permitted.push(subtree);
    else if (which === 'excluded') excluded.push(subtree);
    else throw new Error(`test PKI: nameConstraints wants permitted;… or excluded;…, got ${p}`);
  }
  const nc = new NameConstraints();
  if (permitted.length > 0) nc.permittedSubtrees = new GeneralSubtrees(permitted);
  if (excluded.length > 0) nc.excludedSubtrees = new GeneralSubtrees(excluded);
  return nc;
}

/** The DER value of one extension line's parts. */
function extensionValue(
  name: string,
  parts: readonly string[],
  keys: { spki: SubjectPublicKeyInfo; issuerSpki: SubjectPublicKeyInfo },
): ArrayBuffer {
  switch (name) {
    case 'basicConstraints':
      return AsnConvert.serialize(basicConstraints(parts));
    case 'keyUsage':
      return AsnConvert.serialize(keyUsage(parts));
    case 'extendedKeyUsage':
      return AsnConvert.serialize(new ExtendedKeyUsage(parts.map((p) => EKU[p] ?? p)));
    case 'subjectKeyIdentifier':
      return AsnConvert.serialize(new SubjectKeyIdentifier(keyId(keys.spki)));
    case 'authorityKeyIdentifier':
      return AsnConvert.serialize(
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId(keys.issuerSpki)) }),
      );
    case 'subjectAltName':
      return AsnConvert.serialize(new SubjectAlternativeName(parts.map((p) => generalName(p, false))));
    case 'nameConstraints':
      return AsnConvert.serialize(nameConstraints(parts));
    default: {
      // OID=ASN1:NULL or OID=ASN1:UTF8String:text
      const value = parts.join(',');
      const m = /^ASN1:UTF8String:(.*)$/s.exec(value);
      if (!/^\d+(\.\d+)+$/.test(name) || (m === null && value !== 'ASN1:NULL')) {
        throw new Error(`test PKI: unsupported extension ${name}`);
      }
      if (m === null) return new Uint8Array([0x05, 0x00]).buffer;
      const text = new TextEncoder().encode(m[1] ?? '');
      return new Uint8Array([0x0c, text.length, ...text]).buffer;
    }
  }
}

/** One OpenSSL config line (`keyUsage=critical,keyCertSign`) as an Extension. */
export function encodeExtension(
  line: string,
  keys: { spki: SubjectPublicKeyInfo; issuerSpki: SubjectPublicKeyInfo },
): Extension {
  const eq = line.indexOf('=');
  if (eq < 1) throw new Error(`test PKI: cannot read extension line ${JSON.stringify(line)}`);
  const name = line.slice(0, eq).trim();
  let parts = line
    .slice(eq + 1)
    .split(',')
    .map((p) => p.trim());
  const critical = parts[0] === 'critical';
  if (critical) parts = parts.slice(1);
  return new Extension({
    extnID: OIDS[name] ?? name,
    critical,
    extnValue: new OctetString(extensionValue(name, parts, keys)),
  });
}
