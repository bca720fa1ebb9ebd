/**
 * Tests of certificate parsing: OpenSSL's DANE test certificates, certificates made in-process
 * (cross-checked against node:crypto's view of them, always) and by the openssl CLI (against
 * openssl's own view, under the interop rule), and malformed DER that must yield X509Error,
 * never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate as AsnCertificate, Extension } from '@peculiar/asn1-x509';
import { seededRandom, toHex } from '../util/index.ts';
import { openssl, OpensslPki, requireOpenssl, type PkiCert } from '../../test/helpers/openssl-pki.ts';
import { TestPki, caExt, leafExt } from '../../test/helpers/test-pki.ts';
import { extractSpki, parseCertificate, tryParseCertificate } from './cert.ts';
import { decodeOid } from './der.ts';
import { vectorPath } from '../../test/helpers/vectors.ts';
import { X509Error } from './errors.ts';
import { decodePemCertificates } from './pem.ts';

/** OpenSSL's DANE test chains (test/vectors/data/openssl-danetest, a copy of ../shared/vectors). */
const VECTORS = vectorPath('openssl-danetest');
const cases = JSON.parse(readFileSync(`${VECTORS}/danetest.cases.json`, 'utf8')) as {
  suites: { tests: { testno: number; chain_der_b64: string[] }[] }[];
};
const der = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));
const suite0 = cases.suites[0]!.tests;
const chain11 = suite0.find((t) => t.testno === 11)!.chain_der_b64.map(der);
const chain51 = suite0.find((t) => t.testno === 51)!.chain_der_b64.map(der);
const anon = der(suite0[0]!.chain_der_b64[0]!);
const cross = cases.suites[1]!.tests[0]!.chain_der_b64.map(der);

test('parses the OpenSSL DANE test certificates', () => {
  const table = [
    {
      der: chain11[0]!,
      want: {
        subject: '/CN=example.com',
        issuer: '/CN=Issuer CA',
        cA: false,
        dns: ['example.com'],
        selfIssued: false,
        key: 'ec',
        sig: '1.2.840.10045.4.3.2',
      },
    },
    {
      der: chain11[1]!,
      want: {
        subject: '/CN=Issuer CA',
        issuer: '/CN=Root CA',
        cA: true,
        dns: [],
        selfIssued: false,
        key: 'ec',
        sig: '1.2.840.10045.4.3.2',
      },
    },
    {
      der: chain11[2]!,
      want: {
        subject: '/CN=Root CA',
        issuer: '/CN=Root CA',
        cA: true,
        dns: [],
        selfIssued: true,
        key: 'ec',
        sig: '1.2.840.10045.4.3.2',
      },
    },
    {
      der: chain51[0]!,
      want: {
        subject: '/CN=example.org',
        issuer: '/CN=CA2',
        cA: false,
        dns: ['example.org'],
        selfIssued: false,
        key: 'ec',
        sig: '1.2.840.10045.4.3.2',
      },
    },
    {
      der: cross[2]!,
      want: {
        subject: '/CN=Root CA',
        issuer: '/CN=Cross Root',
        cA: true,
        dns: [],
        selfIssued: false,
        key: 'rsa',
        sig: '1.2.840.113549.1.1.11',
      },
    },
    {
      der: anon,
      want: {
        subject: '',
        issuer: '',
        cA: undefined,
        dns: [],
        selfIssued: true,
        key: 'ec',
        sig: '1.2.840.10045.4.3.2',
      },
    },
  ];
  for (const { der: d, want } of table) {
    const c = parseCertificate(d);
    assert.equal(c.subject.oneline, want.subject);
    assert.equal(c.issuer.oneline, want.issuer);
    assert.equal(c.basicConstraints?.cA, want.cA, want.subject);
    assert.deepEqual(c.dnsNames, want.dns);
    assert.equal(c.selfIssued, want.selfIssued, want.subject);
    assert.equal(c.publicKey?.asymmetricKeyType, want.key);
    assert.equal(c.signatureAlgorithm.oid, want.sig);
    assert.equal(c.signatureAlgorithmsAgree, true);
    assert.deepEqual(c.problems, []);
    // Node's own parser agrees on dates and the SPKI.
    const x = new X509Certificate(d);
    assert.equal(c.notBefore, Date.parse(x.validFrom));
    assert.equal(c.notAfter, Date.parse(x.validTo));
    assert.equal(toHex(c.spki), toHex(x.publicKey.export({ type: 'spki', format: 'der' })));
  }
});

test('the anonymous DANE-EE certificate is never valid (notAfter < notBefore) but parses', () => {
  const c = parseCertificate(anon);
  assert.ok(c.notAfter < c.notBefore);
  assert.equal(c.subject.rdns.length, 0);
  assert.equal(c.version, 3);
});

test('DER slices: TBS and SPKI are views of the original bytes', () => {
  const c = parseCertificate(chain11[0]!);
  const x = Buffer.from(c.der);
  assert.ok(x.includes(Buffer.from(c.tbs)));
  assert.ok(x.includes(Buffer.from(c.spki)));
  assert.equal(toHex(extractSpki(c.der)), toHex(c.spki));
  assert.equal(c.tbs[0], 0x30);
});

test("parse results are cached by the whole DER, immune to later changes of the caller's buffer", () => {
  const buffer = new Uint8Array(chain11[0]!);
  const first = parseCertificate(buffer);
  const again = parseCertificate(new Uint8Array(chain11[0]!));
  assert.equal(again, first, 'identical DER gives the cached result');
  assert.notEqual(first.der.buffer, buffer.buffer, 'the cache keeps its own copy');
  buffer[buffer.length - 1] = (buffer.at(-1) ?? 0) ^ 0xff; // same length, one signature octet changed
  const changed = parseCertificate(buffer);
  assert.notEqual(changed, first);
  assert.notEqual(toHex(changed.signature), toHex(first.signature));
  assert.equal(toHex(first.der), toHex(chain11[0]!), 'the cached certificate did not change');
});

test('decodeOid', () => {
  const table = [
    { hex: '2a864886f70d01010b', want: '1.2.840.113549.1.1.11' },
    { hex: '550403', want: '2.5.4.3' },
    { hex: '2b6570', want: '1.3.101.112' },
    { hex: '0992268993f22c640119', want: '0.9.2342.19200300.100.1.25' },
    { hex: '8837', want: '2.999' },
  ];
  for (const { hex, want } of table) assert.equal(decodeOid(new Uint8Array(Buffer.from(hex, 'hex'))), want);
  assert.throws(() => decodeOid(new Uint8Array([0x2a, 0x86])), X509Error);
});

test('malformed DER yields X509Error with code X509_ERR_PARSE', () => {
  const good = chain11[0]!;
  const table: { name: string; bytes: Uint8Array }[] = [
    { name: 'empty', bytes: new Uint8Array(0) },
    { name: 'one byte', bytes: new Uint8Array([0x30]) },
    { name: 'truncated', bytes: good.subarray(0, good.length - 1) },
    { name: 'trailing garbage', bytes: new Uint8Array([...good, 0]) },
    { name: 'not a sequence', bytes: new Uint8Array([0x04, 0x02, 0x30, 0x00]) },
    { name: 'indefinite length', bytes: new Uint8Array([0x30, 0x80, 0x00, 0x00]) },
    { name: 'huge length', bytes: new Uint8Array([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00]) },
    { name: 'length field too long', bytes: new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]) },
    { name: 'empty sequence', bytes: new Uint8Array([0x30, 0x00]) },
    { name: 'three empty parts', bytes: new Uint8Array([0x30, 0x06, 0x30, 0x00, 0x30, 0x00, 0x03, 0x00]) },
    { name: 'PEM text as bytes', bytes: new Uint8Array(Buffer.from('-----BEGIN CERTIFICATE-----')) },
  ];
  for (const { name, bytes } of table) {
    assert.throws(
      () => parseCertificate(bytes),
      (err: unknown) =>
        err instanceof X509Error && err.code === 'X509_ERR_PARSE' && !err.message.includes('\n'),
      name,
    );
    assert.ok(tryParseCertificate(bytes) instanceof X509Error, name);
  }
});

test('random corruption never escapes as anything but X509Error', () => {
  const rnd = seededRandom(7672);
  const base = chain11[1]!;
  for (let i = 0; i < 400; i++) {
    const bytes = new Uint8Array(base);
    const flips = 1 + rnd.int(4);
    for (let k = 0; k < flips; k++) bytes[rnd.int(bytes.length)] = rnd.int(256);
    const cut = rnd.int(10) === 0 ? bytes.subarray(0, rnd.int(bytes.length)) : bytes;
    try {
      const c = parseCertificate(cut);
      assert.equal(typeof c.subject.oneline, 'string');
      assert.ok(Number.isFinite(c.notBefore) && Number.isFinite(c.notAfter));
    } catch (err) {
      assert.ok(err instanceof X509Error && err.code === 'X509_ERR_PARSE', String(err));
    }
  }
});

test('PEM parsing of the trust store files', () => {
  const roots = decodePemCertificates(readFileSync(`${VECTORS}/danetest.pem`, 'utf8'));
  assert.equal(roots.length, 1);
  assert.equal(parseCertificate(roots[0]!).subject.oneline, '/CN=Root CA');
  const crossRoot = decodePemCertificates(readFileSync(`${VECTORS}/cross-root.pem`, 'utf8'));
  assert.equal(parseCertificate(crossRoot[0]!).subject.oneline, '/CN=Cross Root');
});

test("certificates made in-process: our view equals node:crypto's", (t) => {
  const pki = new TestPki();
  t.after(() => {
    pki.cleanup();
  });
  const root = pki.selfSigned('root', { subject: '/C=DE/O=Bücher GmbH/CN=Test Root', ext: caExt(1) });
  const leaf = pki.issue('leaf', root, {
    subject: '/OU=Domain Control Validated/CN=mx1.example.org+CN=mx2.example.org',
    ext: [
      ...leafExt(['mx1.example.org', '*.example.net']).slice(0, 3),
      'subjectAltName=DNS:mx1.example.org,DNS:*.example.net,IP:192.0.2.7',
    ],
    days: 30,
  });
  const weird = pki.issue('weird', root, {
    subject: '/CN=tab\there/emailAddress=postmaster@example.org/DC=example/DC=org',
    ext: ['basicConstraints=CA:FALSE', '1.2.3.4.5=critical,ASN1:UTF8String:hello'],
  });
  for (const cert of [root, leaf, weird]) {
    const ours = parseCertificate(cert.der);
    const node = new X509Certificate(cert.der);
    assert.equal(
      ours.serial.replace(/^0+/, ''),
      node.serialNumber.toLowerCase().replace(/^0+/, ''),
      cert.name,
    );
    assert.equal(toHex(ours.spki), toHex(node.publicKey.export({ type: 'spki', format: 'der' })), cert.name);
    assert.equal(ours.notBefore, Date.parse(node.validFrom), cert.name);
    assert.equal(ours.notAfter, Date.parse(node.validTo), cert.name);
    assert.equal(ours.basicConstraints?.cA ?? false, node.ca, cert.name);
    assert.equal(ours.selfIssued, node.checkIssued(node), cert.name);
    const sans = (node.subjectAltName ?? '').split(', ').filter((x) => x !== '');
    assert.deepEqual(
      ours.dnsNames,
      sans.filter((x) => x.startsWith('DNS:')).map((x) => x.slice(4)),
      cert.name,
    );
    assert.deepEqual(
      ours.ipAddresses,
      sans.filter((x) => x.startsWith('IP Address:')).map((x) => x.slice(11)),
      cert.name,
    );
  }
  assert.deepEqual(parseCertificate(leaf.der).commonNames, ['mx1.example.org', 'mx2.example.org']);
  assert.deepEqual(parseCertificate(weird.der).problems, ['unhandled critical extension 1.2.3.4.5']);
  assert.deepEqual([...(parseCertificate(root.der).keyUsage ?? [])], ['keyCertSign', 'cRLSign']);
  assert.equal(parseCertificate(root.der).basicConstraints?.pathLenConstraint, 1);
  assert.equal(
    parseCertificate(leaf.der).subject.oneline,
    '/OU=Domain Control Validated/CN=mx1.example.org+CN=mx2.example.org',
  );
  assert.match(parseCertificate(root.der).subject.oneline, /^\/C=DE\/O=B\\xC3\\xBCcher GmbH\/CN=Test Root$/);
});

test("certificates made by openssl: our view equals openssl's", (t) => {
  if (!requireOpenssl(t)) return;
  const pki = new OpensslPki();
  t.after(() => {
    pki.cleanup();
  });
  const root = pki.selfSigned('root', { subject: '/C=DE/O=Bücher GmbH/CN=Test Root', ext: caExt(1) });
  const leaf = pki.issue('leaf', root, {
    subject: '/OU=Domain Control Validated/CN=mx1.example.org+CN=mx2.example.org',
    ext: [
      ...leafExt(['mx1.example.org', '*.example.net']),
      'keyUsage=critical,digitalSignature,keyEncipherment',
    ],
    days: 30,
  });
  const weird = pki.issue('weird', root, {
    subject: '/CN=tab\there/emailAddress=postmaster@example.org/DC=example/DC=org',
    ext: ['basicConstraints=CA:FALSE', '1.2.3.4.5=critical,ASN1:UTF8String:hello'],
  });
  const table: { cert: PkiCert; want: Record<string, unknown> }[] = [
    {
      cert: root,
      want: {
        cA: true,
        pathLen: 1,
        ku: ['keyCertSign', 'cRLSign'],
        dns: [],
        cns: ['Test Root'],
        problems: [],
      },
    },
    {
      cert: leaf,
      want: {
        cA: false,
        pathLen: undefined,
        ku: ['digitalSignature', 'keyEncipherment'],
        dns: ['mx1.example.org', '*.example.net'],
        cns: ['mx1.example.org', 'mx2.example.org'],
        problems: [],
      },
    },
    {
      cert: weird,
      want: {
        cA: false,
        pathLen: undefined,
        ku: undefined,
        dns: [],
        cns: ['tab\there'],
        problems: ['unhandled critical extension 1.2.3.4.5'],
      },
    },
  ];
  for (const { cert, want } of table) {
    const c = parseCertificate(cert.der);
    const oneline = (which: string): string =>
      openssl(['x509', '-in', cert.certFile, '-noout', `-${which}`, '-nameopt', 'compat'])
        .toString()
        .trim()
        .replace(/^\w+=/, '');
    assert.equal(c.subject.oneline, oneline('subject'), cert.name);
    assert.equal(c.issuer.oneline, oneline('issuer'), cert.name);
    const serial = openssl(['x509', '-in', cert.certFile, '-noout', '-serial'])
      .toString()
      .trim()
      .replace('serial=', '');
    assert.equal(c.serial.replace(/^0+/, ''), serial.toLowerCase().replace(/^0+/, ''));
    const spki = openssl(
      ['pkey', '-pubin', '-outform', 'DER'],
      openssl(['x509', '-in', cert.certFile, '-noout', '-pubkey']),
    );
    assert.equal(toHex(c.spki), spki.toString('hex'), cert.name);
    assert.equal(c.basicConstraints?.cA, want.cA, cert.name);
    assert.equal(c.basicConstraints?.pathLenConstraint, want.pathLen, cert.name);
    assert.deepEqual(c.keyUsage === undefined ? undefined : [...c.keyUsage], want.ku, cert.name);
    assert.deepEqual(c.dnsNames, want.dns);
    assert.deepEqual(c.commonNames, want.cns);
    assert.deepEqual(c.problems, want.problems);
  }
  assert.equal(
    parseCertificate(leaf.der).subject.oneline,
    '/OU=Domain Control Validated/CN=mx1.example.org+CN=mx2.example.org',
  );
  assert.match(parseCertificate(root.der).subject.oneline, /^\/C=DE\/O=B\\xC3\\xBCcher GmbH\/CN=Test Root$/);
});

test('duplicate and undecodable extensions are recorded as problems', () => {
  const table = [
    {
      name: 'duplicate basicConstraints',
      mutate: (exts: Extension[]) => exts.push(exts.find((e) => e.extnID === '2.5.29.19')!),
      want: 'duplicate extension 2.5.29.19',
    },
    {
      name: 'garbage keyUsage',
      mutate: (exts: Extension[]) =>
        exts.push(
          new Extension({
            extnID: '2.5.29.15',
            critical: true,
            extnValue: new OctetString(new Uint8Array([0x05, 0x00])),
          }),
        ),
      want: 'undecodable extension 2.5.29.15',
    },
  ];
  for (const { name, mutate, want } of table) {
    const asn = AsnConvert.parse(chain11[0]!, AsnCertificate);
    mutate(asn.tbsCertificate.extensions!);
    delete asn.tbsCertificateRaw;
    const c = parseCertificate(new Uint8Array(AsnConvert.serialize(asn)));
    assert.ok(
      c.problems.some((p) => p.startsWith(want)),
      `${name}: ${c.problems.join('; ')}`,
    );
  }
});
