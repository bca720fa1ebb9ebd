/** Proof ordering (weakest link), the requireProof guard and the RFC 8914 EDE codes. */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import {
  atLeast,
  Ede,
  proven,
  requireProof,
  requireSecure,
  weakest,
  weakestOf,
  type Proof,
} from './proof.ts';
import { isMtaError } from '../../util/index.ts';

test('weakest: bogus dominates, then indeterminate, then insecure, then secure', () => {
  const cases: { a: Proof; b: Proof; want: Proof }[] = [
    { a: 'secure', b: 'secure', want: 'secure' },
    { a: 'secure', b: 'insecure', want: 'insecure' },
    { a: 'insecure', b: 'secure', want: 'insecure' },
    { a: 'insecure', b: 'indeterminate', want: 'indeterminate' },
    { a: 'indeterminate', b: 'secure', want: 'indeterminate' },
    { a: 'bogus', b: 'secure', want: 'bogus' },
    { a: 'indeterminate', b: 'bogus', want: 'bogus' },
    { a: 'insecure', b: 'bogus', want: 'bogus' },
  ];
  for (const c of cases) assert.equal(weakest(c.a, c.b), c.want, `${c.a} + ${c.b}`);
  assert.equal(weakestOf([]), 'secure');
  assert.equal(weakestOf(['secure', 'insecure', 'secure']), 'insecure');
  assert.equal(weakestOf(['secure', 'bogus', 'indeterminate']), 'bogus');
});

test('atLeast orders the four states', () => {
  assert.equal(atLeast('secure', 'insecure'), true);
  assert.equal(atLeast('insecure', 'secure'), false);
  assert.equal(atLeast('bogus', 'indeterminate'), false);
  assert.equal(atLeast('indeterminate', 'indeterminate'), true);
});

test('requireProof returns the value or throws DNSSEC_ERR_NOT_SECURE with the reason', () => {
  assert.equal(requireSecure(proven(42, 'secure')), 42);
  assert.equal(requireProof(proven('x', 'insecure'), 'insecure'), 'x');
  assert.throws(
    () => requireSecure(proven(1, 'bogus', { reason: 'signature expired', ede: Ede.SIGNATURE_EXPIRED })),
    (e: unknown) =>
      isMtaError(e, 'DNSSEC_ERR_NOT_SECURE') && /bogus, secure required: signature expired/.test(e.message),
  );
  assert.throws(() => requireProof(proven(1, 'indeterminate'), 'insecure'), /indeterminate/);
});

test('a Proven value is read only by naming the proof the reader accepts', () => {
  const p = proven(['192.0.2.1'], 'insecure', { reason: 'unsigned zone' });
  // No public field holds the value: spreading, keys and JSON show only the proof.
  assert.equal('value' in p, false);
  assert.deepEqual(Object.keys(p).sort(), ['proof', 'reason']);
  assert.equal(JSON.stringify(p), '{"proof":"insecure","reason":"unsigned zone"}');
  assert.deepEqual(p.require('insecure'), ['192.0.2.1']);
  assert.throws(() => p.require('secure'), /insecure, secure required: unsigned zone/);
  // map keeps the proof and the value inside.
  const n = p.map((v) => v.length);
  assert.equal(n.proof, 'insecure');
  assert.equal(n.reason, 'unsigned zone');
  assert.throws(() => requireSecure(n), /insecure/);
  assert.equal(requireProof(n, 'indeterminate'), 1);
});

test('proven omits absent reason and EDE; EDE codes are RFC 8914 values', () => {
  assert.deepEqual(Object.entries(proven(1, 'secure')), [['proof', 'secure']]);
  assert.deepEqual(Object.entries(proven(1, 'bogus', { ede: 6 })), [
    ['proof', 'bogus'],
    ['ede', 6],
  ]);
  const want = { DNSSEC_BOGUS: 6, SIGNATURE_EXPIRED: 7, SIGNATURE_NOT_YET_VALID: 8, DNSKEY_MISSING: 9 };
  for (const [k, v] of Object.entries(want)) assert.equal(Ede[k as keyof typeof Ede], v, k);
  assert.equal(Ede.RRSIGS_MISSING, 10);
  assert.equal(Ede.NO_ZONE_KEY_BIT_SET, 11);
  assert.equal(Ede.NSEC_MISSING, 12);
  assert.equal(Ede.UNSUPPORTED_DNSKEY_ALGORITHM, 1);
  assert.equal(Ede.UNSUPPORTED_DS_DIGEST, 2);
});
