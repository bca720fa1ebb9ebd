/** RRSIG checks of RFC 4035 §5.3 with an injected fake verifier (tests only): fields, keys, REVOKE, KeyTrap limits, TTL, wildcards. */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import {
  makeRr,
  Name,
  parseZone,
  RRType,
  type DnskeyRdata,
  type Rr,
  type RrsigRdata,
} from '../wire/index.ts';
import type { SignatureVerifier } from './algorithms.ts';
import { signedData } from './canonical.ts';
import { keyTag } from './keytag.ts';
import { Ede } from './proof.ts';
import { verifyRrset, verifyRrsetAny, type RrsetVerdict } from './rrsig.ts';

/*
 * A fake verifier (tests only): a "signature" is [first octet of the key, sum of the signed
 * octets mod 256], so a signature is valid only for the right key over the right data.
 */
let calls = 0;
const fake: SignatureVerifier = (alg, key, data, sig) => {
  calls++;
  if (alg === 99) return 'unsupported';
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  return sig.length === 2 && sig[0] === key[0] && sig[1] === sum;
};

const ZONE = Name.parse('example.');
const NOW = 1_700_000_000;

function dnskey(
  first: number,
  opts: { flags?: number; protocol?: number; algorithm?: number; swap?: number } = {},
): Rr<DnskeyRdata> {
  const publicKey = Uint8Array.from({ length: 64 }, (_, i) => i);
  publicKey[0] = first;
  if (opts.swap !== undefined) {
    // Swapping two high-order octets keeps the key tag (RFC 4034 Appendix B sums 16-bit words).
    publicKey[0] = publicKey[opts.swap] as number;
    publicKey[opts.swap] = first;
  }
  const data = {
    flags: opts.flags ?? 257,
    protocol: opts.protocol ?? 3,
    algorithm: opts.algorithm ?? 13,
    publicKey,
  };
  return makeRr({ name: ZONE, type: RRType.DNSKEY, ttl: 3600, data });
}

function sign(rrset: Rr[], key: Rr<DnskeyRdata>, over: Partial<RrsigRdata> = {}): Rr<RrsigRdata> {
  const first = rrset[0] as Rr;
  const base: RrsigRdata = {
    typeCovered: first.type,
    algorithm: key.data.algorithm,
    labels: first.name.isWildcard ? first.name.labelCount - 1 : first.name.labelCount,
    originalTtl: 3600,
    expiration: NOW + 86400,
    inception: NOW - 86400,
    keyTag: keyTag(key.data),
    signerName: ZONE,
    signature: new Uint8Array(0),
    ...over,
  };
  const data = signedData(rrset, base) ?? new Uint8Array();
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  const sigData = { ...base, signature: Uint8Array.of(key.data.publicKey[0] as number, sum) };
  return makeRr({ name: first.name, type: RRType.RRSIG, ttl: first.ttl, data: sigData });
}

const A = parseZone('www.example. 300 IN A 192.0.2.1\nwww.example. 300 IN A 192.0.2.2');
const KEY = dnskey(200);
const opts = { now: NOW, verify: fake };

function reasonOf(v: RrsetVerdict): string {
  return v.ok ? 'ok' : v.reason;
}

test('verifyRrset accepts a good signature and reports key, TTL and checks', () => {
  const v = verifyRrset(A, sign(A, KEY), [dnskey(7), KEY], opts);
  assert.ok(v.ok, reasonOf(v));
  assert.equal(v.key, KEY);
  assert.equal(v.keyTag, keyTag(KEY.data));
  assert.equal(v.ttl, 300);
  assert.equal(v.checks, 1);
  assert.equal(v.wildcard, undefined);
});

test('verifyRrset: TTL is min(RR TTL, Original TTL, expiration − now) (RFC 4035 §5.3.3)', () => {
  const big = parseZone('www.example. 9000 IN A 192.0.2.1');
  const cases = [
    { over: { originalTtl: 3600 }, want: 3600 },
    { over: { originalTtl: 86400, expiration: NOW + 120 }, want: 120 },
    { over: { originalTtl: 100000 }, want: 9000 },
  ];
  for (const c of cases) {
    const v = verifyRrset(big, sign(big, KEY, c.over), [KEY], opts);
    assert.ok(v.ok, reasonOf(v));
    assert.equal(v.ttl, c.want, JSON.stringify(c.over));
  }
});

test('verifyRrset rejects RRSIG field mismatches (RFC 4035 §5.3.1) with EDE codes', () => {
  const good = sign(A, KEY);
  const cases: {
    name: string;
    rrsig: Rr<RrsigRdata>;
    keys?: Rr<DnskeyRdata>[];
    want: RegExp;
    ede: number;
  }[] = [
    {
      name: 'owner differs',
      rrsig: { ...good, name: Name.parse('other.example.') },
      want: /owner or class/,
      ede: Ede.DNSSEC_BOGUS,
    },
    { name: 'class differs', rrsig: { ...good, class: 3 }, want: /owner or class/, ede: Ede.DNSSEC_BOGUS },
    {
      name: 'type covered',
      rrsig: sign(A, KEY, { typeCovered: RRType.AAAA }),
      want: /covers another type/,
      ede: Ede.DNSSEC_BOGUS,
    },
    {
      name: 'signer not an ancestor',
      rrsig: sign(A, KEY, { signerName: Name.parse('other.') }),
      want: /not an ancestor/,
      ede: Ede.DNSSEC_BOGUS,
    },
    {
      name: 'labels above owner',
      rrsig: sign(A, KEY, { labels: 3 }),
      want: /exceeds the labels/,
      ede: Ede.DNSSEC_BOGUS,
    },
    {
      name: 'expired',
      rrsig: sign(A, KEY, { expiration: NOW - 1 }),
      want: /expired/,
      ede: Ede.SIGNATURE_EXPIRED,
    },
    {
      name: 'not yet valid',
      rrsig: sign(A, KEY, { inception: NOW + 1 }),
      want: /not yet valid/,
      ede: Ede.SIGNATURE_NOT_YET_VALID,
    },
    {
      name: 'inverted window',
      rrsig: sign(A, KEY, { inception: NOW + 10, expiration: NOW - 10 }),
      want: /inception after expiration/,
      ede: Ede.DNSSEC_BOGUS,
    },
    {
      name: 'no key with the tag',
      rrsig: good,
      keys: [dnskey(7)],
      want: /no DNSKEY/,
      ede: Ede.DNSKEY_MISSING,
    },
    { name: 'no key at all', rrsig: good, keys: [], want: /no DNSKEY/, ede: Ede.DNSKEY_MISSING },
    {
      name: 'signature over other data',
      rrsig: { ...good, data: { ...good.data, signature: Uint8Array.of(200, 0) } },
      want: /does not verify/,
      ede: Ede.DNSSEC_BOGUS,
    },
  ];
  for (const c of cases) {
    const v = verifyRrset(A, c.rrsig, c.keys ?? [KEY], opts);
    assert.ok(!v.ok, c.name);
    assert.match(v.reason, c.want, c.name);
    assert.equal(v.ede, c.ede, c.name);
  }
});

test('verifyRrset: keys without the ZONE bit, with protocol ≠ 3, or at another name are not used', () => {
  const noZone = dnskey(50, { flags: 1 });
  const v1 = verifyRrset(A, sign(A, noZone), [noZone], opts);
  assert.ok(!v1.ok && v1.ede === Ede.NO_ZONE_KEY_BIT_SET, reasonOf(v1));
  const proto = dnskey(51, { protocol: 2 });
  const v2 = verifyRrset(A, sign(A, proto), [proto], opts);
  assert.ok(!v2.ok && /protocol/.test(v2.reason), reasonOf(v2));
  const elsewhere = { ...KEY, name: Name.parse('other.') };
  const v3 = verifyRrset(A, sign(A, KEY), [elsewhere], opts);
  assert.ok(!v3.ok && v3.ede === Ede.DNSKEY_MISSING, reasonOf(v3));
});

test('verifyRrset: a REVOKEd key verifies only its own DNSKEY RRset (RFC 5011 §2.1)', () => {
  const revoked = dnskey(60, { flags: 257 | 0x80 });
  const onA = verifyRrset(A, sign(A, revoked), [revoked], opts);
  assert.ok(!onA.ok && /revoked/.test(onA.reason), reasonOf(onA));
  const keyset = [revoked, KEY];
  const own = verifyRrset(keyset, sign(keyset, revoked), keyset, opts);
  assert.ok(own.ok, reasonOf(own));
  // The same key material in a child's DNSKEY RRset, signed by the parent's revoked key: refused.
  const child = [{ ...revoked, name: Name.parse('a.example.') }];
  const other = verifyRrset(child, sign(child, revoked), [revoked], opts);
  assert.ok(!other.ok && /revoked/.test(other.reason), reasonOf(other));
});

test('verifyRrset tries at most maxKeysPerTag colliding keys (KeyTrap, CVE-2023-50387)', () => {
  const keys = [2, 4, 6, 8, 10].map((swap) => dnskey(100, { swap }));
  const tags = new Set(keys.map((k) => keyTag(k.data)));
  assert.equal(tags.size, 1, 'all five keys share one key tag');
  const last = keys[4] as Rr<DnskeyRdata>;
  const rrsig = sign(A, last);
  calls = 0;
  const limited = verifyRrset(A, rrsig, keys, opts);
  assert.equal(limited.ok, false);
  assert.equal(calls, 4, 'four crypto operations, not five');
  assert.equal(limited.checks, 4);
  const wider = verifyRrset(A, rrsig, keys, { ...opts, maxKeysPerTag: 5 });
  assert.ok(wider.ok, reasonOf(wider));
  const capped = verifyRrset(A, rrsig, keys, { ...opts, maxKeysPerTag: 5, maxChecks: 2 });
  assert.ok(!capped.ok && capped.checks === 2);
});

test('verifyRrset reports the wildcard an RRset was synthesized from', () => {
  const wild = parseZone('*.example. 300 IN TXT "w"');
  const rrsig = sign(wild, KEY);
  const expanded = parseZone('a.b.example. 300 IN TXT "w"');
  const v = verifyRrset(expanded, { ...rrsig, name: expanded[0]!.name }, [KEY], opts);
  assert.ok(v.ok, reasonOf(v));
  assert.equal(v.wildcard?.toString(), '*.example.');
  const direct = verifyRrset(wild, rrsig, [KEY], opts);
  assert.ok(direct.ok && direct.wildcard === undefined);
});

test('verifyRrset: unsupported algorithms are reported as such, never as bogus', () => {
  const k99 = dnskey(70, { algorithm: 99 });
  const v = verifyRrset(A, sign(A, k99), [k99], opts);
  assert.ok(!v.ok && v.unsupported === true && v.ede === Ede.UNSUPPORTED_DNSKEY_ALGORITHM, reasonOf(v));
  // With the real verifier, algorithms 1, 3, 6, 12 and unknown ones are unsupported before any key lookup.
  for (const alg of [1, 3, 6, 12, 200]) {
    const r = verifyRrset(A, sign(A, KEY, { algorithm: alg }), [], { now: NOW });
    assert.ok(!r.ok && r.unsupported === true, `algorithm ${alg}`);
  }
});

test('verifyRrset: records that do not form one RRset are refused', () => {
  const mixed = parseZone('www.example. 300 IN A 192.0.2.1\nwww.example. 300 IN AAAA ::1');
  const v = verifyRrset(mixed, sign(A, KEY), [KEY], opts);
  assert.ok(!v.ok && /do not form one RRset/.test(v.reason));
  assert.ok(!verifyRrset([], sign(A, KEY), [KEY], opts).ok);
});

test('verifyRrsetAny: one valid signature suffices (RFC 6840 §5.11)', () => {
  const k2 = dnskey(210);
  const bad = { ...sign(A, k2), data: { ...sign(A, k2).data, signature: Uint8Array.of(210, 0) } };
  const v = verifyRrsetAny(A, [bad, sign(A, KEY)], [KEY, k2], opts);
  assert.ok(v.ok, reasonOf(v));
  assert.equal(v.checks, 2);
  const both = verifyRrsetAny(A, [bad], [KEY, k2], opts);
  assert.ok(!both.ok && both.ede === Ede.DNSSEC_BOGUS);
});

test('verifyRrsetAny: missing RRSIGs, unsupported-only, mixed, and the check budget', () => {
  const none = verifyRrsetAny(A, [], [KEY], opts);
  assert.ok(!none.ok && none.ede === Ede.RRSIGS_MISSING);
  const otherType = verifyRrsetAny(A, [sign(A, KEY, { typeCovered: RRType.MX })], [KEY], opts);
  assert.ok(!otherType.ok && otherType.ede === Ede.RRSIGS_MISSING);
  const k99 = dnskey(70, { algorithm: 99 });
  const only = verifyRrsetAny(A, [sign(A, k99)], [k99], opts);
  assert.ok(!only.ok && only.unsupported === true, reasonOf(only));
  const expired = sign(A, KEY, { expiration: NOW - 5 });
  const mixed = verifyRrsetAny(A, [sign(A, k99), expired], [k99, KEY], opts);
  assert.ok(!mixed.ok && mixed.unsupported !== true && mixed.ede === Ede.SIGNATURE_EXPIRED, reasonOf(mixed));
  const many = Array.from({ length: 5 }, () => ({
    ...expired,
    data: { ...sign(A, KEY).data, signature: Uint8Array.of(200, 1) },
  }));
  calls = 0;
  const budget = verifyRrsetAny(A, many, [KEY], { ...opts, maxChecks: 3 });
  assert.ok(!budget.ok && budget.checks === 3 && calls === 3, reasonOf(budget));
});
