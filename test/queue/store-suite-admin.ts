/**
 * Part of the one store test suite (see store-suite.ts): the administrative methods — list,
 * show, stats, retry, hold/release with held-time accounting, changes seen by another
 * instance, force, delete, prune. Test support only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueStore } from '../../src/queue/index.ts';
import type { StoreFactory } from './store-kit.ts';
import { T0, message, ridsOf, setUp } from './store-kit.ts';

const MINUTE = 60_000;

export function registerAdminSuite(factory: StoreFactory): void {
  registerViews(factory);
  registerActions(factory);
}

/** Deliver / defer the claimed recipients by address: `outcomes[address] = state`. */
async function settle(
  store: QueueStore,
  now: number,
  outcomes: Record<string, 'delivered' | 'bounced' | 'deferred'>,
): Promise<void> {
  const claimed = await store.claim({ owner: 'worker', now, leaseMs: MINUTE, limit: 100 });
  const updates = claimed
    .flatMap((c) => c.recipients)
    .filter((r) => outcomes[r.address] !== undefined)
    .map((r) => {
      const state = outcomes[r.address]!;
      const base = {
        rid: r.rid,
        enhanced: state === 'deferred' ? '4.4.1' : '2.0.0',
        reason: state,
        last: null,
      };
      return state === 'deferred' ? { ...base, state, nextAttempt: now + 10 * MINUTE } : { ...base, state };
    });
  await store.complete('worker', { updates }, now);
  await store.releaseLeases('worker');
}

function registerViews(factory: StoreFactory): void {
  test('list: messages in arrival order with all their recipients; filters by state, domain, held, limit', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const a = message({ received: T0, to: ['a1@one.example', 'a2@two.example'] });
    const b = message({ received: T0 + 1, to: ['b1@two.example'] });
    const c = message({ received: T0 + 2, to: ['c1@one.example'] });
    for (const m of [c, a, b]) await s.store.enqueue(m);
    await settle(s.store, T0 + 10, { 'a1@one.example': 'delivered', 'b1@two.example': 'deferred' });
    await s.store.setHeld({ id: c.id }, true, T0 + 20);
    const ids = async (filter = {}): Promise<string[]> =>
      (await s.store.list(filter)).map((v) => v.message.id);
    assert.deepEqual(await ids(), [a.id, b.id, c.id]);
    assert.deepEqual(await ids({ state: 'deferred' }), [b.id]);
    assert.deepEqual(await ids({ state: 'delivered' }), [a.id]);
    assert.deepEqual(await ids({ state: 'queued' }), [a.id, c.id]);
    assert.deepEqual(await ids({ domain: 'one.example' }), [a.id, c.id]);
    assert.deepEqual(await ids({ domain: 'two.example', state: 'queued' }), [a.id]);
    assert.deepEqual(await ids({ held: true }), [c.id]);
    assert.deepEqual(await ids({ held: false }), [a.id, b.id]);
    assert.deepEqual(await ids({ limit: 2 }), [a.id, b.id]);
    const [view] = await s.store.list({ state: 'delivered' });
    assert.deepEqual(
      view?.recipients.map((r) => [r.address, r.state, r.attempts]),
      [
        ['a1@one.example', 'delivered', 1],
        ['a2@two.example', 'queued', 0],
      ],
    );
    await assert.rejects(s.store.list({ state: 'lost' as never }), { code: 'QUEUE_ERR_ARGUMENT' });
  });

  test('show: the message, its recipients and its attempts oldest first; unknown id → undefined', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org'] });
    await s.store.enqueue(m);
    const entry = (at: number, outcome: string) => ({
      messageId: m.id,
      domain: 'example.org',
      at,
      recipients: ['a@example.org'],
      outcome,
      records: [{ at }],
      transcript: [`line ${at}`],
    });
    for (const [i, now] of [T0, T0 + MINUTE].entries()) {
      const [rid] = ridsOf(await s.store.claim({ owner: 'n', now, leaseMs: 1000, limit: 1 })) as [number];
      const update = {
        rid,
        state: 'deferred' as const,
        nextAttempt: now + MINUTE,
        enhanced: '4.0.0',
        reason: `try ${i}`,
        last: null,
      };
      await s.store.complete('n', { updates: [update], attempt: entry(now, 'deferred') }, now);
    }
    const detail = await s.store.show(m.id);
    assert.deepEqual(detail?.attempts, [entry(T0, 'deferred'), entry(T0 + MINUTE, 'deferred')]);
    assert.equal(detail.recipients[0]?.reason, 'try 1');
    assert.equal(await s.store.show('UNKNOWN0000000000000'), undefined);
  });

  test('stats: recipients by state, held, oldest non-final message, top deferred destinations', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const empty = await s.store.stats(T0);
    assert.deepEqual(empty, {
      byState: { queued: 0, deferred: 0, delivered: 0, bounced: 0 },
      held: 0,
      oldestMs: null,
      topDeferred: [],
    });
    const done = message({ received: T0 - 10 * MINUTE, to: ['d@done.example'] });
    await s.store.enqueue(done);
    await s.store.enqueue(
      message({ received: T0, to: ['1@slow.example', '2@slow.example', '3@late.example'] }),
    );
    await s.store.enqueue(
      message({ received: T0 + 1, to: ['4@late.example', '5@fast.example', '6@ok.example'] }),
    );
    await settle(s.store, T0 + 5, {
      'd@done.example': 'delivered',
      '1@slow.example': 'deferred',
      '2@slow.example': 'deferred',
      '3@late.example': 'deferred',
      '4@late.example': 'deferred',
      '5@fast.example': 'deferred',
      '6@ok.example': 'bounced',
    });
    await s.store.setHeld({ domain: 'fast.example' }, true, T0 + 6);
    const stats = await s.store.stats(T0 + MINUTE, { top: 2 });
    assert.deepEqual(stats, {
      byState: { queued: 0, deferred: 5, delivered: 1, bounced: 1 },
      held: 1,
      oldestMs: MINUTE,
      topDeferred: [
        { domain: 'late.example', deferred: 2 },
        { domain: 'slow.example', deferred: 2 },
      ],
    });
    assert.equal((await s.store.stats(T0 + MINUTE)).topDeferred.length, 3);
  });
}

function registerActions(factory: StoreFactory): void {
  test('retry by id, domain or all makes non-final, non-held recipients due now', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const a = message({ to: ['1@one.example', '2@two.example'] });
    const b = message({ to: ['3@two.example', '4@done.example'] });
    await s.store.enqueue(a);
    await s.store.enqueue(b);
    await settle(s.store, T0, {
      '1@one.example': 'deferred',
      '2@two.example': 'deferred',
      '3@two.example': 'deferred',
      '4@done.example': 'delivered',
    });
    const due = async (): Promise<Record<string, number | null>> =>
      Object.fromEntries(
        (await s.store.list()).flatMap((v) => v.recipients.map((r) => [r.address, r.nextAttempt])),
      );
    assert.equal(await s.store.retry({ domain: 'two.example' }, T0 + 1), 2);
    assert.deepEqual(await due(), {
      '1@one.example': T0 + 10 * MINUTE,
      '2@two.example': T0 + 1,
      '3@two.example': T0 + 1,
      '4@done.example': null,
    });
    assert.equal(await s.store.retry({ id: a.id }, T0 + 2), 2);
    await s.store.setHeld({ id: b.id }, true, T0 + 3);
    assert.equal(await s.store.retry({ all: true }, T0 + 4), 2, 'held and final recipients are not retried');
    assert.equal((await due())['3@two.example'], T0 + 1);
    assert.equal(await s.store.retry({ id: 'NOSUCHMESSAGE' }, T0 + 5), 0);
    await assert.rejects(s.store.retry({ id: a.id, all: true } as never, T0), { code: 'QUEUE_ERR_ARGUMENT' });
  });

  test('held recipients are never claimed, and held time is accounted in heldMs', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const a = message({ received: T0, to: ['1@one.example', '2@two.example'] });
    const b = message({ received: T0 + 1, to: ['3@two.example'] });
    await s.store.enqueue(a);
    await s.store.enqueue(b);
    assert.equal(await s.store.setHeld({ domain: 'two.example' }, true, T0), 2);
    assert.equal(await s.store.setHeld({ domain: 'two.example' }, true, T0), 0, 'already held');
    assert.deepEqual(
      (await s.store.claim({ owner: 'n', now: T0 + 1, leaseMs: 1000, limit: 10 })).flatMap((c) =>
        c.recipients.map((r) => r.address),
      ),
      ['1@one.example'],
    );
    assert.equal(await s.store.setHeld({ all: true }, true, T0 + 1000), 1, 'the leased one is held too');
    const held = (await s.store.list({ held: true })).flatMap((v) => v.recipients);
    assert.deepEqual(
      held.map((r) => [r.held, r.heldMs]),
      [
        [true, 0],
        [true, 0],
        [true, 0],
      ],
    );
    assert.deepEqual(await s.store.claim({ owner: 'n2', now: T0 + MINUTE, leaseMs: 1000, limit: 10 }), []);
    assert.equal(await s.store.setHeld({ id: b.id }, false, T0 + 5000), 1);
    assert.equal(await s.store.setHeld({ id: b.id }, true, T0 + 6000), 1);
    assert.equal(await s.store.setHeld({ all: true }, false, T0 + 8000), 3);
    const byAddress = Object.fromEntries(
      (await s.store.list()).flatMap((v) => v.recipients.map((r) => [r.address, r])),
    );
    assert.equal(byAddress['3@two.example']?.heldMs, 7000, '5000 + 2000 over two holds');
    assert.equal(byAddress['2@two.example']?.heldMs, 8000);
    assert.equal(byAddress['1@one.example']?.heldMs, 7000);
    assert.equal(byAddress['1@one.example'].held, false);
  });

  test('an administrator’s change through another instance is seen by the daemon’s next claim', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const admin = await s.open({ listen: false });
    const m = message({ to: ['a@example.org'] });
    await s.store.enqueue(m);
    await settle(s.store, T0, { 'a@example.org': 'deferred' });
    const claim = (now: number) => s.store.claim({ owner: 'daemon', now, leaseMs: 1000, limit: 10 });
    assert.deepEqual(await claim(T0 + 1), [], 'deferred for ten minutes');
    assert.equal(await admin.retry({ all: true }, T0 + 2), 1);
    assert.equal(await admin.setHeld({ id: m.id }, true, T0 + 3), 1);
    assert.deepEqual(await claim(T0 + 4), [], 'held by the administrator');
    assert.equal(await admin.setHeld({ id: m.id }, false, T0 + 5), 1);
    assert.deepEqual(
      (await claim(T0 + 6)).map((c) => c.message.id),
      [m.id],
      'retried and released',
    );
  });

  test('force applies an administrative bounce without a lease; final recipients are skipped', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org', 'b@example.org'] });
    await s.store.enqueue(m);
    const [a, b] = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: MINUTE, limit: 5 })) as [
      number,
      number,
    ];
    await s.store.complete(
      'n1',
      { updates: [{ rid: b, state: 'delivered', enhanced: '2.0.0', reason: 'ok', last: null }] },
      T0 + 1,
    );
    const dsn = message({ from: '', kind: 'dsn', to: [m.from], received: T0 + 2 });
    const bounce = (rid: number) => ({
      rid,
      state: 'bounced' as const,
      enhanced: '5.0.0',
      reason: 'bounced by the administrator',
      last: null,
      countAttempt: false,
    });
    const result = await s.store.force(
      { updates: [bounce(a), bounce(b), bounce(424_242)], enqueue: [dsn] },
      T0 + 2,
    );
    assert.deepEqual(result, { applied: [a], skipped: [b, 424_242] });
    const rs = (await s.store.show(m.id))?.recipients ?? [];
    assert.deepEqual(
      rs.map((r) => [r.state, r.attempts, r.reason]),
      [
        ['bounced', 0, 'bounced by the administrator'],
        ['delivered', 1, 'ok'],
      ],
    );
    assert.equal((await s.store.show(dsn.id))?.message.kind, 'dsn');
    const late = await s.store.complete(
      'n1',
      { updates: [{ rid: a, state: 'delivered', enhanced: '2.0.0', reason: 'ok', last: null }] },
      T0 + 3,
    );
    assert.deepEqual(late, { applied: [], skipped: [a] }, 'the lease went with the forced result');
  });

  test('delete removes a message in any state; unknown → false', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org'] });
    const keep = message({ to: ['b@example.org'] });
    await s.store.enqueue(m);
    await s.store.enqueue(keep);
    await s.store.claim({ owner: 'n', now: T0, leaseMs: MINUTE, limit: 10 });
    assert.equal(await s.store.delete(m.id), true);
    assert.equal(await s.store.delete(m.id), false);
    assert.equal(await s.store.show(m.id), undefined);
    assert.equal(await s.store.body(m.id), undefined);
    assert.deepEqual(
      (await s.store.list()).map((v) => v.message.id),
      [keep.id],
    );
  });

  test('prune deletes messages whose recipients are all final and unchanged since `before`', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const old = message({ received: T0, to: ['1@example.org', '2@example.org'] });
    const mixed = message({ received: T0, to: ['3@example.org', '4@example.org'] });
    const recent = message({ received: T0, to: ['5@example.org'] });
    for (const m of [old, mixed, recent]) await s.store.enqueue(m);
    await settle(s.store, T0 + MINUTE, {
      '1@example.org': 'delivered',
      '2@example.org': 'bounced',
      '3@example.org': 'delivered',
      '4@example.org': 'deferred',
    });
    await settle(s.store, T0 + 5 * MINUTE, { '5@example.org': 'delivered' });
    assert.equal(await s.store.prune(T0 + MINUTE), 0, 'strictly before');
    assert.equal(await s.store.prune(T0 + 2 * MINUTE), 1);
    assert.equal(await s.store.show(old.id), undefined);
    assert.equal(await s.store.body(old.id), undefined);
    assert.deepEqual((await s.store.list()).map((v) => v.message.id).sort(), [mixed.id, recent.id].sort());
    assert.equal(await s.store.prune(T0 + 60 * MINUTE), 1, 'the recent one, later; never the mixed one');
    assert.deepEqual(
      (await s.store.list()).map((v) => v.message.id),
      [mixed.id],
    );
  });
}
