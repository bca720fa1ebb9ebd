/** Tests of TLSA generation and the `u s m hex` text form. */
import { createHash, createPublicKey } from 'node:crypto';
import { after, assert, before, test } from '../../test/helpers/test-kit.ts';
import { openssl, requireOpenssl } from '../../test/helpers/openssl-pki.ts';
import { TestPki, leafExt, type PkiCert } from '../../test/helpers/test-pki.ts';
import { toHex } from '../util/index.ts';
import { formatTlsa, parseTlsa, tlsaFromCertificate, tlsaFromPublicKey } from './generate.ts';
import { matchesTlsa } from './match.ts';
import { DaneError } from './types.ts';

let pki: TestPki;
let leaf: PkiCert;

before(() => {
  pki = new TestPki();
  leaf = pki.selfSigned('leaf', { subject: '/CN=mx1.example.org', ext: leafExt(['mx1.example.org']) });
});
after(() => {
  pki.cleanup();
});

test('tlsaFromCertificate equals digests node:crypto computes', () => {
  const spki = createPublicKey(leaf.keyPem).export({ type: 'spki', format: 'der' });
  const want = createHash('sha256').update(spki).digest('hex');
  assert.equal(
    formatTlsa(tlsaFromCertificate(leaf.der, { usage: 3, selector: 1, matchingType: 1 })),
    `3 1 1 ${want}`,
  );
  const certDigest = createHash('sha512').update(leaf.der).digest('hex');
  assert.equal(
    formatTlsa(tlsaFromCertificate(leaf.der, { usage: 2, selector: 0, matchingType: 2 })),
    `2 0 2 ${certDigest}`,
  );
});

test('tlsaFromCertificate: "3 1 1" equals the openssl pipeline of RFC 7671 §8-style tooling', (t) => {
  if (!requireOpenssl(t)) return;
  const spki = openssl(
    ['pkey', '-pubin', '-outform', 'DER'],
    openssl(['x509', '-in', leaf.certFile, '-noout', '-pubkey']),
  );
  const want = openssl(['dgst', '-sha256', '-binary'], spki).toString('hex');
  const rec = tlsaFromCertificate(leaf.der, { usage: 3, selector: 1, matchingType: 1 });
  assert.equal(formatTlsa(rec), `3 1 1 ${want}`);
  const certDigest = openssl(
    ['dgst', '-sha512', '-binary'],
    openssl(['x509', '-in', leaf.certFile, '-outform', 'DER']),
  ).toString('hex');
  assert.equal(
    formatTlsa(tlsaFromCertificate(leaf.der, { usage: 2, selector: 0, matchingType: 2 })),
    `2 0 2 ${certDigest}`,
  );
  const full = tlsaFromCertificate(leaf.der, { usage: 3, selector: 0, matchingType: 0 });
  assert.equal(toHex(full.data), toHex(leaf.der));
  for (const matchingType of [0, 1, 2]) {
    for (const selector of [0, 1])
      assert.ok(matchesTlsa(tlsaFromCertificate(leaf.der, { usage: 3, selector, matchingType }), leaf.der));
  }
});

test('tlsaFromPublicKey from a private key, a public key and a certificate PEM agree', () => {
  const fromCert = formatTlsa(tlsaFromCertificate(leaf.der, { usage: 3, selector: 1, matchingType: 1 }));
  const pubPem = createPublicKey(leaf.keyPem).export({ type: 'spki', format: 'pem' }).toString();
  for (const pem of [leaf.keyPem, pubPem, leaf.pem]) {
    assert.equal(formatTlsa(tlsaFromPublicKey(pem, { usage: 3, matchingType: 1 })), fromCert);
  }
  assert.equal(tlsaFromPublicKey(pubPem, { usage: 2, matchingType: 0 }).selector, 1);
});

test('generation refuses bad input with DaneError', () => {
  const table = [
    {
      name: 'garbage certificate',
      fn: () => tlsaFromCertificate(new Uint8Array([0x30, 0x00]), { usage: 3, selector: 1, matchingType: 1 }),
      code: 'DANE_ERR_BAD_CERT',
    },
    {
      name: 'usage 4',
      fn: () => tlsaFromCertificate(leaf.der, { usage: 4, selector: 1, matchingType: 1 }),
      code: 'DANE_ERR_BAD_INPUT',
    },
    {
      name: 'selector 2',
      fn: () => tlsaFromCertificate(leaf.der, { usage: 3, selector: 2, matchingType: 1 }),
      code: 'DANE_ERR_BAD_INPUT',
    },
    {
      name: 'matching 3',
      fn: () => tlsaFromCertificate(leaf.der, { usage: 3, selector: 1, matchingType: 3 }),
      code: 'DANE_ERR_BAD_INPUT',
    },
    {
      name: 'not a key',
      fn: () => tlsaFromPublicKey('hello', { usage: 3, matchingType: 1 }),
      code: 'DANE_ERR_BAD_INPUT',
    },
  ];
  for (const t of table) {
    assert.throws(t.fn, (e: unknown) => e instanceof DaneError && e.code === t.code, t.name);
  }
});

test('parseTlsa / formatTlsa', () => {
  const table = [
    { in: '3 1 1 ABCDEF01', want: '3 1 1 abcdef01' },
    { in: '  2 0 0 ( 3082 01 0a )  ', want: '2 0 0 3082010a' },
    { in: '3\t1\t2 aa bb\ncc', want: '3 1 2 aabbcc' },
    { in: '255 255 255 00', want: '255 255 255 00' },
  ];
  for (const t of table) assert.equal(formatTlsa(parseTlsa(t.in)), t.want, t.in);
  const bad = ['', '3 1 1', '3 1 x abcd', '3 1 1 abc', '3 1 1 zz', '256 1 1 00', '-1 1 1 00', '3 1 1.5 00'];
  for (const text of bad) {
    assert.throws(
      () => parseTlsa(text),
      (e: unknown) => e instanceof DaneError && e.code === 'DANE_ERR_BAD_INPUT',
      JSON.stringify(text),
    );
  }
});
