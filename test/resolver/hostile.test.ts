/**
 * Work limits against hostile zones and servers (KeyTrap CVE-2023-50387, NSEC3 hash floods
 * CVE-2023-50868, alias and referral loops): every case must end in a bogus or failed answer
 * with a reason — never a hang or unbounded CPU — and the crypto work is counted through an
 * injected verifier to show it stays under the caps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Ede, keyTag } from '../../src/dns/dnssec/index.ts';
import { DEFAULT_CRYPTO, DEFAULT_LIMITS, type DnssecCrypto } from '../../src/dns/resolver/index.ts';
import {
  DEFAULT_FLAGS,
  makeRr,
  Name,
  RRType,
  type DnskeyRdata,
  type Message,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { editZone } from '../../src/lab/index.ts';
import { basicWorld, buildWorld, EXPIRATION, INCEPTION } from './world.ts';
import { FLOOD_QUESTION, nsec3FloodWorld } from './nsec3-flood.ts';

/** DEFAULT_CRYPTO with counters of signature verifications and NSEC3 hashes. */
function countingCrypto(): { crypto: DnssecCrypto; calls: () => number; hashes: () => number } {
  let n = 0;
  let h = 0;
  return {
    crypto: {
      ...DEFAULT_CRYPTO,
      verify: (alg, key, data, sig) => {
        n++;
        return DEFAULT_CRYPTO.verify(alg, key, data, sig);
      },
      nsec3Hash: (name, salt, iterations) => {
        h++;
        return DEFAULT_CRYPTO.nsec3Hash(name, salt, iterations);
      },
    },
    calls: () => n,
    hashes: () => h,
  };
}

/** An algorithm-13 DNSKEY with random key bytes whose key tag is `tag`. */
function keyWithTag(tag: number): DnskeyRdata {
  const publicKey = new Uint8Array(randomBytes(64));
  publicKey[62] = 0;
  publicKey[63] = 0;
  const base = { flags: 256, protocol: 3, algorithm: 13 };
  const zeroTag = keyTag({ ...base, publicKey });
  for (const delta of [0, 1, -1, 2, -2]) {
    const v = (tag - zeroTag + delta + 0x20000) & 0xffff;
    const k = { ...base, publicKey: publicKey.slice() };
    k.publicKey[62] = v >> 8;
    k.publicKey[63] = v & 0xff;
    if (keyTag(k) === tag) return k;
  }
  throw new Error('could not make a colliding key');
}

function junkSig(owner: Name, covered: number, tag: number, signer: Name): Rr<RrsigRdata> {
  return makeRr<RrsigRdata>({
    name: owner,
    type: RRType.RRSIG,
    ttl: 3600,
    data: {
      typeCovered: covered,
      algorithm: 13,
      labels: owner.labelCount,
      originalTtl: 3600,
      expiration: EXPIRATION,
      inception: INCEPTION,
      keyTag: tag,
      signerName: signer,
      signature: new Uint8Array(randomBytes(64)),
    },
  });
}

test('KeyTrap: many DNSKEYs sharing a key tag and many RRSIGs cost a bounded number of checks', async () => {
  const TAG = 4242;
  const zoneName = Name.parse('example.test.');
  const world = basicWorld({
    example: {
      mutate: (z) =>
        editZone(z, (records) => [
          ...records,
          ...Array.from({ length: 40 }, () =>
            makeRr({ name: zoneName, type: RRType.DNSKEY, ttl: 3600, data: keyWithTag(TAG) }),
          ),
        ]),
    },
  });
  const www = Name.parse('www.example.test.');
  world.tamper = (_q, _server, reply) => {
    if (!reply.answers.some((rr) => rr.type === RRType.A && rr.name.equals(www))) return reply;
    const data = reply.answers.filter((rr) => rr.type !== RRType.RRSIG);
    const sigs = Array.from({ length: 60 }, () => junkSig(www, RRType.A, TAG, zoneName));
    return { ...reply, answers: [...data, ...sigs] };
  };
  const { crypto, calls } = countingCrypto();
  const started = Date.now();
  const a = await world.resolver('recursive', { crypto }).lookup(www, RRType.A);
  assert.equal(a.kind, 'failed');
  assert.equal(a.status, 'bogus');
  assert.ok(a.reason !== undefined && a.reason.length > 0);
  // 8 RRSIGs looked at, at most 4 keys per tag each, plus the chain's own few checks.
  assert.ok(calls() <= 8 * DEFAULT_LIMITS.maxKeysPerTag + 10, `crypto calls ${calls()}`);
  assert.ok(calls() <= DEFAULT_LIMITS.maxSignatureChecks);
  assert.ok(Date.now() - started < 5000);
});

test('KeyTrap: a lower signature budget ends the lookup as bogus with a reason', async () => {
  const world = basicWorld();
  const { crypto, calls } = countingCrypto();
  const a = await world
    .resolver('recursive', { crypto, limits: { maxSignatureChecks: 2 } })
    .lookup('www.example.test.', RRType.A);
  assert.equal(a.status, 'bogus');
  assert.match(a.reason ?? '', /signature check/);
  assert.ok(calls() <= 2);
});

test('NSEC3 hash flood (CVE-2023-50868): three parameter sets × 150 iterations and a deep signer cost a bounded number of hashes', async () => {
  const world = nsec3FloodWorld();
  const { crypto, hashes } = countingCrypto();
  const a = await world.resolver('recursive', { crypto }).lookup(FLOOD_QUESTION.name, FLOOD_QUESTION.type);
  // The junk signer makes the answer bogus whatever happens; what matters is the work done.
  assert.equal(a.kind, 'failed');
  assert.equal(a.status, 'bogus');
  assert.ok(hashes() > 0, 'the proofs hashed through the injected function');
  assert.ok(hashes() <= DEFAULT_LIMITS.maxNsec3Hashes, `${hashes()} NSEC3 hashes`);
});

test('NSEC3 hashes are charged to the lookup budget: running out ends the lookup as bogus', async () => {
  const world = basicWorld({ example: { sign: 'nsec3' } });
  const { crypto, hashes } = countingCrypto();
  const a = await world
    .resolver('recursive', { crypto, limits: { maxNsec3Hashes: 1 } })
    .lookup('nope.example.test.', RRType.A);
  assert.equal(a.status, 'bogus');
  assert.match(a.reason ?? '', /more than 1 NSEC3 hashes/);
  assert.equal(hashes(), 1);
});

test('a CNAME loop across two zones ends as a failed lookup', async () => {
  const world = buildWorld([
    { origin: '.' },
    { origin: 'test.' },
    { origin: 'one.test.', records: 'a IN CNAME b.two.test.\n' },
    { origin: 'two.test.', records: 'b IN CNAME a.one.test.\n' },
  ]);
  const a = await world.resolver().lookup('a.one.test.', RRType.A);
  assert.equal(a.kind, 'failed');
  assert.match(a.reason ?? '', /loop/);
});

test('a CNAME loop inside one response ends as a failed lookup', async () => {
  const world = basicWorld({ example: { records: 'x IN CNAME y\ny IN CNAME x\n' } });
  const a = await world.resolver().lookup('x.example.test.', RRType.A);
  assert.equal(a.kind, 'failed');
  assert.match(a.reason ?? '', /loop/);
});

test('a CNAME chain longer than the limit ends as bogus with a reason', async () => {
  const links = Array.from({ length: 30 }, (_, i) => `c${i} IN CNAME c${i + 1}`).join('\n');
  const world = basicWorld({ example: { records: `${links}\nc30 IN A 192.0.2.30\n` } });
  const a = await world.resolver().lookup('c0.example.test.', RRType.A);
  assert.equal(a.kind, 'failed');
  assert.equal(a.status, 'bogus');
  assert.match(a.reason ?? '', /alias chain longer than 12/);
});

function referral(query: Message, zone: Name, address: string): Message {
  const ns = zone.prepend('ns');
  return {
    id: query.id,
    flags: { ...DEFAULT_FLAGS, qr: true },
    rcode: 0,
    questions: query.questions,
    answers: [],
    authorities: [makeRr({ name: zone, type: RRType.NS, ttl: 3600, data: { target: ns } })],
    additionals: [makeRr({ name: ns, type: RRType.A, ttl: 3600, data: { address } })],
  };
}

test('endless referrals stop at the referral limit', async () => {
  const world = basicWorld();
  const deep = Name.parse(`${Array.from({ length: 60 }, (_, i) => `l${i}`).join('.')}.example.test.`);
  let hops = 0;
  // Every answer below example.test. is a referral one label further down, to the same server.
  world.tamper = (query, server, reply) => {
    hops++;
    const q = query.questions[0];
    if (q === undefined || !q.name.isSubdomainOf(Name.parse('example.test.'))) return reply;
    return referral(query, q.name.suffix(Math.min(q.name.labelCount, 3 + hops)), server);
  };
  const started = Date.now();
  const a = await world.resolver().lookup(deep, RRType.A);
  assert.equal(a.kind, 'failed');
  assert.match(a.reason ?? '', /referrals|queries/);
  assert.ok(Date.now() - started < 5000);
});

test('a referral back up (lame delegation) is a failed lookup, not an answer', async () => {
  const world = basicWorld();
  const example = Name.parse('example.test.');
  world.tamper = (query, server, reply) => {
    const q = query.questions[0];
    if (q?.name.equals(Name.parse('www.example.test.')) !== true || server === world.rootAddress)
      return reply;
    if (world.byAddress.get(server)?.[0]?.origin.equals(example) !== true) return reply;
    return referral(query, Name.parse('test.'), server);
  };
  const a = await world.resolver().lookup('www.example.test.', RRType.A);
  // The iterator drops the out-of-zone NS; what is left is an unproven empty answer in a signed zone.
  assert.equal(a.kind, 'failed');
  assert.ok(a.status === 'bogus' || a.status === 'indeterminate', a.status);
  assert.equal(a.rrset.require('bogus').length, 0);
});

test('the upstream query budget ends a lookup that needs too many queries', async () => {
  const world = basicWorld();
  const a = await world
    .resolver('recursive', { limits: { maxQueries: 3 } })
    .lookup('www.example.test.', RRType.A);
  assert.equal(a.kind, 'failed');
  assert.match(a.reason ?? '', /more than 3 upstream queries/);
});

test('NSEC3 with iterations far above the limit is insecure, as Unbound and BIND answer, without any hashing', async () => {
  const world = basicWorld({ example: { sign: { iterations: 600 } } });
  const { crypto, hashes } = countingCrypto();
  const a = await world.resolver('recursive', { crypto }).lookup('nope.example.test.', RRType.A);
  assert.deepEqual([a.kind, a.status, a.insecureKind], ['nxdomain', 'insecure', 'nsec3-iterations']);
  assert.equal(a.ede, Ede.UNSUPPORTED_NSEC3_ITERATIONS);
  assert.equal(hashes(), 0);
});

test('NSEC3 with iterations above 150 makes the denial insecure (RFC 9276 §3.2), and says why', async () => {
  const world = basicWorld({ example: { sign: { iterations: 200 } } });
  const a = await world.resolver().lookup('nope.example.test.', RRType.A);
  assert.equal(a.kind, 'nxdomain');
  assert.equal(a.status, 'insecure');
  assert.equal(a.ede, Ede.UNSUPPORTED_NSEC3_ITERATIONS);
  assert.equal(a.insecureKind, 'nsec3-iterations');
  // An opt-out denial is insecure for another reason: it says nothing of the kind.
  const optOut = basicWorld({ example: { sign: 'optout' } });
  const o = await optOut.resolver().lookup('nope.example.test.', RRType.A);
  assert.equal(o.status, 'insecure');
  assert.equal(o.insecureKind, undefined);
});

test('NSEC3 records with many parameter sets are refused before any hashing', async () => {
  const world = basicWorld({ example: { sign: 'nsec3' } });
  world.tamper = (_q, _server, reply) => {
    const extra = reply.authorities
      .filter((rr) => rr.type === RRType.NSEC3)
      .flatMap((rr) =>
        [1, 2, 3, 4, 5].map((i) => ({ ...rr, data: { ...(rr.data as object), iterations: i } }) as Rr),
      );
    return { ...reply, authorities: [...reply.authorities, ...extra] };
  };
  const a = await world.resolver().lookup('nope.example.test.', RRType.A);
  assert.equal(a.kind, 'failed');
  assert.equal(a.status, 'bogus');
});
