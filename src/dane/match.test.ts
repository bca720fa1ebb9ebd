/**
 * Tests of TLSA matching: every selector × matching type over certificates made in-process,
 * with the expected association data computed by node:crypto (always) and by the openssl CLI
 * (under the interop rule) — implementations independent of ours.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { after, assert, before, test } from '../../test/helpers/test-kit.ts';
import { openssl, requireOpenssl } from '../../test/helpers/openssl-pki.ts';
import { TestPki, caExt, leafExt, type PkiCert } from '../../test/helpers/test-pki.ts';
import { toHex } from '../util/index.ts';
import { parseCertificate } from '../x509/index.ts';
import { associationData, findMatchingTlsa, matchesTlsa, selectedData } from './match.ts';
import type { TlsaRecord } from './types.ts';

let pki: TestPki;
let certs: PkiCert[];

before(() => {
  pki = new TestPki();
  const root = pki.selfSigned('root', { subject: '/CN=Root', ext: caExt() });
  const ed = pki.issue('ed', root, {
    subject: '/CN=ed.example',
    ext: leafExt(['ed.example']),
    keyType: 'ed25519',
  });
  const rsa = pki.selfSigned('rsa', {
    subject: '/CN=rsa.example',
    ext: leafExt(['rsa.example']),
    keyType: 'rsa',
  });
  certs = [root, ed, rsa];
});
after(() => {
  pki.cleanup();
});

/** What node:crypto says the association data is. */
function nodeAssociation(cert: PkiCert, selector: number, matchingType: number): string {
  const selected =
    selector === 0
      ? Buffer.from(cert.der)
      : new X509Certificate(cert.der).publicKey.export({ type: 'spki', format: 'der' });
  if (matchingType === 0) return selected.toString('hex');
  return createHash(matchingType === 1 ? 'sha256' : 'sha512')
    .update(selected)
    .digest('hex');
}

/** What openssl says the association data is. */
function opensslAssociation(cert: PkiCert, selector: number, matchingType: number): string {
  const selected =
    selector === 0
      ? openssl(['x509', '-in', cert.certFile, '-outform', 'DER'])
      : openssl(
          ['pkey', '-pubin', '-outform', 'DER'],
          openssl(['x509', '-in', cert.certFile, '-noout', '-pubkey']),
        );
  if (matchingType === 0) return selected.toString('hex');
  const alg = matchingType === 1 ? '-sha256' : '-sha512';
  return openssl(['dgst', alg, '-binary'], selected).toString('hex');
}

test('associationData for every selector × matching type equals openssl', (t) => {
  if (!requireOpenssl(t)) return;
  for (const cert of certs) {
    for (const selector of [0, 1]) {
      for (const matchingType of [0, 1, 2]) {
        const want = opensslAssociation(cert, selector, matchingType);
        assert.equal(toHex(associationData(cert.der, { selector, matchingType })!), want);
      }
    }
  }
});

test('associationData for every selector × matching type equals node:crypto', () => {
  for (const cert of certs) {
    for (const selector of [0, 1]) {
      for (const matchingType of [0, 1, 2]) {
        const want = nodeAssociation(cert, selector, matchingType);
        const fromDer = associationData(cert.der, { selector, matchingType });
        const fromParsed = associationData(parseCertificate(cert.der), { selector, matchingType });
        assert.equal(toHex(fromDer!), want, `${cert.name} ${selector} ${matchingType}`);
        assert.equal(toHex(fromParsed!), want, `${cert.name} ${selector} ${matchingType} (parsed)`);
        const record: TlsaRecord = { usage: 3, selector, matchingType, data: fromDer! };
        assert.equal(matchesTlsa(record, cert.der), true);
        const other = certs.find((c) => c !== cert)!;
        assert.equal(
          matchesTlsa(record, other.der),
          false,
          `${cert.name} record must not match ${other.name}`,
        );
      }
    }
  }
});

test('unknown selectors and matching types never match; malformed certificates give no SPKI', () => {
  const der = certs[0]!.der;
  const table = [
    { selector: 2, matchingType: 0, want: undefined },
    { selector: 0, matchingType: 3, want: undefined },
    { selector: 255, matchingType: 255, want: undefined },
  ];
  for (const t of table) assert.equal(associationData(der, t), t.want, JSON.stringify(t));
  assert.equal(selectedData(new Uint8Array([1, 2, 3]), 1), undefined);
  assert.equal(toHex(selectedData(new Uint8Array([1, 2, 3]), 0)!), '010203');
  const full = { usage: 3, selector: 0, matchingType: 0, data: der };
  assert.equal(matchesTlsa({ ...full, selector: 2 }, der), false);
  assert.equal(matchesTlsa({ ...full, data: der.subarray(1) }, der), false);
});

test('findMatchingTlsa returns the first matching record', () => {
  const [a, b] = certs as [PkiCert, PkiCert];
  const recA = {
    usage: 3,
    selector: 1,
    matchingType: 1,
    data: associationData(a.der, { selector: 1, matchingType: 1 })!,
  };
  const recB = {
    usage: 2,
    selector: 0,
    matchingType: 2,
    data: associationData(b.der, { selector: 0, matchingType: 2 })!,
  };
  assert.equal(findMatchingTlsa([recA, recB], b.der), recB);
  assert.equal(findMatchingTlsa([recA, recB], a.der), recA);
  assert.equal(findMatchingTlsa([recB], a.der), undefined);
});
