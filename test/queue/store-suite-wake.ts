/**
 * Part of the one store test suite (see store-suite.ts): destination slots across instances,
 * nextDue, and onWork wake-ups from this store and from another instance. Test support only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreFactory } from './store-kit.ts';
import { T0, message, ridsOf, setUp, wakeups } from './store-kit.ts';

export function registerSlotsAndWakeups(factory: StoreFactory): void {
  test('destination slots: the limit holds across store instances; expired slots are taken over', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const other = await s.open();
    const lease = (owner: string, now: number) => ({ owner, limit: 2, now, until: now + 1000 });
    assert.equal(await s.store.acquireSlot('example.org', lease('n1', T0)), 0);
    assert.equal(await other.acquireSlot('example.org', lease('n2', T0)), 1);
    assert.equal(await s.store.acquireSlot('example.org', lease('n1', T0)), undefined);
    assert.equal(await other.acquireSlot('example.org', lease('n2', T0)), undefined);
    assert.equal(await other.acquireSlot('example.com', lease('n2', T0)), 0, 'slots are per key');
    await s.store.releaseSlot('example.org', 0, 'n2'); // not n2's: nothing happens
    assert.equal(await other.acquireSlot('example.org', lease('n2', T0)), undefined);
    await s.store.releaseSlot('example.org', 0, 'n1');
    assert.equal(await other.acquireSlot('example.org', lease('n2', T0)), 0);
    // Slot 1 (n2, until T0+1000) is renewed; slot 0 (n2, until T0+1000) expires and is taken over.
    assert.equal(await other.renewSlot('example.org', 1, { owner: 'n2', until: T0 + 5000 }), true);
    assert.equal(await s.store.renewSlot('example.org', 1, { owner: 'n1', until: T0 + 5000 }), false);
    assert.equal(await s.store.acquireSlot('example.org', lease('n1', T0 + 1000)), 0);
    assert.equal(await s.store.acquireSlot('example.org', lease('n1', T0 + 1000)), undefined);
    assert.equal(await other.renewSlot('example.org', 0, { owner: 'n2', until: T0 + 9000 }), false, 'lost');
    // releaseLeases gives back the owner's slots too.
    await other.releaseLeases('n2');
    assert.equal(await s.store.acquireSlot('example.org', lease('n1', T0 + 1000)), 1);
  });

  test('nextDue: the earliest time something becomes claimable', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    assert.equal(await s.store.nextDue(), undefined);
    const m = message({ received: T0, to: ['a@example.org'] });
    await s.store.enqueue(m);
    await s.store.enqueue(message({ received: T0 + 50_000, to: ['b@example.org'] }));
    assert.equal(await s.store.nextDue(), T0);
    const [rid] = ridsOf(await s.store.claim({ owner: 'n1', now: T0 + 10, leaseMs: 20_000, limit: 1 })) as [
      number,
    ];
    assert.equal(await s.store.nextDue(), T0 + 20_010, 'a leased recipient counts when its lease expires');
    await s.store.complete(
      'n1',
      {
        updates: [
          {
            rid,
            state: 'deferred',
            nextAttempt: T0 + 40_000,
            enhanced: '4.0.0',
            reason: 'later',
            last: null,
          },
        ],
      },
      T0 + 20,
    );
    assert.equal(await s.store.nextDue(), T0 + 40_000);
    await s.store.setHeld({ id: m.id }, true, T0 + 30);
    assert.equal(await s.store.nextDue(), T0 + 50_000, 'held recipients are not waiting');
  });

  test('onWork: called after this store’s enqueue, retry and release; unsubscribe stops it', async (t) => {
    // listen: false — only this store's own work wakes the listener, so every call is accounted for.
    const s = await setUp(t, factory, { listen: false });
    if (s === undefined) return;
    let calls = 0;
    const off = s.store.onWork(() => {
      calls++;
    });
    const m = message();
    await s.store.enqueue(m);
    assert.equal(calls, 1, 'enqueue wakes the listener');
    await s.store.retry({ id: m.id }, T0);
    assert.equal(calls, 2, 'retry wakes the listener');
    await s.store.setHeld({ all: true }, true, T0);
    assert.equal(calls, 2, 'a hold makes nothing due');
    await s.store.setHeld({ all: true }, false, T0 + 1);
    assert.equal(calls, 3, 'release wakes the listener');
    off();
    off();
    await s.store.enqueue(message());
    await s.store.retry({ all: true }, T0 + 2);
    assert.equal(calls, 3);
  });

  test('onWork: another store instance’s enqueue wakes a listener', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const writer = await s.open({ listen: false });
    const wakes = wakeups(s.store);
    t.after(wakes.stop);
    // The first call says the cross-process watch (LISTEN) is in place; work before it may be missed.
    await wakes.next();
    await writer.enqueue(message());
    await wakes.next();
  });
}
