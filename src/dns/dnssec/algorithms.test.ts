/** Algorithm support table and the never-throw behaviour of verifySignature on malformed keys and signatures. */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { fromBase64 } from '../../util/index.ts';
import { DnssecAlgorithm as WireAlgorithm, parseZone } from '../wire/index.ts';
import {
  DnssecAlgorithm,
  isAlgorithmSupported,
  isDigestSupported,
  keyCacheSize,
  nsec3IteratedSha1,
  verifySignature,
} from './algorithms.ts';

// RFC 6605 §6.1 P-256 key and RFC 5702 §6.1 RSA key (public values).
const P256 = fromBase64(
  'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==',
);
const RSA = fromBase64(
  'AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=',
);
const DATA = Uint8Array.of(1, 2, 3);

test('supported algorithms and digests', () => {
  for (const a of [5, 7, 8, 10, 13, 14, 15, 16]) assert.equal(isAlgorithmSupported(a), true, `alg ${a}`);
  for (const a of [0, 1, 2, 3, 4, 6, 9, 11, 12, 17, 252, 253, 254, 255])
    assert.equal(isAlgorithmSupported(a), false, `alg ${a}`);
  for (const d of [1, 2, 4]) assert.equal(isDigestSupported(d), true);
  for (const d of [0, 3, 5]) assert.equal(isDigestSupported(d), false);
});

test('verifySignature: unsupported algorithms say so; malformed input is false, never a throw', () => {
  const cases: {
    name: string;
    alg: number;
    key: Uint8Array;
    sig: Uint8Array;
    want: boolean | 'unsupported';
  }[] = [
    { name: 'RSAMD5', alg: 1, key: RSA, sig: new Uint8Array(64), want: 'unsupported' },
    { name: 'DSA', alg: 3, key: RSA, sig: new Uint8Array(41), want: 'unsupported' },
    { name: 'DSA-NSEC3-SHA1', alg: 6, key: RSA, sig: new Uint8Array(41), want: 'unsupported' },
    { name: 'GOST', alg: 12, key: RSA, sig: new Uint8Array(64), want: 'unsupported' },
    { name: 'unknown', alg: 200, key: RSA, sig: new Uint8Array(64), want: 'unsupported' },
    { name: 'ECDSA short signature', alg: 13, key: P256, sig: new Uint8Array(63), want: false },
    { name: 'ECDSA zero signature', alg: 13, key: P256, sig: new Uint8Array(64), want: false },
    { name: 'ECDSA key of wrong size', alg: 13, key: P256.subarray(1), sig: new Uint8Array(64), want: false },
    {
      name: 'ECDSA point not on the curve',
      alg: 13,
      key: new Uint8Array(64).fill(7),
      sig: new Uint8Array(64).fill(1),
      want: false,
    },
    { name: 'P-384 given a P-256 key', alg: 14, key: P256, sig: new Uint8Array(96), want: false },
    {
      name: 'Ed25519 wrong key size',
      alg: 15,
      key: new Uint8Array(31),
      sig: new Uint8Array(64),
      want: false,
    },
    {
      name: 'Ed448 wrong signature size',
      alg: 16,
      key: new Uint8Array(57),
      sig: new Uint8Array(64),
      want: false,
    },
    { name: 'RSA empty key', alg: 8, key: new Uint8Array(0), sig: new Uint8Array(64), want: false },
    {
      name: 'RSA exponent longer than the key',
      alg: 8,
      key: Uint8Array.of(9, 1, 2),
      sig: new Uint8Array(64),
      want: false,
    },
    {
      name: 'RSA zero exponent length (3-octet form)',
      alg: 8,
      key: Uint8Array.of(0, 0, 0, 1),
      sig: new Uint8Array(64),
      want: false,
    },
    { name: 'RSA garbage signature', alg: 8, key: RSA, sig: new Uint8Array(64).fill(0xff), want: false },
    { name: 'RSA empty signature', alg: 10, key: RSA, sig: new Uint8Array(0), want: false },
    {
      name: 'RSA modulus over 4096 bits',
      alg: 8,
      key: Uint8Array.of(1, 3, ...new Uint8Array(600).fill(0xc5)),
      sig: new Uint8Array(600),
      want: false,
    },
  ];
  for (const c of cases) assert.equal(verifySignature(c.alg, c.key, DATA, c.sig), c.want, c.name);
});

test('parsed keys are cached and the cache stays bounded', () => {
  const before = keyCacheSize();
  verifySignature(8, RSA, DATA, new Uint8Array(64));
  verifySignature(8, RSA.slice(), DATA, new Uint8Array(64));
  assert.ok(keyCacheSize() <= before + 1, 'same key octets parse once');
  for (let i = 0; i < 600; i++)
    verifySignature(
      15,
      Uint8Array.from({ length: 32 }, (_, j) => (i + j) & 0xff),
      DATA,
      new Uint8Array(64),
    );
  assert.ok(keyCacheSize() <= 512, `cache size ${keyCacheSize()}`);
});

test('nsec3IteratedSha1 with zero iterations is one SHA-1 of name | salt', () => {
  // H(example) with salt aabbccdd: 12 iterations give 0p9m… (checked in denial-nsec3 tests);
  // here only the shape: 20 octets, different for different iteration counts.
  const name = Uint8Array.of(7, 101, 120, 97, 109, 112, 108, 101, 0);
  const a = nsec3IteratedSha1(name, Uint8Array.of(0xaa), 0);
  const b = nsec3IteratedSha1(name, Uint8Array.of(0xaa), 1);
  assert.equal(a.length, 20);
  assert.notDeepEqual(a, b);
});

test('algorithm numbers are defined once, in dns/wire, and parse from their mnemonics', () => {
  assert.equal(DnssecAlgorithm, WireAlgorithm);
  // RFC 4034 Appendix A.1 mnemonics use '-' where the constant names use '_'.
  const cases = Object.entries(DnssecAlgorithm).map(([name, want]) => ({
    mnemonic: name.replaceAll('_', '-'),
    want,
  }));
  assert.ok(cases.length >= 16);
  for (const c of cases) {
    const [rr] = parseZone(`example. 1 IN DS 1 ${c.mnemonic.toLowerCase()} 2 ${'00'.repeat(32)}`);
    assert.equal((rr?.data as { algorithm: number }).algorithm, c.want, c.mnemonic);
  }
  assert.throws(() => parseZone(`example. 1 IN DS 1 DSA_NSEC3_SHA1 2 ${'00'.repeat(32)}`));
});
