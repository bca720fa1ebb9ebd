/**
 * The three resolution modes: `validate` asks the configured resolver with RD+DO+CD and proves
 * everything itself (an AD bit from upstream counts for nothing); `recursive` iterates from root
 * hints, asks authoritative servers without RD, sends DS questions to the parent and takes glue
 * only as hints; `trust-ad` believes the AD bit of a loopback resolver and refuses any other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ForwardingUpstream,
  Resolver,
  ResolverError,
  TrustAnchors,
  type DnsExchange,
} from '../../src/dns/resolver/index.ts';
import { RRType } from '../../src/dns/wire/index.ts';
import { breakRrset } from '../../src/lab/index.ts';
import { FixedClock, isMtaError, seededRandom } from '../../src/util/index.ts';
import { basicWorld, NOW } from './world.ts';

test('validate: every query carries RD, DO and CD; a forged AD bit does not make bogus data secure', async () => {
  const world = basicWorld({
    example: { mutate: (z) => breakRrset(z, 'www.example.test.', RRType.A, 'bad-signature') },
  });
  world.tamper = (_q, _s, reply) => ({ ...reply, flags: { ...reply.flags, ad: true } });
  const a = await world.resolver('validate').lookup('www.example.test.', RRType.A);
  assert.equal(a.status, 'bogus');
  assert.ok(world.log.length > 0);
  assert.ok(
    world.log.every((e) => e.rd && e.cd && e.do),
    JSON.stringify(world.log),
  );
});

test('recursive: authoritative servers are asked without RD, and DS at the parent', async () => {
  const world = basicWorld();
  world.log.length = 0;
  const r = world.resolver('recursive', { aggressiveNsec: false });
  const a = await r.lookup('www.example.test.', RRType.A);
  assert.equal(a.status, 'secure');
  assert.ok(world.log.every((e) => !e.rd && e.do));
  const ds = await r.lookup('example.test.', RRType.DS);
  assert.equal(ds.status, 'secure');
  assert.equal(ds.kind, 'answer');
});

function adExchange(ad: boolean): DnsExchange {
  return {
    exchange: (query, servers) => {
      const q = query.questions[0];
      if (q === undefined) return Promise.resolve({ ok: false, reason: 'no question' });
      return Promise.resolve({
        ok: true,
        server: servers[0] ?? { address: '127.0.0.1', port: 53 },
        message: {
          id: query.id,
          flags: { ...query.flags, qr: true, ra: true, ad },
          rcode: 0,
          questions: [q],
          answers: [
            {
              name: q.name,
              type: RRType.A,
              class: 1,
              ttl: 60,
              data: { address: '192.0.2.9' },
              rdata: Uint8Array.of(192, 0, 2, 9),
            },
          ],
          authorities: [],
          additionals: [],
        },
      });
    },
  };
}

function trustAd(address: string, ad: boolean, checkingDisabled = false): Resolver {
  const upstream = new ForwardingUpstream([{ address, port: 53 }], adExchange(ad), {
    random: seededRandom(1),
    checkingDisabled,
  });
  return new Resolver({
    upstream,
    mode: 'trust-ad',
    anchors: new TrustAnchors([]),
    clock: new FixedClock(NOW * 1000),
  });
}

test('trust-ad: the AD bit of a loopback resolver decides secure or insecure', async () => {
  assert.equal((await trustAd('127.0.0.1', true).lookup('a.example.', RRType.A)).status, 'secure');
  assert.equal((await trustAd('::1', false).lookup('a.example.', RRType.A)).status, 'insecure');
  assert.equal((await trustAd('127.0.0.53', true).lookup('a.example.', RRType.A)).kind, 'answer');
  // 127.0.0.1 written IPv4-mapped in hex is loopback too (RFC 4291 §2.5.5.2).
  assert.equal((await trustAd('::ffff:7f00:1', true).lookup('a.example.', RRType.A)).status, 'secure');
});

test('trust-ad: refused for a resolver that is not on loopback, with a clear error', () => {
  // 127.300.0.1 is no address at all; the resolver's former loopback test took it for one.
  for (const address of ['192.0.2.53', '10.0.0.1', '2001:db8::53', '::ffff:192.0.2.1', '127.300.0.1']) {
    assert.throws(
      () => trustAd(address, true),
      (e: unknown) =>
        e instanceof ResolverError &&
        isMtaError(e, 'DNS_ERR_TRUST_AD_NOT_LOOPBACK') &&
        e.message.includes(address) &&
        !e.message.includes('\n'),
    );
  }
  assert.throws(() => trustAd('127.0.0.1', true, true), /CD/);
});
