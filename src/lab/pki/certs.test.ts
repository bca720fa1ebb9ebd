/**
 * Tests of the lab PKI: certificates parse and verify with node:crypto, names match, validity is
 * encoded as RFC 5280 §4.1.2.5 says, serials and bad arguments (OpenSSL and a TLS client:
 * certs-interop.test.ts). Fixed times, seeded randomness.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Certificate } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { seededRandom, toHex } from '../../util/index.ts';
import {
  LabCertError,
  chainDer,
  chainPem,
  createCa,
  createKeyPair,
  issueLeaf,
  privateKeyPem,
  type LabCert,
  type LabKeyType,
} from './certs.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1); // the lab's "now" for these tests

/** A three-level chain (root → intermediate → leaf) of one key type. */
function threeLevel(type: LabKeyType, now = T0): { root: LabCert; inter: LabCert; leaf: LabCert } {
  const root = createCa({
    name: `Lab Root ${type}`,
    keyType: type,
    notBefore: now - DAY,
    notAfter: now + 3650 * DAY,
  });
  const inter = createCa({
    name: `Lab Intermediate ${type}`,
    keyType: type,
    issuer: root,
    notBefore: now - DAY,
    notAfter: now + 365 * DAY,
    pathLen: 0,
  });
  const leaf = issueLeaf({
    issuer: inter,
    keyType: type,
    dnsNames: ['mx1.example.org', '*.mail.example.net'],
    notBefore: now - DAY,
    notAfter: now + 90 * DAY,
  });
  return { root, inter, leaf };
}

const rsaKey = () => createKeyPair('rsa-2048', { cacheKey: 'certs-test' });

/** OpenSSL's output, or undefined when it is not installed (its checks are then left out). */
function openssl(args: string[], input?: string): string | undefined {
  const res = spawnSync('openssl', args, { input, encoding: 'utf8' });
  if (res.error !== undefined) return undefined;
  return `${res.stdout}${res.stderr}`;
}

test('certificates of every key type parse, verify and carry the profile', () => {
  const cases: { type: LabKeyType; want: { sigAlg: string; keyUsage: string } }[] = [
    { type: 'ec-p256', want: { sigAlg: 'ecdsa-with-SHA256', keyUsage: 'Digital Signature' } },
    {
      type: 'rsa-2048',
      want: { sigAlg: 'sha256WithRSAEncryption', keyUsage: 'Digital Signature, Key Encipherment' },
    },
    { type: 'ed25519', want: { sigAlg: 'ED25519', keyUsage: 'Digital Signature' } },
  ];
  for (const { type, want } of cases) {
    const key = type === 'rsa-2048' ? rsaKey() : undefined;
    const root = createCa({
      name: 'Root',
      ...(key ? { key } : { keyType: type }),
      notBefore: T0,
      notAfter: T0 + DAY,
    });
    const leaf = issueLeaf({
      issuer: root,
      ...(key ? { key } : { keyType: type }),
      dnsNames: ['mx1.example.org'],
      notBefore: T0,
      notAfter: T0 + DAY,
    });
    const x = new X509Certificate(leaf.der);
    assert.equal(x.subject, 'CN=mx1.example.org', type);
    assert.equal(x.issuer, 'CN=Root', type);
    assert.equal(x.ca, false, type);
    assert.equal(new X509Certificate(root.der).ca, true, type);
    assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], `${type}: extKeyUsage serverAuth`);
    assert.equal(x.subjectAltName, 'DNS:mx1.example.org', type);
    assert.ok(x.verify(root.key.publicKey), `${type}: leaf signature`);
    assert.ok(new X509Certificate(root.der).verify(root.key.publicKey), `${type}: root self-signature`);
    assert.ok(!x.verify(createKeyPair('ec-p256').publicKey), `${type}: wrong key must not verify`);
    assert.equal(
      x.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
      toHex(leaf.key.spkiDer),
    );
    assert.equal(leaf.subject, 'CN=mx1.example.org');
    assert.equal(leaf.issuer, root);
    assert.equal(leaf.pem, x.toString(), `${type}: PEM round trip`);
    const text = openssl(['x509', '-noout', '-text'], leaf.pem);
    if (text !== undefined) {
      assert.match(text, new RegExp(`Signature Algorithm: ${want.sigAlg}`), type);
      assert.match(text, new RegExp(`Key Usage: critical\\s+${want.keyUsage}\\s`), type);
      assert.match(text, /Basic Constraints: critical\s+CA:FALSE/, type);
    }
  }
});

test('checkHost matches the dNSNames and nothing else', () => {
  const { leaf } = threeLevel('ec-p256');
  const x = new X509Certificate(leaf.der);
  const cases = [
    { host: 'mx1.example.org', want: 'mx1.example.org' },
    { host: 'MX1.EXAMPLE.ORG', want: 'mx1.example.org' },
    { host: 'a.mail.example.net', want: '*.mail.example.net' },
    { host: 'mail.example.net', want: undefined },
    { host: 'a.b.mail.example.net', want: undefined },
    { host: 'mx2.example.org', want: undefined },
  ];
  for (const { host, want } of cases) assert.equal(x.checkHost(host), want, host);
});

test('a three-level chain verifies link by link, with key identifiers', () => {
  for (const type of ['ec-p256', 'ed25519'] as const) {
    const { root, inter, leaf } = threeLevel(type);
    const [xl, xi, xr] = [leaf, inter, root].map((c) => new X509Certificate(c.der)) as [
      X509Certificate,
      X509Certificate,
      X509Certificate,
    ];
    assert.ok(xl.verify(xi.publicKey) && xi.verify(xr.publicKey) && xr.verify(xr.publicKey), type);
    assert.ok(!xl.verify(xr.publicKey), `${type}: leaf is not signed by the root`);
    assert.ok(xl.checkIssued(xi) && xi.checkIssued(xr), type);
    assert.equal(xi.ca, true);
    // SKI = SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1); AKI = issuer's SKI.
    const parsed = AsnConvert.parse(leaf.der, Certificate);
    const bits = new Uint8Array(parsed.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
    assert.equal(toHex(leaf.subjectKeyId), createHash('sha1').update(bits).digest('hex'));
    const aki = parsed.tbsCertificate.extensions?.find((e) => e.extnID === '2.5.29.35');
    assert.ok(
      aki !== undefined && toHex(new Uint8Array(aki.extnValue.buffer)).endsWith(toHex(inter.subjectKeyId)),
    );
    assert.deepEqual(
      chainDer(leaf, { include: 'full' }).map((d) => toHex(d)),
      [leaf, inter, root].map((c) => toHex(c.der)),
    );
  }
});

test('chainPem selects what a server sends', () => {
  const { root, inter, leaf } = threeLevel('ec-p256');
  const cases = [
    { include: 'leaf' as const, want: [leaf] },
    { include: 'leaf+intermediates' as const, want: [leaf, inter] },
    { include: 'full' as const, want: [leaf, inter, root] },
    { include: undefined, want: [leaf, inter] },
  ];
  for (const { include, want } of cases) {
    const pem = chainPem(leaf, include === undefined ? {} : { include });
    assert.equal(pem, want.map((c) => c.pem).join(''), String(include));
  }
  const self = issueLeaf({ issuer: 'self', dnsNames: ['mx.example'], notBefore: T0, notAfter: T0 + DAY });
  assert.equal(self.issuer, undefined);
  assert.equal(chainPem(self, { include: 'full' }), self.pem);
  assert.ok(new X509Certificate(self.der).verify(self.key.publicKey), 'self-signed leaf');
});

test('validity uses UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
  const cases = [
    { at: Date.UTC(2049, 11, 31, 23, 59, 59), want: { utc: true, text: 'Dec 31 23:59:59 2049 GMT' } },
    { at: Date.UTC(2050, 0, 1, 0, 0, 0), want: { utc: false, text: 'Jan  1 00:00:00 2050 GMT' } },
    { at: Date.UTC(2121, 5, 1, 12, 0, 0, 999), want: { utc: false, text: 'Jun  1 12:00:00 2121 GMT' } },
    { at: Date.UTC(1999, 0, 1), want: { utc: true, text: 'Jan  1 00:00:00 1999 GMT' } },
  ];
  for (const { at, want } of cases) {
    const ca = createCa({ name: 'Time', notBefore: Date.UTC(1990, 0, 1), notAfter: at });
    const notAfter = AsnConvert.parse(ca.der, Certificate).tbsCertificate.validity.notAfter;
    assert.equal(notAfter.utcTime !== undefined, want.utc, new Date(at).toISOString());
    assert.equal(notAfter.generalTime !== undefined, !want.utc, new Date(at).toISOString());
    assert.equal(new X509Certificate(ca.der).validTo, want.text);
  }
});

test('serial numbers are positive, random from the injected Random, or as given', () => {
  const a = issueLeaf({
    issuer: 'self',
    dnsNames: ['a.example'],
    notBefore: T0,
    notAfter: T0 + DAY,
    random: seededRandom(7),
  });
  const b = issueLeaf({
    issuer: 'self',
    dnsNames: ['a.example'],
    notBefore: T0,
    notAfter: T0 + DAY,
    random: seededRandom(7),
  });
  const c = issueLeaf({
    issuer: 'self',
    dnsNames: ['a.example'],
    notBefore: T0,
    notAfter: T0 + DAY,
    random: seededRandom(8),
  });
  assert.equal(a.serialHex, b.serialHex, 'same seed, same serial');
  assert.notEqual(a.serialHex, c.serialHex);
  assert.equal(a.serialHex.length, 32);
  assert.ok(parseInt(a.serialHex.slice(0, 2), 16) < 0x80, 'positive');
  const cases = [
    { serial: 1n, want: '01' },
    { serial: 0x80n, want: '0080' },
    { serial: 0x1234n, want: '1234' },
    { serial: (1n << 159n) - 1n, want: '7f' + 'ff'.repeat(19) },
  ];
  for (const { serial, want } of cases) {
    const leaf = issueLeaf({
      issuer: 'self',
      dnsNames: ['s.example'],
      notBefore: T0,
      notAfter: T0 + DAY,
      serial,
    });
    assert.equal(leaf.serialHex, want);
    assert.equal(new X509Certificate(leaf.der).serialNumber.toLowerCase(), want.replace(/^00/, ''));
  }
});

test('bad arguments throw LabCertError with a one-line message', () => {
  const base = { issuer: 'self' as const, dnsNames: ['x.example'], notBefore: T0, notAfter: T0 + DAY };
  const cases: { name: string; run: () => unknown; want: RegExp }[] = [
    { name: 'zero serial', run: () => issueLeaf({ ...base, serial: 0n }), want: /positive/ },
    { name: 'negative serial', run: () => issueLeaf({ ...base, serial: -5n }), want: /positive/ },
    { name: 'serial > 20 octets', run: () => issueLeaf({ ...base, serial: 1n << 170n }), want: /20 octets/ },
    { name: 'inverted validity', run: () => issueLeaf({ ...base, notAfter: T0 - DAY }), want: /notBefore/ },
    { name: 'NaN validity', run: () => issueLeaf({ ...base, notBefore: Number.NaN }), want: /notBefore/ },
    {
      name: 'before 1950',
      run: () => issueLeaf({ ...base, notBefore: Date.UTC(1949, 0, 1) }),
      want: /cannot be encoded/,
    },
    {
      name: 'U-label name',
      run: () => issueLeaf({ ...base, dnsNames: ['bücher.example'] }),
      want: /A-labels/,
    },
    {
      name: 'partial wildcard',
      run: () => issueLeaf({ ...base, dnsNames: ['f*o.example'] }),
      want: /A-labels/,
    },
    {
      name: 'negative pathLen',
      run: () => createCa({ name: 'x', notBefore: T0, notAfter: T0, pathLen: -1 }),
      want: /pathLen/,
    },
  ];
  for (const { name, run, want } of cases) {
    assert.throws(run, (err: unknown) => {
      assert.ok(err instanceof LabCertError, name);
      assert.equal(err.code, 'LAB_ERR_CERT_ARGUMENT');
      assert.match(err.message, want, name);
      assert.ok(!err.message.includes('\n'), name);
      return true;
    });
  }
});

test('createKeyPair caches by cacheKey and types', () => {
  const a = createKeyPair('ec-p256', { cacheKey: 'k' });
  assert.equal(createKeyPair('ec-p256', { cacheKey: 'k' }), a);
  assert.notEqual(createKeyPair('ec-p256', { cacheKey: 'other' }), a);
  assert.notEqual(createKeyPair('ed25519', { cacheKey: 'k' }).spkiDer.length, a.spkiDer.length);
  assert.notEqual(createKeyPair('ec-p256'), createKeyPair('ec-p256'));
  assert.equal(rsaKey(), rsaKey());
  assert.equal(rsaKey().publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.match(privateKeyPem(a), /^-----BEGIN PRIVATE KEY-----\n/);
});

/** Run openssl with `input` on stdin; undefined when openssl is not installed. */
