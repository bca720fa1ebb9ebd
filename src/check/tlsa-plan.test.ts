/**
 * The records `dane-mta tlsa` prints, for RSA, ECDSA P-256 and Ed25519: from a certificate, from
 * its private key and from its public key (equal for selector 1), every selector and matching
 * type against digests computed here with node:crypto, the owner name from --host or the
 * certificate, the rollover pair (--next), the issuing CA's DANE-TA record (--chain, found by
 * signature), and a one-line refusal for each unusable input.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { caExt, leafExt, TestPki, type KeyType, type PkiCert } from '../../test/helpers/test-pki.ts';
import { formatTlsa } from '../dane/index.ts';
import { tlsaPlan, type PemSource } from './tlsa-plan.ts';
import { CheckError } from './types.ts';

let pki: TestPki | undefined;
const certs: Partial<Record<KeyType | 'ca' | 'int' | 'viaInt', PkiCert>> = {};

before(() => {
  pki = new TestPki();
  certs.ca = pki.selfSigned('ca', { subject: '/CN=Plan Root', ext: caExt() });
  certs.int = pki.issue('int', certs.ca, { subject: '/CN=Plan Issuing CA', ext: caExt(0) });
  for (const keyType of ['rsa', 'ec', 'ed25519'] as const) {
    certs[keyType] = pki.issue(`leaf-${keyType}`, certs.ca, {
      subject: `/CN=mx-${keyType}.example.org`,
      ext: leafExt([`mx-${keyType}.example.org`]),
      keyType,
    });
  }
  certs.viaInt = pki.issue('via-int', certs.int, {
    subject: '/CN=mx.example.org',
    ext: leafExt(['mx.example.org']),
  });
});

after(() => {
  pki?.cleanup();
});

const src = (label: string, text: string): PemSource => ({ label, text });

/** Association data by node:crypto: selector 0 the certificate, 1 its SPKI; mtype 0, 1, 2. */
function expected(cert: PkiCert, selector: number, mtype: number): string {
  const x = new X509Certificate(cert.pem);
  const bytes = selector === 0 ? x.raw : x.publicKey.export({ type: 'spki', format: 'der' });
  if (mtype === 0) return Buffer.from(bytes).toString('hex');
  return createHash(mtype === 1 ? 'sha256' : 'sha512')
    .update(bytes)
    .digest('hex');
}

for (const keyType of ['rsa', 'ec', 'ed25519'] as const) {
  test(`${keyType}: certificate, private key and public key give the same SPKI records`, () => {
    const cert = certs[keyType]!;
    const publicPem = createPublicKey(cert.keyPem).export({ type: 'spki', format: 'pem' }).toString();
    for (const mtype of [0, 1, 2]) {
      const want = `3 1 ${mtype} ${expected(cert, 1, mtype)}`;
      for (const from of [
        src('cert.pem', cert.pem),
        src('key.pem', cert.keyPem),
        src('pub.pem', publicPem),
      ]) {
        const [r] = tlsaPlan(from, { mtype, host: `mx-${keyType}.example.org` });
        assert.equal(formatTlsa(r!.record), want, `${from.label} 3 1 ${mtype}`);
      }
    }
    for (const mtype of [0, 1, 2]) {
      const [r] = tlsaPlan(src('cert.pem', cert.pem), { selector: 0, mtype });
      assert.equal(formatTlsa(r!.record), `3 0 ${mtype} ${expected(cert, 0, mtype)}`);
    }
  });
}

test('owner: --host and --port, else the certificate name', () => {
  const [a] = tlsaPlan(src('c', certs.ec!.pem));
  assert.equal(a?.owner, '_25._tcp.mx-ec.example.org.');
  assert.match(a.line, /^_25\._tcp\.mx-ec\.example\.org\. IN TLSA 3 1 1 [0-9a-f]{64}$/);
  const [b] = tlsaPlan(src('c', certs.ec!.pem), { host: 'MX.Other.Example', port: 2525 });
  assert.equal(b?.owner.toLowerCase(), '_2525._tcp.mx.other.example.');
});

test('--next: the current and the next record, in that order', () => {
  const plan = tlsaPlan(src('cur.pem', certs.rsa!.pem), { next: src('next.key', certs.ed25519!.keyPem) });
  assert.deepEqual(
    plan.map((p) => p.role),
    ['current', 'next'],
  );
  assert.equal(formatTlsa(plan[1]!.record), `3 1 1 ${expected(certs.ed25519!, 1, 1)}`);
  assert.equal(plan[0]?.owner, plan[1]?.owner);
});

test('--chain: 2 1 1 of the CA that signed the certificate, found in a chain file', () => {
  const chain = src('chain.pem', certs.ca!.pem + certs.int!.pem);
  const plan = tlsaPlan(src('fullchain.pem', certs.viaInt!.pem + certs.int!.pem), { chain });
  assert.deepEqual(
    plan.map((p) => p.role),
    ['current', 'issuer'],
  );
  assert.equal(formatTlsa(plan[1]!.record), `2 1 1 ${expected(certs.int!, 1, 1)}`);
  assert.equal(plan[1]?.subject, '/CN=Plan Issuing CA');
  const taOnly = tlsaPlan(src('c', certs.viaInt!.pem), { chain, usage: 2, selector: 0 });
  assert.deepEqual(
    taOnly.map((p) => formatTlsa(p.record)),
    [`2 0 1 ${expected(certs.int!, 0, 1)}`],
  );
});

const REFUSED: readonly [string, () => unknown, RegExp][] = [
  ['a PKIX usage', () => tlsaPlan(src('c', certs.ec!.pem), { usage: 1 }), /unusable for SMTP/],
  [
    'selector 0 from a key',
    () => tlsaPlan(src('k.pem', certs.ec!.keyPem), { selector: 0, host: 'a.b' }),
    /needs a certificate/,
  ],
  ['a key without --host', () => tlsaPlan(src('k.pem', certs.ec!.keyPem)), /give --host/],
  ['a bad host', () => tlsaPlan(src('c', certs.ec!.pem), { host: 'not a host' }), /--host/],
  ['no PEM', () => tlsaPlan(src('x.txt', 'hello')), /no PEM certificate or key/],
  [
    'a chain without the issuer',
    () => tlsaPlan(src('c', certs.viaInt!.pem), { chain: src('ca.pem', certs.ca!.pem) }),
    /no certificate in ca\.pem issued c/,
  ],
  ['bad matching type', () => tlsaPlan(src('c', certs.ec!.pem), { mtype: 3 }), /--mtype 3/],
  [
    '--next with a DANE-TA-only plan',
    () =>
      tlsaPlan(src('c', certs.viaInt!.pem), {
        usage: 2,
        chain: src('i', certs.int!.pem),
        next: src('n', certs.ec!.pem),
      }),
    /drop --next/,
  ],
];

for (const [name, fn, re] of REFUSED) {
  test(`refused: ${name}`, () => {
    assert.throws(
      fn,
      (e: unknown) => e instanceof CheckError && re.test(e.message) && !e.message.includes('\n'),
    );
  });
}

test('an encrypted private key is refused with advice', () => {
  const enc = certs
    .ec!.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' })
    .toString();
  assert.throws(
    () => tlsaPlan(src('enc.pem', enc), { host: 'a.example' }),
    (e: unknown) => e instanceof CheckError && /encrypted private key/.test(e.message),
  );
});
