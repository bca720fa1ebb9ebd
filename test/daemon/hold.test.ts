/**
 * Issue #11: hold a domain, restart the daemon, release — the mail goes out and none of it
 * expired while held. Real `dane-mta serve` processes (SIGTERM, a new process on the same SQLite
 * queue) and `dane-mta queue hold|release --domain` beside them. The queue lifetime (`max_age`)
 * is short and the hold lasts longer than it, so a daemon that counted held time towards
 * `max_age` would bounce the mail: after the release the receiver refuses each message once
 * (451), which makes the daemon decide between "retry" and "expired" — it must retry, then
 * deliver over DANE, with no DSN. While held, the restarted daemon makes no attempt.
 * Sizes: DANE_MTA_HOLD_MESSAGES (default 3), DANE_MTA_HOLD_MAX_AGE_S (default 8).
 * Loopback only: the lab on 127.143.0.0/16, intake on 127.144.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AttemptEvent, QueueEvent } from '../../src/daemon/events.ts';
import { DEMO_SCENARIOS, startInternet, type Internet, type Receiver } from '../../src/lab/index.ts';
import { childEvents, type EventLog } from './event-log.ts';
import {
  childIntake,
  daemonWorld,
  queuedId,
  spawnServe,
  submit,
  type DaemonWorld,
  type ServeProcess,
} from './harness.ts';
import { queueCli, queueJson, type ListedMessage } from './queue-cli.ts';

const MESSAGES = Number(process.env.DANE_MTA_HOLD_MESSAGES ?? 3);
const MAX_AGE_S = Number(process.env.DANE_MTA_HOLD_MAX_AGE_S ?? 8);
const DOMAIN = 'dane-signed.test';
const SENDER = 'postmaster@unsigned.test';
const DEADLINE_MS = 30_000;

let net: Internet;
let world: DaemonWorld;
const children: ServeProcess[] = [];

before(async () => {
  net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.143.0.0' });
  world = await daemonWorld(net, { listen: '127.144.0.1', retry: '1s', maxAge: `${MAX_AGE_S}s` });
});

after(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await world.close();
  await net.close();
});

function receiver(host: string): Receiver {
  const rx = net.receivers.get(host);
  if (rx === undefined) throw new Error(`no receiver ${host}`);
  return rx;
}

async function serve(): Promise<{
  p: ServeProcess;
  events: EventLog;
  intake: { address: string; port: number };
}> {
  const p = spawnServe(world);
  children.push(p);
  const events = childEvents(p);
  const intake = await childIntake(p);
  return { p, events, intake };
}

async function stop(p: ServeProcess): Promise<void> {
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, `the daemon stops cleanly on SIGTERM: ${p.stdout.slice(-3).join(' | ')}`);
}

const attempts =
  (ids: Set<string>) =>
  (e: QueueEvent): e is AttemptEvent =>
    e.event === 'attempt' && ids.has(e.id);

/** Resolve once `log` holds an event for every id that `match(id)` accepts. */
async function forEach(
  ids: readonly string[],
  log: EventLog,
  what: string,
  match: (id: string) => (e: QueueEvent) => e is AttemptEvent,
): Promise<AttemptEvent[]> {
  return Promise.all(
    ids.map((id) => log.waitFor(match(id), `${what} of ${id}`, { deadlineMs: DEADLINE_MS })),
  );
}

test('held mail survives a restart and a hold longer than max_age: released, it goes out, nothing expired', async () => {
  const rx = receiver(`mx1.${DOMAIN}`);
  const senderMx = receiver('mx.unsigned.test');
  rx.failTemporarily('rcpt');
  const first = await serve();

  const ids: string[] = [];
  const messageIds: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const messageId = `<hold-${i}@client.daemon.test>`;
    const body = `Message-ID: ${messageId}\r\nSubject: held ${i}\r\n\r\nwait for me\r\n`;
    const r = await submit(first.intake, { from: SENDER, to: [`user${i}@${DOMAIN}`], body });
    ids.push(queuedId(r));
    messageIds.push(messageId);
  }
  const deferred = await forEach(
    ids,
    first.events,
    'a deferred attempt',
    (id) =>
      (e): e is AttemptEvent =>
        e.event === 'attempt' && e.id === id && e.outcome === 'deferred',
  );
  assert.ok(
    deferred.every((a) => a.enhanced === '4.3.0'),
    'the receiver refused RCPT (451)',
  );

  const held = await queueCli(world, 'hold', '--domain', DOMAIN);
  assert.deepEqual([held.code, held.stdout], [0, `${MESSAGES} recipient(s) held\n`], held.stderr);
  const heldAt = Date.now();
  await stop(first.p);
  const connectionsWhenHeld = rx.stats().connections.total;
  rx.stopFailing();

  const second = await serve();
  const listed = await queueJson<ListedMessage[]>(world, 'list', '--held');
  assert.deepEqual(
    listed.map((m) => [m.id, m.recipients.map((r) => [r.state, r.held])]),
    ids.map((id) => [id, [['deferred', true]]]),
  );
  const stats = await queueJson<{ held: number }>(world, 'stats');
  assert.equal(stats.held, MESSAGES);

  // The hold outlasts the queue lifetime: wait for that much time to pass (the subject of the
  // test is time spent held; nothing is ordered by this wait).
  await new Promise((r) => setTimeout(r, Math.max(0, heldAt + (MAX_AGE_S + 1) * 1000 - Date.now())));
  assert.deepEqual(second.events.all(attempts(new Set(ids))), [], 'no attempt while held');
  assert.equal(rx.stats().connections.total, connectionsWhenHeld, 'no connection to the held domain');
  const now = Date.now();
  for (const m of listed) {
    assert.ok(now - Date.parse(m.received) > MAX_AGE_S * 1000, `${m.id} is older than max_age now`);
  }

  // After the release the receiver refuses each message once more: the daemon must decide
  // "retry", not "expired", since the time held does not count.
  rx.failTemporarily('rcpt', { count: MESSAGES });
  const from = second.events.mark();
  const released = await queueCli(world, 'release', '--domain', DOMAIN);
  assert.deepEqual(
    [released.code, released.stdout],
    [0, `${MESSAGES} recipient(s) released\n`],
    released.stderr,
  );
  const retried = await Promise.all(
    ids.map((id) =>
      second.events.waitFor(
        (e): e is AttemptEvent => e.event === 'attempt' && e.id === id,
        `the first attempt of ${id} after the release`,
        { from, deadlineMs: DEADLINE_MS },
      ),
    ),
  );
  for (const a of retried) {
    assert.equal(a.outcome, 'deferred', `${a.id}: ${a.reason}`);
    assert.deepEqual(
      a.results.map((r) => [r.state, r.expired ?? false]),
      [['deferred', false]],
      `${a.id} was not expired`,
    );
  }
  const delivered = await forEach(
    ids,
    second.events,
    'the delivery',
    (id) =>
      (e): e is AttemptEvent =>
        e.event === 'attempt' && e.id === id && e.outcome === 'delivered',
  );
  assert.ok(delivered.every((a) => a.tls === 'dane'));
  await rx.waitFor((r) => messageIds.every((m) => r.messages.some((x) => x.messageId === m)), {
    timeoutMs: DEADLINE_MS,
  });

  const final = await queueJson<ListedMessage[]>(world, 'list');
  assert.deepEqual(
    final.filter((m) => ids.includes(m.id)).map((m) => m.recipients.map((r) => [r.state, r.held])),
    ids.map(() => [['delivered', false]]),
  );
  assert.ok(!final.some((m) => m.kind === 'dsn'), 'no DSN was made');
  assert.ok(!second.events.events.some((e) => e.event === 'dsn'));
  assert.ok(!senderMx.messages.some((m) => m.from === ''), 'no DSN reached the sender');
  await stop(second.p);
});
