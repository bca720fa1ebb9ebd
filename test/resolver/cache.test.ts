/**
 * The resolver's caches: positive and negative answers live for min(record TTL, RRSIG original
 * TTL, time to RRSIG expiry); bogus verdicts for about 60 s; validated DNSKEYs are reused across
 * names of a zone; NSEC proofs answer later questions (RFC 8198); the size bound evicts the least
 * recently used entry; concurrent identical lookups share one upstream query.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isType, Name, RRType, type Rr } from '../../src/dns/wire/index.ts';
import { breakRrset } from '../../src/lab/index.ts';
import { basicWorld, buildWorld, NOW } from './world.ts';

test('a positive answer is cached for its TTL and re-asked after it', async () => {
  const world = basicWorld();
  const r = world.resolver();
  const first = await r.lookup('www.example.test.', RRType.A);
  assert.equal(first.status, 'secure');
  assert.equal(first.ttl, 3600);
  const asked = world.asked('www.example.test.', 'A').length;
  world.clock.advance(3599_000);
  const second = await r.lookup('www.example.test.', RRType.A);
  assert.equal(second.fromCache, true);
  assert.equal(second.ttl, 1);
  assert.equal(world.asked('www.example.test.', 'A').length, asked);
  world.clock.advance(2_000);
  const third = await r.lookup('www.example.test.', RRType.A);
  assert.equal(third.fromCache, false);
  assert.ok(world.asked('www.example.test.', 'A').length > asked, 'asked again after the TTL');
});

test('the TTL is capped by the time left before the RRSIG expires', async () => {
  const world = basicWorld({ example: { window: { inception: NOW - 100, expiration: NOW + 120 } } });
  const a = await world.resolver().lookup('www.example.test.', RRType.A);
  assert.equal(a.status, 'secure');
  assert.equal(a.ttl, 120);
});

test('the TTL is capped by the RRSIG original TTL and the SOA minimum for negative answers', async () => {
  const world = buildWorld([{ origin: '.' }, { origin: 'test.', records: 'short 30 IN A 192.0.2.30\n' }]);
  const r = world.resolver();
  const a = await r.lookup('short.test.', RRType.A);
  assert.equal(a.ttl, 30);
  const n = await r.lookup('missing.test.', RRType.A);
  assert.equal(n.kind, 'nxdomain');
  assert.equal(n.ttl, 300, 'min(SOA TTL 3600, SOA MINIMUM 300) — RFC 2308 §5');
});

test('a NODATA answer is cached like a positive one', async () => {
  const world = basicWorld();
  const r = world.resolver();
  await r.lookup('www.example.test.', RRType.TXT);
  const before = world.log.length;
  const again = await r.lookup('www.example.test.', RRType.TXT);
  assert.equal(again.kind, 'nodata');
  assert.equal(again.fromCache, true);
  assert.equal(world.log.length, before);
});

test('a bogus verdict is cached for about 60 seconds, then the zone is asked again', async () => {
  const world = basicWorld({
    example: { mutate: (z) => breakRrset(z, 'www.example.test.', RRType.A, 'expired') },
  });
  const r = world.resolver();
  const first = await r.lookup('www.example.test.', RRType.A);
  assert.equal(first.status, 'bogus');
  const asked = world.asked('www.example.test.', 'A').length;
  world.clock.advance(59_000);
  const cached = await r.lookup('www.example.test.', RRType.A);
  assert.equal(cached.fromCache, true);
  assert.equal(cached.kind, 'failed');
  assert.equal(world.asked('www.example.test.', 'A').length, asked);
  world.clock.advance(2_000);
  await r.lookup('www.example.test.', RRType.A);
  assert.equal(world.asked('www.example.test.', 'A').length, asked + 1);
});

test('validated keys are reused: a second name of the zone needs no DS or DNSKEY query', async () => {
  const world = basicWorld();
  const r = world.resolver();
  await r.lookup('www.example.test.', RRType.A);
  const keyQueries = (): number => world.log.filter((e) => e.qtype === 'DNSKEY' || e.qtype === 'DS').length;
  const before = keyQueries();
  const b = await r.lookup('mx.example.test.', RRType.A);
  assert.equal(b.status, 'secure');
  assert.equal(keyQueries(), before);
  assert.ok(r.stats().keys >= 3);
});

test('NSEC records that proved one NXDOMAIN answer the next one without a query (RFC 8198)', async () => {
  const world = basicWorld();
  const r = world.resolver();
  const first = await r.lookup('nope.example.test.', RRType.A);
  assert.equal(first.kind, 'nxdomain');
  const before = world.log.length;
  const second = await r.lookup('nope.example.test.', RRType.AAAA);
  assert.equal(second.kind, 'nxdomain');
  assert.equal(second.status, 'secure');
  assert.equal(world.log.length, before, 'answered from the cached NSEC');
  const r2 = world.resolver('recursive', { aggressiveNsec: false });
  await r2.lookup('nope.example.test.', RRType.A);
  const mid = world.log.length;
  await r2.lookup('nope.example.test.', RRType.AAAA);
  assert.ok(world.log.length > mid, 'without aggressive NSEC the zone is asked');
});

test('the cache is bounded: the least recently used answer is evicted', async () => {
  const world = basicWorld();
  const r = world.resolver('recursive', { cacheEntries: 2 });
  await r.lookup('www.example.test.', RRType.A);
  await r.lookup('mx.example.test.', RRType.A);
  await r.lookup('www.example.test.', RRType.A); // refresh www
  await r.lookup('www.example.test.', RRType.AAAA); // evicts mx
  assert.ok(r.stats().answers <= 2);
  assert.equal((await r.lookup('www.example.test.', RRType.AAAA)).fromCache, true);
  assert.equal((await r.lookup('mx.example.test.', RRType.A)).fromCache, false);
});

test('concurrent identical lookups share one resolution and one upstream query', async () => {
  const world = basicWorld();
  const r = world.resolver();
  const all = await Promise.all(Array.from({ length: 20 }, () => r.lookup('www.example.test.', RRType.A)));
  assert.ok(all.every((a) => a.status === 'secure'));
  assert.equal(world.asked('www.example.test.', 'A').length, 3, 'root, test. and example.test. once each');
  assert.equal(world.asked('example.test.', 'DNSKEY').length, 1);
});

test('concurrent lookups of different names share the DS and DNSKEY fetches of their zone', async () => {
  const world = basicWorld();
  const r = world.resolver();
  const names = ['www.example.test.', 'mx.example.test.', 'alias.example.test.', 'x.wild.example.test.'];
  const all = await Promise.all(names.map((n) => r.lookup(n, n.includes('wild') ? RRType.TXT : RRType.A)));
  assert.deepEqual(
    all.map((a) => a.status),
    ['secure', 'secure', 'secure', 'secure'],
  );
  assert.equal(world.asked('example.test.', 'DNSKEY').length, 1);
});

test('flush() forgets everything', async () => {
  const world = basicWorld();
  const r = world.resolver();
  await r.lookup('www.example.test.', RRType.A);
  r.flush();
  assert.deepEqual({ answers: r.stats().answers, keys: r.stats().keys }, { answers: 0, keys: 0 });
  assert.equal((await r.lookup('www.example.test.', RRType.A)).fromCache, false);
});

test('maxTtl bounds the key cache and the iterator delegations as well as the answers', async () => {
  const world = basicWorld(); // every record, DNSKEY and NS included, has TTL 3600
  const r = world.resolver('recursive', { maxTtl: 600 });
  const rootAsked = (): number =>
    world.asked('www.example.test.', 'A').filter((e) => e.server === world.rootAddress).length;
  const first = await r.lookup('www.example.test.', RRType.A);
  assert.equal(first.status, 'secure');
  assert.equal(first.ttl, 600);
  const dnskeys = world.asked('example.test.', 'DNSKEY').length;
  const fromRoot = rootAsked();
  world.clock.advance(601_000);
  const again = await r.lookup('www.example.test.', RRType.A);
  assert.equal(again.fromCache, false);
  assert.equal(again.status, 'secure');
  assert.equal(
    world.asked('example.test.', 'DNSKEY').length,
    dnskeys + 1,
    'the DNSKEY fact expired at maxTtl',
  );
  assert.equal(
    rootAsked(),
    fromRoot + 1,
    'the delegations expired at maxTtl: iteration restarts at the root',
  );
});

/** Flip the digest of every DS record of a message (an on-path modification). */
function modifyDs(rrs: readonly Rr[]): Rr[] {
  return rrs.map((rr) =>
    isType(rr, RRType.DS) ? { ...rr, data: { ...rr.data, digest: rr.data.digest.map((b) => b ^ 0xff) } } : rr,
  );
}

test('recursive: a modified referral DS is kept no longer than the bogus TTL, then the parent is asked', async () => {
  const world = basicWorld();
  const example = Name.parse('example.test.');
  let modified = 0;
  // For a moment an on-path attacker modifies every DS of example.test. (referrals and the
  // parent's DS answers); then he is gone.
  const until = world.clock.now() + 1_000;
  world.tamper = (_query, _server, reply) => {
    const hasDs = [...reply.answers, ...reply.authorities].some(
      (rr) => rr.type === RRType.DS && rr.name.equals(example),
    );
    if (!hasDs || world.clock.now() >= until) return reply;
    modified++;
    return { ...reply, answers: modifyDs(reply.answers), authorities: modifyDs(reply.authorities) };
  };
  const r = world.resolver('recursive');
  const first = await r.lookup('www.example.test.', RRType.A);
  assert.equal(first.status, 'bogus', first.reason);
  assert.ok(modified >= 1);
  world.clock.advance(61_000); // past the bogus TTL (60 s), well inside the NS TTL (3600 s)
  const again = await r.lookup('www.example.test.', RRType.A);
  assert.equal(again.status, 'secure', again.reason);
});

test('recursive: a referral DS the key walk finds bogus is forgotten and the DS asked of the parent at once', async () => {
  const world = basicWorld();
  const example = Name.parse('example.test.');
  let modified = 0;
  world.tamper = (query, _server, reply) => {
    const referral =
      query.questions[0]?.type !== RRType.DS &&
      reply.authorities.some((rr) => rr.type === RRType.DS && rr.name.equals(example));
    if (!referral || modified > 0) return reply;
    modified++;
    return { ...reply, authorities: modifyDs(reply.authorities) };
  };
  const a = await world.resolver('recursive').lookup('www.example.test.', RRType.A);
  assert.equal(modified, 1);
  assert.equal(a.status, 'secure', a.reason);
  assert.equal(world.asked('example.test.', 'DS').length, 1, 'the parent was asked for the DS');
});
