/**
 * An in-process test PKI: keys (EC P-256/P-384, RSA, Ed25519), self-signed roots, intermediates
 * and leaves with the extensions a test asks for, written as the same OpenSSL config lines the
 * openssl CLI takes (`basicConstraints=critical,CA:TRUE,pathlen:0`, `subjectAltName=DNS:a`,
 * `nameConstraints=permitted;DNS:x`, `1.2.3.4=critical,ASN1:UTF8String:v` …) and the signing
 * options of `openssl x509 -req` (`-sha384`, `-sigopt rsa_padding_mode:pss` …). Built with
 * @peculiar/asn1-x509 and signed with node:crypto, so the x509, DANE and SMTP tests never depend
 * on the openssl CLI; tests that compare with OpenSSL itself use openssl-pki.ts for that.
 * RFC 5280 §4.1 (certificate), §4.2.1 (extensions), RFC 4055 §3.1 (RSASSA-PSS parameters),
 * RFC 5758 §3.2, RFC 8410 §3 (signature algorithm encodings).
 * Test support only: no network; files are written only when a test asks for `certFile`/`keyFile`.
 */
import {
  constants,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { encodeExtension } from './test-pki-extensions.ts';

/** Key algorithms the PKI can make. */
export type KeyType = 'ec' | 'ec384' | 'rsa' | 'ed25519';

/** A certificate made by a test PKI. */
export interface PkiCert {
  readonly name: string;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly keyPem: string;
  readonly privateKey: KeyObject;
  /** The certificate as a PEM file (written on first use). */
  readonly certFile: string;
  /** The private key as a PEM file (written on first use). */
  readonly keyFile: string;
}

/** Options for a certificate. `ext` lines use OpenSSL's extension config syntax. */
export interface CertOptions<C = PkiCert> {
  /** `-subj` text, e.g. `/CN=mx1.example.org` (`+` joins a multi-valued RDN). */
  readonly subject: string;
  /** Validity in days from now (default 3650). */
  readonly days?: number;
  /** Extension lines (`basicConstraints=critical,CA:TRUE`, `subjectAltName=DNS:a.example`). */
  readonly ext?: readonly string[];
  /** Key type of the new certificate (default 'ec'). */
  readonly keyType?: KeyType;
  /** Reuse the key of this certificate instead of making a new one. */
  readonly sameKeyAs?: C;
  /** `openssl x509 -req` signing arguments: `-sha1`…`-sha512`, `-sigopt rsa_padding_mode:pss` …. */
  readonly signArgs?: readonly string[];
}

/** Anything that makes certificates the way the tests describe them. */
export interface Pki {
  selfSigned(name: string, opts: CertOptions): PkiCert;
  issue(name: string, issuer: PkiCert, opts: CertOptions): PkiCert;
  cleanup(): void;
}

const DAY = 86_400_000;

/** Attribute short names of `-subj` text, with the string type OpenSSL's -utf8 chooses. */
const ATTRS: Readonly<Record<string, { oid: string; kind: 'utf8' | 'printable' | 'ia5' }>> = {
  C: { oid: '2.5.4.6', kind: 'printable' },
  ST: { oid: '2.5.4.8', kind: 'utf8' },
  L: { oid: '2.5.4.7', kind: 'utf8' },
  O: { oid: '2.5.4.10', kind: 'utf8' },
  OU: { oid: '2.5.4.11', kind: 'utf8' },
  CN: { oid: '2.5.4.3', kind: 'utf8' },
  serialNumber: { oid: '2.5.4.5', kind: 'printable' },
  emailAddress: { oid: '1.2.840.113549.1.9.1', kind: 'ia5' },
  DC: { oid: '0.9.2342.19200300.100.1.25', kind: 'ia5' },
};

/** Parse `/C=DE/O=Example/CN=a+CN=b` into a Name (RDNs in the order written). */
export function parseSubject(text: string): Name {
  if (text === '' || text === '/') return new Name([]);
  if (!text.startsWith('/')) throw new Error(`test PKI: subject must start with '/': ${text}`);
  const rdns = text
    .slice(1)
    .split('/')
    .map((rdn) => {
      const atvs = rdn.split('+').map((pair) => {
        const eq = pair.indexOf('=');
        const spec = ATTRS[pair.slice(0, eq)];
        if (eq < 1 || spec === undefined) throw new Error(`test PKI: unknown attribute in ${pair}`);
        const v = pair.slice(eq + 1);
        const value =
          spec.kind === 'utf8'
            ? new AttributeValue({ utf8String: v })
            : spec.kind === 'printable'
              ? new AttributeValue({ printableString: v })
              : new AttributeValue({ ia5String: v });
        return new AttributeTypeAndValue({ type: spec.oid, value });
      });
      return new RelativeDistinguishedName(atvs);
    });
  return new Name(rdns);
}

function newKey(type: KeyType): KeyObject {
  switch (type) {
    case 'ec':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'ec384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
  }
}

/* A few DER building blocks for the RSASSA-PSS parameters. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}
function tlv(tag: number, content: readonly number[]): number[] {
  return [tag, ...derLength(content.length), ...content];
}
function derOid(dotted: string): number[] {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const body = [40 * a + b];
  for (const n of rest) {
    const bytes = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    body.push(...bytes);
  }
  return tlv(0x06, body);
}
function derInt(n: number): number[] {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  if (bytes.length === 0 || (bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return tlv(0x02, bytes);
}

const HASH_OID: Readonly<Record<string, string>> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const RSA_OID: Readonly<Record<string, string>> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};
const ECDSA_OID: Readonly<Record<string, string>> = {
  sha1: '1.2.840.10045.4.1',
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};

/** How a certificate is signed: digest, padding and the AlgorithmIdentifier that says so. */
interface SignSpec {
  digest: string | null;
  pssSalt?: number;
  algorithm: AlgorithmIdentifier;
}

function toBuffer(bytes: readonly number[] | Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** The signing spec of `openssl x509 -req` arguments for a signer key. */
function signSpec(key: KeyObject, args: readonly string[]): SignSpec {
  const digest = args.map((a) => /^-(sha1|sha256|sha384|sha512)$/.exec(a)?.[1]).find((d) => d !== undefined);
  const sigopts = args.filter((_, i) => args[i - 1] === '-sigopt');
  const type = key.asymmetricKeyType;
  /* RFC 8410 §3: "For all of the OIDs, the parameters MUST be absent." */
  if (type === 'ed25519')
    return { digest: null, algorithm: new AlgorithmIdentifier({ algorithm: '1.3.101.112' }) };
  const hash = digest ?? 'sha256';
  /* RFC 5758 §3.2: for ECDSA "the encoding MUST omit the parameters field". */
  if (type === 'ec')
    return { digest: hash, algorithm: new AlgorithmIdentifier({ algorithm: ECDSA_OID[hash] ?? '' }) };
  if (!sigopts.includes('rsa_padding_mode:pss')) {
    /* RFC 4055 §5: PKCS #1 v1.5 signature algorithms carry NULL parameters. */
    const algorithm = new AlgorithmIdentifier({
      algorithm: RSA_OID[hash] ?? '',
      parameters: toBuffer([5, 0]),
    });
    return { digest: hash, algorithm };
  }
  const saltArg = sigopts.map((o) => /^rsa_pss_saltlen:(-?\d+)$/.exec(o)?.[1]).find((s) => s !== undefined);
  const hLen = createHash(hash).digest().length;
  const emLen = Math.ceil(((key.asymmetricKeyDetails?.modulusLength ?? 2048) - 1) / 8);
  // -1: the digest length; -2: the largest salt that fits (OpenSSL's "max").
  const salt =
    saltArg === undefined || saltArg === '-1' ? hLen : saltArg === '-2' ? emLen - hLen - 2 : Number(saltArg);
  /* RFC 4055 §3.1: RSASSA-PSS-params with hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2]. */
  const hashAlg = tlv(0x30, [...derOid(HASH_OID[hash] ?? ''), 0x05, 0x00]);
  const params = tlv(0x30, [
    ...tlv(0xa0, hashAlg),
    ...tlv(0xa1, tlv(0x30, [...derOid('1.2.840.113549.1.1.8'), ...hashAlg])),
    ...tlv(0xa2, derInt(salt)),
  ]);
  return {
    digest: hash,
    pssSalt: salt,
    algorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.10', parameters: toBuffer(params) }),
  };
}

/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, whole seconds. */
function asnTime(ms: number): Time {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return d.getUTCFullYear() < 2050 ? new Time({ utcTime: d }) : new Time({ generalTime: d });
}

function validity(notBefore: number, notAfter: number): Validity {
  const v = new Validity();
  v.notBefore = asnTime(notBefore);
  v.notAfter = asnTime(notAfter);
  return v;
}

function pemOf(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** A PKI made in-process. `certFile`/`keyFile` live in a temp directory made on first use. */
export class TestPki implements Pki {
  #dir: string | undefined;
  #serial = 1000;

  /** Remove the temp directory, if one was made. */
  cleanup(): void {
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  #file(name: string, text: string): string {
    this.#dir ??= mkdtempSync(join(tmpdir(), 'dane-mta-test-pki-'));
    const file = join(this.#dir, name.replace(/[^A-Za-z0-9_.-]/g, '_'));
    writeFileSync(file, text);
    return file;
  }

  /** A self-signed certificate (a root CA unless `ext` says otherwise). */
  selfSigned(name: string, opts: CertOptions): PkiCert {
    return this.#make(name, opts, undefined);
  }

  /** A certificate signed by `issuer`. */
  issue(name: string, issuer: PkiCert, opts: CertOptions): PkiCert {
    return this.#make(name, opts, issuer);
  }

  #make(name: string, opts: CertOptions, issuer: PkiCert | undefined): PkiCert {
    const privateKey = opts.sameKeyAs?.privateKey ?? newKey(opts.keyType ?? 'ec');
    const spkiDer = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
    const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
    const subject = parseSubject(opts.subject);
    const issuerCert = issuer === undefined ? undefined : AsnConvert.parse(issuer.der, Certificate);
    const signerKey = issuer?.privateKey ?? privateKey;
    const spec = signSpec(signerKey, opts.signArgs ?? []);
    const now = Date.now();
    const extensions = (opts.ext ?? []).map((line) =>
      encodeExtension(line, { spki, issuerSpki: issuerCert?.tbsCertificate.subjectPublicKeyInfo ?? spki }),
    );
    const tbs = new TBSCertificate({
      version: extensions.length > 0 ? Version.v3 : Version.v1,
      serialNumber: toBuffer(derIntContent(this.#serial++)),
      signature: spec.algorithm,
      issuer: issuerCert?.tbsCertificate.subject ?? subject,
      validity: validity(now, now + (opts.days ?? 3650) * DAY),
      subject,
      subjectPublicKeyInfo: spki,
      ...(extensions.length > 0 ? { extensions: new Extensions(extensions) } : {}),
    });
    const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
    const signature = sign(
      spec.digest,
      tbsDer,
      spec.pssSalt === undefined
        ? signerKey
        : { key: signerKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pssSalt },
    );
    const cert = new Certificate({
      tbsCertificate: tbs,
      signatureAlgorithm: spec.algorithm,
      signatureValue: toBuffer(signature),
    });
    const der = new Uint8Array(AsnConvert.serialize(cert));
    const pem = pemOf(der, 'CERTIFICATE');
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    let certFile: string | undefined;
    let keyFile: string | undefined;
    const files = {
      cert: (): string => (certFile ??= this.#file(`${name}.pem`, pem)),
      key: (): string => (keyFile ??= this.#file(`${name}.key`, keyPem)),
    };
    return {
      name,
      der,
      pem,
      keyPem,
      privateKey,
      get certFile() {
        return files.cert();
      },
      get keyFile() {
        return files.key();
      },
    };
  }
}

/** Content octets of a positive INTEGER. */
function derIntContent(n: number): number[] {
  return derInt(n).slice(2);
}

/** Extension lines for a CA (pathLen optional). */
export function caExt(pathLen?: number): string[] {
  const bc = pathLen === undefined ? 'critical,CA:TRUE' : `critical,CA:TRUE,pathlen:${pathLen}`;
  return [`basicConstraints=${bc}`, 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'];
}

/** Extension lines for a TLS server leaf with these DNS names. */
export function leafExt(dnsNames: readonly string[]): string[] {
  const san = dnsNames.length === 0 ? [] : [`subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`];
  return [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    ...san,
  ];
}
