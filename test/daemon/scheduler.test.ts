/**
 * Issue #10, scheduler and delivery, observed at the lab's receivers: one destination's messages
 * share connections (RSET between them, several per session) within `per_destination`; a
 * destination whose every host failed is held back until its next retry — the messages waiting
 * for it are deferred without counting an attempt — and delivered once it is back. In-process
 * daemon; lab on 127.162.0.0/16, intake on 127.163.0.x.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AttemptEvent, QueueEvent } from '../../src/daemon/index.ts';
import { DEMO_SCENARIOS, startInternet, type Internet } from '../../src/lab/index.ts';
import { newQueueId } from '../../src/queue/index.ts';
import { cryptoRandom } from '../../src/util/index.ts';
import {
  daemonWorld,
  intakeOf,
  nextEvent,
  openWorldStore,
  queuedId,
  startInProcess,
  submit,
  until,
} from './harness.ts';

let net: Internet;
const DANE = DEMO_SCENARIOS[0];

before(async () => {
  net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.162.0.0' });
});
after(() => net.close());

function receiver() {
  const host = DANE?.expect.landsOn ?? '';
  const rx = net.receivers.get(host.toLowerCase());
  assert.ok(rx !== undefined && DANE !== undefined);
  return { rx, domain: DANE.domain };
}

test('40 messages to one destination: shared connections, RSET between, never more than per_destination', async (t) => {
  const { rx, domain } = receiver();
  const world = await daemonWorld(net, {
    listen: '127.163.0.1',
    delivery: '  per_destination: 3\n  messages_per_connection: 5',
  });
  const { daemon } = await startInProcess(world);
  t.after(async () => {
    await daemon.stop('test');
    await world.close();
  });
  const before = rx.stats();
  const sessionsBefore = rx.sessions.length;
  const intake = intakeOf(daemon);
  const ids = new Set<string>();
  await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const r = await submit(intake, {
        from: 'a@client.test',
        to: [`user@${domain}`],
        body: `Message-ID: <sched-${i}@client.test>\r\nSubject: ${i}\r\n\r\nx\r\n`,
      });
      ids.add(queuedId(r));
    }),
  );
  await until(
    () => rx.messages.filter((m) => m.messageId?.startsWith('<sched-') === true).length >= 40,
    '40 messages at the receiver',
    60_000,
  );
  const after = rx.stats();
  const sessions = rx.sessions.slice(sessionsBefore);
  assert.ok(
    after.connections.peak <= Math.max(before.connections.peak, 3),
    `peak ${after.connections.peak} ≤ 3`,
  );
  assert.ok(sessions.length < 40, `connections were shared: ${sessions.length} sessions for 40 messages`);
  assert.ok(
    sessions.every((s) => s.messagesAccepted <= 5),
    'at most messages_per_connection per session',
  );
  assert.ok(
    sessions.some((s) => s.messagesAccepted > 1 && s.resets >= s.messagesAccepted - 1),
    'RSET between the messages of a session',
  );
  assert.ok(
    rx.messages.every((m) => m.tls.startTls),
    'every one over TLS',
  );
  assert.equal(ids.size, 40);
});

test('a destination whose hosts are all down is held back until its next retry, then delivered', async (t) => {
  const { rx, domain } = receiver();
  const world = await daemonWorld(net, {
    listen: '127.163.0.2',
    retry: '3s',
    delivery: '  per_destination: 1\n  messages_per_connection: 1',
  });
  const { daemon } = await startInProcess(world);
  const store = await openWorldStore(world);
  t.after(async () => {
    await rx.up();
    await store.close();
    await daemon.stop('test');
    await world.close();
  });
  await rx.down();
  const backoff = nextEvent(
    (e: QueueEvent): e is QueueEvent & { event: 'backoff' } => e.event === 'backoff' && e.domain === domain,
    'the back-off of the destination',
  );
  const intake = intakeOf(daemon);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await submit(intake, {
      from: 'a@client.test',
      to: [`user@${domain}`],
      body: `Message-ID: <down-${i}@client.test>\r\nSubject: ${i}\r\n\r\nx\r\n`,
    });
    ids.push(queuedId(r));
  }
  const b = await backoff;
  assert.match(b.reason, /refused|connect/i);
  // Messages held back were deferred without an attempt against them.
  await until(async () => {
    const views = await Promise.all(ids.map((id) => store.show(id)));
    return views.every((v) => v?.recipients[0]?.state === 'deferred');
  }, 'all five deferred');
  const views = await Promise.all(ids.map((id) => store.show(id)));
  const attempts = views.map((v) => v?.recipients[0]?.attempts ?? -1);
  assert.ok(
    attempts.some((n) => n === 0),
    `some were held back without an attempt: ${attempts.join(',')}`,
  );
  assert.ok(
    views.some((v) => /held back after every host failed/.test(v?.recipients[0]?.reason ?? '')),
    'the reason says they were held back',
  );
  // The host comes back: the next retry delivers every message.
  await rx.up();
  const delivered = ids.map((id) =>
    nextEvent(
      (e: QueueEvent): e is AttemptEvent => e.event === 'attempt' && e.id === id && e.outcome === 'delivered',
      `delivery of ${id}`,
      60_000,
    ),
  );
  await Promise.all(delivered);
});

test('a REQUIRETLS message that fails does not hold back ordinary mail to the destination', async (t) => {
  const unsigned = DEMO_SCENARIOS[1];
  assert.ok(unsigned !== undefined);
  const world = await daemonWorld(net, { listen: '127.163.0.3', retry: '1h' });
  const { daemon } = await startInProcess(world);
  const store = await openWorldStore(world);
  t.after(async () => {
    await store.close();
    await daemon.stop('test');
    await world.close();
  });
  // RFC 8689: no authenticated TLS to an unsigned domain whose certificate no public CA signed.
  const strictId = newQueueId(Date.now(), cryptoRandom);
  const failed = nextEvent(
    (e: QueueEvent): e is AttemptEvent => e.event === 'attempt' && e.id === strictId,
    'the REQUIRETLS attempt',
  );
  await store.enqueue({
    id: strictId,
    from: 'a@client.test',
    received: Date.now(),
    body: new TextEncoder().encode('Message-ID: <strict@client.test>\r\nSubject: s\r\n\r\nx\r\n'),
    smtputf8: false,
    eightBitMime: false,
    requireTls: true,
    kind: 'normal',
    recipients: [{ address: `user@${unsigned.domain}`, domain: unsigned.domain }],
  });
  assert.equal((await failed).outcome, 'deferred');
  const r = await submit(intakeOf(daemon), {
    from: 'a@client.test',
    to: [`user@${unsigned.domain}`],
    body: 'Message-ID: <plain@client.test>\r\nSubject: p\r\n\r\nx\r\n',
  });
  const plainId = queuedId(r);
  const plain = await nextEvent(
    (e: QueueEvent): e is AttemptEvent => e.event === 'attempt' && e.id === plainId,
    'an attempt of the ordinary message',
  );
  assert.equal(plain.outcome, 'delivered');
});

/** Submit `n` messages one at a time, each after the previous one reached the receiver. */
async function trickle(daemon: Parameters<typeof intakeOf>[0], prefix: string, n: number): Promise<string[]> {
  const { rx, domain } = receiver();
  const intake = intakeOf(daemon);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await submit(intake, {
      from: 'a@client.test',
      to: [`user@${domain}`],
      body: `Message-ID: <${prefix}-${i}@client.test>\r\nSubject: ${i}\r\n\r\nx\r\n`,
    });
    ids.push(queuedId(r));
    await until(
      () => rx.messages.some((m) => m.messageId === `<${prefix}-${i}@client.test>`),
      `message ${i} at the receiver`,
    );
  }
  return ids;
}

test('mail that trickles in takes the connection waiting for it (connection_cache_time); 0s closes at once', async (t) => {
  const { rx } = receiver();
  for (const [cacheTime, listen] of [
    ['10s', '127.163.0.4'],
    ['0s', '127.163.0.5'],
  ] as const) {
    const world = await daemonWorld(net, {
      listen,
      delivery: `  per_destination: 2\n  connection_cache_time: ${cacheTime}`,
    });
    const { daemon, logs } = await startInProcess(world);
    t.after(async () => {
      await daemon.stop('test');
      await world.close();
    });
    const sessionsBefore = rx.sessions.length;
    const ids = await trickle(daemon, `trickle-${cacheTime}`, 5);
    const attempts = logs
      .map((l) => JSON.parse(l) as { event?: string; id?: string; transcript?: string[]; tls?: string })
      .filter((l) => l.event === 'attempt' && ids.includes(l.id ?? ''));
    assert.equal(attempts.length, 5, 'one attempt line per message');
    const sessions = rx.sessions.slice(sessionsBefore).filter((s) => s.messagesAccepted > 0);
    const reused = attempts.filter((a) =>
      a.transcript?.some((l) => l.startsWith('Reusing the connection to')),
    );
    if (cacheTime === '0s') {
      assert.equal(sessions.length, 5, 'without the cache, a connection per message');
      assert.equal(reused.length, 0);
    } else {
      assert.equal(sessions.length, 1, `one connection carried all five: ${sessions.length} sessions`);
      assert.equal(sessions[0]?.resets, 4, 'RSET between them');
      assert.equal(reused.length, 4, 'the transcript of each later message says the connection was reused');
      assert.ok(
        attempts.every((a) => a.tls === 'dane'),
        'each attempt line still says DANE',
      );
      assert.match(
        reused[0]?.transcript?.[0] ?? '',
        /^Reusing the connection to \S+ \[[^\]]+\]:\d+ \(TLS: dane; 1 message sent on it before\)$/,
      );
    }
    await daemon.stop('test');
  }
});
