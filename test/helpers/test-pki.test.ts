/**
 * The in-process test PKI checked by independent implementations: node:crypto's X509Certificate
 * (always) and the openssl CLI (under the interop rule: skipped with the reason when openssl is
 * missing, failing under DANE_MTA_INTEROP=1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { openssl, requireOpenssl } from './openssl-pki.ts';
import { TestPki, caExt, leafExt, type CertOptions, type PkiCert } from './test-pki.ts';

const x509 = (c: PkiCert): X509Certificate => new X509Certificate(c.der);

test('test PKI: keys and signature options verify with node:crypto', (t) => {
  const pki = new TestPki();
  t.after(() => {
    pki.cleanup();
  });
  const table: { name: string; issuer: CertOptions; child?: Partial<CertOptions> }[] = [
    { name: 'EC P-256', issuer: { subject: '/CN=EC', ext: caExt() } },
    {
      name: 'EC P-384 SHA-384',
      issuer: { subject: '/CN=EC384', ext: caExt(), keyType: 'ec384' },
      child: { signArgs: ['-sha384'] },
    },
    {
      name: 'RSA SHA-512',
      issuer: { subject: '/CN=RSA', ext: caExt(), keyType: 'rsa' },
      child: { signArgs: ['-sha512'] },
    },
    {
      name: 'RSA-PSS salt 32',
      issuer: { subject: '/CN=PSS', ext: caExt(), keyType: 'rsa' },
      child: { signArgs: ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'] },
    },
    {
      name: 'RSA-PSS max salt',
      issuer: { subject: '/CN=PSS max', ext: caExt(), keyType: 'rsa' },
      child: { signArgs: ['-sha384', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:-2'] },
    },
    { name: 'Ed25519', issuer: { subject: '/CN=Ed', ext: caExt(), keyType: 'ed25519' } },
  ];
  for (const c of table) {
    const root = pki.selfSigned(`root-${c.name}`, c.issuer);
    const leaf = pki.issue(`leaf-${c.name}`, root, {
      subject: '/CN=mx.example.org',
      ext: leafExt(['mx.example.org']),
      ...c.child,
    });
    assert.equal(x509(root).verify(x509(root).publicKey), true, `${c.name}: root self-signature`);
    assert.equal(x509(leaf).verify(x509(root).publicKey), true, `${c.name}: leaf signature`);
    assert.equal(x509(leaf).checkIssued(x509(root)), true, c.name);
    assert.equal(x509(root).ca, true, c.name);
    assert.equal(x509(leaf).ca, false, c.name);
  }
});

test('test PKI: names, SANs, validity and sameKeyAs as node:crypto reads them', (t) => {
  const pki = new TestPki();
  t.after(() => {
    pki.cleanup();
  });
  const root = pki.selfSigned('root', {
    subject: '/C=DE/O=Bücher GmbH/CN=Test Root',
    ext: caExt(1),
    days: 2,
  });
  const leaf = pki.issue('leaf', root, {
    subject: '/OU=Ops/CN=mx1.example.org+CN=mx2.example.org',
    ext: [
      ...leafExt(['mx1.example.org', '*.example.net']).slice(0, 3),
      'subjectAltName=DNS:mx1.example.org,IP:192.0.2.1',
    ],
  });
  const twin = pki.selfSigned('twin', { subject: '/CN=Twin', ext: caExt(), sameKeyAs: root });
  const r = x509(root);
  const l = x509(leaf);
  assert.equal(r.subject, 'C=DE\nO=Bücher GmbH\nCN=Test Root');
  assert.equal(l.issuer, r.subject);
  assert.equal(l.subject, 'OU=Ops\nCN=mx1.example.org + CN=mx2.example.org');
  assert.equal(l.subjectAltName, 'DNS:mx1.example.org, IP Address:192.0.2.1');
  assert.deepEqual(l.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(Date.parse(r.validTo) - Date.parse(r.validFrom), 2 * 86_400_000);
  assert.equal(x509(twin).publicKey.equals(r.publicKey), true);
  assert.notEqual(l.serialNumber, r.serialNumber);
});

test('test PKI: bad lines are errors, never ignored', () => {
  const pki = new TestPki();
  assert.throws(() => pki.selfSigned('x', { subject: '/XX=1' }), /unknown attribute/);
  assert.throws(() => pki.selfSigned('x', { subject: '/CN=x', ext: ['fooBar=1'] }), /unsupported extension/);
  assert.throws(() => pki.selfSigned('x', { subject: '/CN=x', ext: ['keyUsage=sign'] }), /unknown keyUsage/);
  assert.throws(
    () => pki.selfSigned('x', { subject: '/CN=x', ext: ['nameConstraints=allowed;DNS:x'] }),
    /permitted;… or excluded;…/,
  );
});

test('test PKI: openssl reads the same extensions and verifies the chain', (t) => {
  if (!requireOpenssl(t)) return;
  const pki = new TestPki();
  t.after(() => {
    pki.cleanup();
  });
  const root = pki.selfSigned('root', { subject: '/CN=Root', ext: caExt() });
  const sub = pki.issue('sub', root, {
    subject: '/CN=Sub',
    ext: [
      ...caExt(0),
      'nameConstraints=critical,permitted;DNS:example.org,excluded;IP:192.0.2.0/255.255.255.0',
    ],
  });
  const leaf = pki.issue('leaf', sub, {
    subject: '/CN=mx.example.org',
    ext: [...leafExt(['mx.example.org']), 'authorityKeyIdentifier=keyid', '1.2.3.4.5=ASN1:UTF8String:hello'],
  });
  const text = openssl(['x509', '-in', sub.certFile, '-noout', '-text']).toString();
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(
    text,
    /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:example\.org\s+Excluded:\s+IP:192\.0\.2\.0\/255\.255\.255\.0/,
  );
  const leafText = openssl(['x509', '-in', leaf.certFile, '-noout', '-text']).toString();
  assert.match(leafText, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
  assert.match(leafText, /X509v3 Subject Alternative Name:\s+DNS:mx\.example\.org/);
  assert.match(leafText, /1\.2\.3\.4\.5:\s+\.\.hello/);
  const out = openssl([
    'verify',
    '-CAfile',
    root.certFile,
    '-untrusted',
    sub.certFile,
    leaf.certFile,
  ]).toString();
  assert.match(out, /: OK/);
  assert.equal(openssl(['pkey', '-in', leaf.keyFile, '-noout']).length, 0);
});
