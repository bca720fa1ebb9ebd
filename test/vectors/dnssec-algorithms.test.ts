/**
 * Round trips through the real crypto: keys generated at test time with node:crypto for every
 * supported algorithm (RSA/SHA-1, NSEC3-RSASHA1, RSA/SHA-256, RSA/SHA-512, ECDSA P-256 and P-384,
 * Ed25519, Ed448), RRSIGs built over canonical data by this test, then verified with
 * verifyRrset — and refused after any change to the data, the signature or the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { keyTag, signedData, verifyRrset } from '../../src/dns/dnssec/index.ts';
import {
  makeRr,
  Name,
  parseZone,
  RRType,
  type DnskeyRdata,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { concatBytes } from '../../src/util/index.ts';

const ZONE = Name.parse('example.');
const NOW = 1_750_000_000;

function b64u(s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'));
}

/** DNSKEY public key field for a node:crypto public key (RFC 3110, RFC 6605 §4, RFC 8080 §3). */
function dnskeyField(pub: KeyObject, longExponent = false): Uint8Array {
  const jwk = pub.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') {
    const e = b64u(jwk.e);
    const head = longExponent ? Uint8Array.of(0, e.length >> 8, e.length & 0xff) : Uint8Array.of(e.length);
    return concatBytes([head, e, b64u(jwk.n)]);
  }
  if (jwk.kty === 'EC') return concatBytes([b64u(jwk.x), b64u(jwk.y)]);
  return b64u(jwk.x);
}

interface Alg {
  alg: number;
  name: string;
  make: () => { publicKey: KeyObject; privateKey: KeyObject };
  hash: string | null;
  ec?: boolean;
}

const ALGS: Alg[] = [
  { alg: 5, name: 'RSASHA1', make: () => generateKeyPairSync('rsa', { modulusLength: 1024 }), hash: 'sha1' },
  {
    alg: 7,
    name: 'RSASHA1-NSEC3-SHA1',
    make: () => generateKeyPairSync('rsa', { modulusLength: 1024 }),
    hash: 'sha1',
  },
  {
    alg: 8,
    name: 'RSASHA256',
    make: () => generateKeyPairSync('rsa', { modulusLength: 1024 }),
    hash: 'sha256',
  },
  {
    alg: 10,
    name: 'RSASHA512',
    make: () => generateKeyPairSync('rsa', { modulusLength: 1024 }),
    hash: 'sha512',
  },
  {
    alg: 13,
    name: 'ECDSAP256SHA256',
    make: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    hash: 'sha256',
    ec: true,
  },
  {
    alg: 14,
    name: 'ECDSAP384SHA384',
    make: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    hash: 'sha384',
    ec: true,
  },
  { alg: 15, name: 'ED25519', make: () => generateKeyPairSync('ed25519'), hash: null },
  { alg: 16, name: 'ED448', make: () => generateKeyPairSync('ed448'), hash: null },
];

function signRrset(rrset: Rr[], key: Rr<DnskeyRdata>, priv: KeyObject, a: Alg): Rr<RrsigRdata> {
  const first = rrset[0]!;
  const base: RrsigRdata = {
    typeCovered: first.type,
    algorithm: a.alg,
    labels: first.name.labelCount,
    originalTtl: 300,
    expiration: NOW + 3600,
    inception: NOW - 3600,
    keyTag: keyTag(key.data),
    signerName: ZONE,
    signature: new Uint8Array(0),
  };
  const data = signedData(rrset, base)!;
  const sig =
    a.ec === true
      ? cryptoSign(a.hash, data, { key: priv, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(a.hash, data, priv);
  return makeRr({
    name: first.name,
    type: RRType.RRSIG,
    ttl: 300,
    data: { ...base, signature: new Uint8Array(sig) },
  });
}

test('every supported algorithm verifies its own signatures and refuses altered ones', () => {
  const rrset = parseZone('mail.example. 300 IN MX 10 MX1.Example.\nmail.example. 300 IN MX 20 mx2.example.');
  const altered = parseZone(
    'mail.example. 300 IN MX 10 mx1.example.\nmail.example. 300 IN MX 21 mx2.example.',
  );
  for (const a of ALGS) {
    const { publicKey, privateKey } = a.make();
    const key = makeRr({
      name: ZONE,
      type: RRType.DNSKEY,
      ttl: 300,
      data: { flags: 257, protocol: 3, algorithm: a.alg, publicKey: dnskeyField(publicKey) },
    });
    const rrsig = signRrset(rrset, key, privateKey, a);
    const ok = verifyRrset(rrset, rrsig, [key], { now: NOW });
    assert.ok(ok.ok, `${a.name}: ${ok.ok ? '' : ok.reason}`);
    // The canonical form lower-cases MX targets, so the case of "MX1.Example." does not matter.
    const lower = parseZone(
      'mail.example. 300 IN MX 10 mx1.example.\nmail.example. 300 IN MX 20 MX2.EXAMPLE.',
    );
    assert.ok(verifyRrset(lower, rrsig, [key], { now: NOW }).ok, `${a.name}: case-insensitive names`);
    assert.equal(verifyRrset(altered, rrsig, [key], { now: NOW }).ok, false, `${a.name}: altered data`);
    const sig = rrsig.data.signature.slice();
    sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 1;
    assert.equal(
      verifyRrset(rrset, { ...rrsig, data: { ...rrsig.data, signature: sig } }, [key], { now: NOW }).ok,
      false,
      `${a.name}: flipped bit`,
    );
    const other = a.make().publicKey;
    const wrongKey = { ...key, data: { ...key.data, publicKey: dnskeyField(other) } };
    const forged = { ...rrsig, data: { ...rrsig.data, keyTag: keyTag(wrongKey.data) } };
    assert.equal(verifyRrset(rrset, forged, [wrongKey], { now: NOW }).ok, false, `${a.name}: other key`);
  }
});

test('RSA keys in the three-octet exponent-length form of RFC 3110 §2 verify too', () => {
  const a = ALGS[2]!;
  const { publicKey, privateKey } = a.make();
  const key = makeRr({
    name: ZONE,
    type: RRType.DNSKEY,
    ttl: 300,
    data: { flags: 256, protocol: 3, algorithm: 8, publicKey: dnskeyField(publicKey, true) },
  });
  const rrset = parseZone('www.example. 300 IN A 192.0.2.1');
  const v = verifyRrset(rrset, signRrset(rrset, key, privateKey, a), [key], { now: NOW });
  assert.ok(v.ok, v.ok ? '' : v.reason);
});
