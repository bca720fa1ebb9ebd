/**
 * The one store test suite: every method and promise of the `QueueStore` contract
 * (src/queue/types.ts), registered once per driver by test/queue/sqlite.test.ts and
 * test/queue/postgres.test.ts. This file holds intake and the work cycle (enqueue, claim,
 * leases, complete, slots, nextDue, onWork, crash recovery); store-suite-admin.ts holds the
 * administrative methods and the schema. Lease expiry is simulated by passing a later `now`,
 * never by sleeping. Test support only.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueStore } from '../../src/queue/index.ts';
import { registerAdminSuite } from './store-suite-admin.ts';
import { registerSchemaSuite } from './store-suite-schema.ts';
import { registerSlotsAndWakeups } from './store-suite-wake.ts';
import { registerComplete, registerLeases } from './store-suite-work.ts';
import type { StoreFactory } from './store-kit.ts';
import { T0, message, ridsOf, setUp } from './store-kit.ts';

export type { Backing, StoreFactory } from './store-kit.ts';

/** Registers the whole suite for one driver. */
export function registerStoreSuite(factory: StoreFactory): void {
  describe(`queue store (${factory.name}): intake and work`, () => {
    registerIntake(factory);
    registerClaims(factory);
    registerLeases(factory);
    registerComplete(factory);
    registerSlotsAndWakeups(factory);
  });
  describe(`queue store (${factory.name}): administration and schema`, () => {
    registerAdminSuite(factory);
    registerSchemaSuite(factory);
  });
}

function registerIntake(factory: StoreFactory): void {
  test('enqueue is durable: a reopened store has the message, its body and its recipients', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org', 'b@example.com'] });
    m.envid = 'env-1';
    m.ret = 'HDRS';
    m.smtputf8 = true;
    m.requireTls = true;
    m.origin = { address: '192.0.2.7', helo: 'client.example', listener: '127.0.0.1:25' };
    m.recipients[0] = { ...m.recipients[0]!, notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;A@example.org' };
    await s.store.enqueue(m);
    await s.store.close();
    const again = await s.open();
    const detail = await again.show(m.id);
    assert.ok(detail !== undefined);
    assert.deepEqual(detail.message, {
      id: m.id,
      from: m.from,
      received: T0,
      size: m.body.byteLength,
      envid: 'env-1',
      ret: 'HDRS',
      smtputf8: true,
      eightBitMime: false,
      requireTls: true,
      origin: { address: '192.0.2.7', helo: 'client.example', listener: '127.0.0.1:25' },
      kind: 'normal',
    });
    const fresh = {
      state: 'queued',
      held: false,
      heldMs: 0,
      attempts: 0,
      nextAttempt: T0,
      lastAttemptAt: null,
    };
    const rest = { delayWarned: false, enhanced: null, reason: null, last: null, messageId: m.id };
    assert.deepEqual(
      detail.recipients.map(({ rid: _rid, ...r }) => r),
      [
        {
          ...fresh,
          ...rest,
          address: 'a@example.org',
          domain: 'example.org',
          notify: ['SUCCESS', 'FAILURE'],
          orcpt: 'rfc822;A@example.org',
        },
        { ...fresh, ...rest, address: 'b@example.com', domain: 'example.com' },
      ],
    );
    assert.deepEqual(detail.attempts, []);
    assert.deepEqual(await again.body(m.id), m.body);
    assert.equal(await again.body('NO-SUCH-MESSAGE'), undefined);
  });

  test('enqueue is all or nothing: a duplicate id or a bad message stores nothing', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const first = message({ to: ['a@example.org'] });
    await s.store.enqueue(first);
    const dup = { ...message({ to: ['x@example.net', 'y@example.net'] }), id: first.id };
    await assert.rejects(s.store.enqueue(dup), { code: 'QUEUE_ERR_ARGUMENT', message: /already exists/ });
    const noRecipients = { ...message(), recipients: [] };
    await assert.rejects(s.store.enqueue(noRecipients), {
      code: 'QUEUE_ERR_ARGUMENT',
      message: /no recipients/,
    });
    const badNotify = message();
    badNotify.recipients[0] = { ...badNotify.recipients[0]!, notify: ['NEVER', 'SUCCESS'] };
    await assert.rejects(s.store.enqueue(badNotify), { code: 'QUEUE_ERR_ARGUMENT' });
    const all = await s.store.list();
    assert.deepEqual(
      all.map((v) => [v.message.id, v.recipients.map((r) => r.address)]),
      [[first.id, ['a@example.org']]],
    );
  });

  test('concurrent enqueues: one failing request does not undo the others', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const a = message({ to: ['a@example.org'] });
    const clash = { ...message({ to: ['clash1@example.org', 'clash2@example.org'] }), id: a.id };
    const c = message({ to: ['c@example.org'] });
    const results = await Promise.allSettled([a, clash, c].map((m) => s.store.enqueue(m)));
    assert.equal(results[2]?.status, 'fulfilled');
    const won = results.filter((r, i) => i < 2 && r.status === 'fulfilled').length;
    assert.equal(won, 1, 'exactly one of two messages with the same id is stored');
    const lost = results.find((r) => r.status === 'rejected');
    assert.equal((lost?.reason as { code?: string }).code, 'QUEUE_ERR_ARGUMENT');
    const winner = results[0]?.status === 'fulfilled' ? a : clash;
    const stored = await s.store.list();
    assert.deepEqual(
      stored.map((v) => v.recipients.map((r) => r.address)).sort(),
      [winner.recipients.map((r) => r.address), ['c@example.org']].sort(),
    );
  });
}

function registerClaims(factory: StoreFactory): void {
  test('claim: oldest due first, grouped by message, only due recipients, with a lease', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const older = message({ received: T0, to: ['a1@example.org', 'a2@example.com'] });
    const newer = message({ received: T0 + 2000, to: ['b1@example.org'] });
    const middle = message({ received: T0 + 1000, to: ['c1@example.org'] });
    const future = message({ received: T0 + 60_000, to: ['d1@example.org'] });
    for (const m of [older, newer, middle, future]) await s.store.enqueue(m);
    const claimed = await s.store.claim({ owner: 'n1', now: T0 + 5000, leaseMs: 30_000, limit: 10 });
    assert.deepEqual(
      claimed.map((c) => [c.message.id, c.recipients.map((r) => r.address)]),
      [
        [older.id, ['a1@example.org', 'a2@example.com']],
        [middle.id, ['c1@example.org']],
        [newer.id, ['b1@example.org']],
      ],
    );
    assert.equal(claimed[0]?.message.from, older.from);
    assert.deepEqual(await s.store.claim({ owner: 'n2', now: T0 + 5000, leaseMs: 30_000, limit: 10 }), []);
  });

  test('claim: limit, domain and excludeDomains', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    await s.store.enqueue(message({ received: T0, to: ['1@a.example', '2@b.example', '3@c.example'] }));
    await s.store.enqueue(message({ received: T0 + 1, to: ['4@a.example', '5@b.example'] }));
    const now = T0 + 10;
    const two = await s.store.claim({ owner: 'n1', now, leaseMs: 1000, limit: 2 });
    assert.deepEqual(
      two.flatMap((c) => c.recipients.map((r) => r.address)),
      ['1@a.example', '2@b.example'],
    );
    const onlyB = await s.store.claim({ owner: 'n1', now, leaseMs: 1000, limit: 10, domain: 'b.example' });
    assert.deepEqual(
      onlyB.flatMap((c) => c.recipients.map((r) => r.address)),
      ['5@b.example'],
    );
    const notA = await s.store.claim({
      owner: 'n1',
      now,
      leaseMs: 1000,
      limit: 10,
      excludeDomains: ['a.example'],
    });
    assert.deepEqual(
      notA.flatMap((c) => c.recipients.map((r) => r.address)),
      ['3@c.example'],
    );
    const rest = await s.store.claim({ owner: 'n1', now, leaseMs: 1000, limit: 10, excludeDomains: [] });
    assert.deepEqual(
      rest.flatMap((c) => c.recipients.map((r) => r.address)),
      ['4@a.example'],
    );
  });

  test('claim: bad options are one-line argument errors', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const base = { owner: 'n1', now: T0, leaseMs: 1000, limit: 1 };
    for (const bad of [{ limit: 0 }, { leaseMs: -1 }, { owner: '' }, { now: Number.NaN }]) {
      await assert.rejects(s.store.claim({ ...base, ...bad }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'QUEUE_ERR_ARGUMENT');
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
  });

  test('concurrent claims from two store instances never lease a recipient twice', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const other = await s.open();
    for (let i = 0; i < 20; i++) {
      await s.store.enqueue(
        message({ received: T0 + i, to: [`a${i}@x.example`, `b${i}@y.example`, `c${i}@z.example`] }),
      );
    }
    const now = T0 + 1000;
    const drain = async (store: QueueStore, owner: string): Promise<number[]> => {
      const got: number[] = [];
      for (;;) {
        const batch = ridsOf(await store.claim({ owner, now, leaseMs: 60_000, limit: 7 }));
        if (batch.length === 0) return got;
        got.push(...batch);
      }
    };
    const [one, two] = await Promise.all([drain(s.store, 'node-1'), drain(other, 'node-2')]);
    const all = [...one, ...two];
    assert.equal(all.length, 60);
    assert.equal(new Set(all).size, 60, 'no recipient was leased to both nodes');
  });
}
