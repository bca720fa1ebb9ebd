/**
 * A destination whose every host failed is held back until its next retry (DESIGN.md "Queue
 * model"): mail that arrives for it meanwhile waits in the queue without an attempt — even once
 * nothing for it is left in the daemon's memory — and an operator's `queue retry` lifts the
 * backoff at once (as Postfix's flush revives a dead destination). Loopback only: the lab on
 * 127.149.0.0/16, intake on 127.149.25.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { QueueEvent } from '../../src/daemon/events.ts';
import { intakeOf, queuedId, submit, until } from './harness.ts';
import { queueCli } from './queue-cli.ts';
import { startQueueWorld, type QueueWorld } from './queue-world.ts';

let q: QueueWorld;

before(async () => {
  q = await startQueueWorld({ baseAddress: '127.149.0.0', listen: '127.149.25.1' });
});

after(async () => {
  await q.close();
});

type Backoff = Extract<QueueEvent, { event: 'backoff' }>;

test('new mail for a backed-off destination waits without an attempt; retry lifts the backoff', async () => {
  const rx = q.receiver('mx.unsigned.test');
  await rx.down();
  let first;
  let later = '';
  const mark = q.events.mark();
  try {
    first = await q.send(['olivia@unsigned.test']);
    assert.deepEqual([first.attempts[0]?.outcome, first.attempts[0]?.tls], ['deferred', null]);
    await q.events.waitFor(
      (e): e is Backoff => e.event === 'backoff' && e.domain === 'unsigned.test',
      'the backoff of unsigned.test',
      { from: mark },
    );
    // The failed attempt is over and nothing else for the destination is in memory now.
    const next = q.events.mark();
    const body = 'Message-ID: <later@client.daemon.test>\r\nSubject: later\r\n\r\nx\r\n';
    later = queuedId(
      await submit(intakeOf(q.daemon), { from: 'alice@dane-signed.test', to: ['peggy@unsigned.test'], body }),
    );
    await until(async () => {
      const r = (await q.listed(later)).recipients[0];
      return r?.state === 'deferred';
    }, 'the later message deferred by the hold');
    const attempted = q.events.events.slice(next).some((e) => e.event === 'attempt' && e.id === later);
    assert.equal(attempted, false, 'the later message was attempted');
    const held = (await q.listed(later)).recipients[0];
    assert.deepEqual([held?.state, held?.attempts], ['deferred', 0]);
    assert.match(held?.reason ?? '', /held back after every host failed/);
    assert.equal(rx.stats().connections.total, 0, 'nothing reached the host');
  } finally {
    await rx.up();
  }
  const from = q.events.mark();
  const r = await queueCli(q.world, 'retry', '--domain', 'unsigned.test');
  assert.deepEqual([r.code, r.stdout], [0, '2 recipient(s) due now\n'], r.stderr);
  const delivered = await Promise.all([first.id, later].map((id) => q.attemptAfter(from, id)));
  assert.deepEqual(
    delivered.map((a) => a.outcome),
    ['delivered', 'delivered'],
  );
});
