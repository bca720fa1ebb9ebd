/**
 * Issue #11: a destination's rate limits (`delivery.destinations.<d>.rate.messages_per_minute`
 * and `connections_per_minute`) as the receiving MX sees them, from the times it recorded:
 * never more messages or new connections in a minute than configured, and the limit used (the
 * daemon does not just go slow). A minute is long for a test, so the daemon, the receivers and
 * their timestamps share one clock that the test moves on by a minute whenever the daemon has
 * used its allowance (which the receiver shows): minutes pass without waiting, and a daemon that
 * ignored the limit would put more into one minute than allowed. Leases are long, so no lease
 * runs out when the clock moves.
 * Sizes: DANE_MTA_RATE_MESSAGES (messages per destination, default 10), DANE_MTA_RATE_MPM
 * (messages per minute, default 4), DANE_MTA_RATE_CPM (connections per minute, default 2) and
 * DANE_MTA_RATE_MPC (messages per connection there, default 2).
 * Loopback only: the lab on 127.145.0.0/16, intake on 127.146.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Daemon } from '../../src/daemon/daemon.ts';
import {
  countPerMinute,
  DEMO_SCENARIOS,
  startInternet,
  type Internet,
  type Receiver,
} from '../../src/lab/index.ts';
import {
  daemonWorld,
  intakeOf,
  queuedId,
  skipClock,
  startInProcess,
  submit,
  type DaemonWorld,
  type SkipClock,
} from './harness.ts';

const env = (name: string, fallback: number): number => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
};
const MESSAGES = env('DANE_MTA_RATE_MESSAGES', 10);
const MPM = env('DANE_MTA_RATE_MPM', 4);
const CPM = env('DANE_MTA_RATE_CPM', 2);
const MPC = env('DANE_MTA_RATE_MPC', 2);
const MINUTE = 60_000;
const DEADLINE_MS = 30_000;

/** Messages per minute to this one; connections per minute (and messages per connection) to that one. */
const BY_MESSAGES = 'dane-signed.test';
const BY_CONNECTIONS = 'unsigned.test';

let net: Internet;
let world: DaemonWorld;
let daemon: Daemon;
let clock: SkipClock;

before(async () => {
  clock = skipClock();
  net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.145.0.0', clock });
  world = await daemonWorld(net, {
    listen: '127.146.0.1',
    retry: '1h',
    lease: '1h',
    delivery: [
      '  destinations:',
      `    ${BY_MESSAGES}: { rate: { messages_per_minute: ${MPM} } }`,
      `    ${BY_CONNECTIONS}: { rate: { connections_per_minute: ${CPM} }, messages_per_connection: ${MPC} }`,
    ].join('\n'),
  });
  ({ daemon } = await startInProcess(world, { clock }));
});

after(async () => {
  await daemon.stop('test');
  await world.close();
  await net.close();
});

function receiver(host: string): Receiver {
  const rx = net.receivers.get(host);
  if (rx === undefined) throw new Error(`no receiver ${host}`);
  return rx;
}

const minuteOf = (t: number): number => Math.floor(t / MINUTE) * MINUTE;

/**
 * Deliver MESSAGES messages to `domain`, moving the clock on by a minute each time `usedUp`
 * says the daemon has spent this minute's allowance, until the receiver has them all.
 */
async function deliverPaced(
  domain: string,
  rx: Receiver,
  usedUp: (rx: Receiver, minute: number) => boolean,
): Promise<void> {
  // Start at the beginning of a minute, so each minute of the daemon is one minute of the table.
  clock.skip(MINUTE - (clock.now() % MINUTE) + 1000);
  const intake = intakeOf(daemon);
  for (let i = 0; i < MESSAGES; i++) {
    const body = `Message-ID: <rate-${domain}-${i}@client.daemon.test>\r\nSubject: ${i}\r\n\r\nx\r\n`;
    queuedId(await submit(intake, { from: 'sender@client.daemon.test', to: [`u${i}@${domain}`], body }));
  }
  const all = (r: Receiver): boolean => r.messages.length >= MESSAGES;
  for (let minutes = 0; !all(rx); minutes++) {
    assert.ok(minutes <= MESSAGES, 'every minute delivers at least one message');
    const minute = minuteOf(clock.now());
    await rx.waitFor((r) => all(r) || usedUp(r, minute), { timeoutMs: DEADLINE_MS });
    if (!all(rx)) clock.skip(MINUTE);
  }
}

test(`messages_per_minute ${MPM}: no minute carries more, and the allowance is used`, async () => {
  const rx = receiver(`mx1.${BY_MESSAGES}`);
  await deliverPaced(
    BY_MESSAGES,
    rx,
    (r, minute) => r.messages.filter((m) => m.receivedAt >= minute).length >= MPM,
  );
  const perMinute = [...countPerMinute(rx.messages.map((m) => m.receivedAt)).values()];
  assert.equal(
    perMinute.reduce((a, b) => a + b, 0),
    MESSAGES,
  );
  assert.ok(
    perMinute.every((n) => n <= MPM),
    `messages per minute ${perMinute.join(', ')} exceed ${MPM}`,
  );
  const full = Math.floor(MESSAGES / MPM);
  assert.deepEqual(
    perMinute,
    [...Array<number>(full).fill(MPM), ...(MESSAGES % MPM === 0 ? [] : [MESSAGES % MPM])],
    'each minute but the last carries the full allowance',
  );
  assert.ok(rx.messages.every((m) => m.tls.used));
});

test(`connections_per_minute ${CPM} (${MPC} messages each): no minute opens more connections`, async () => {
  const rx = receiver(`mx.${BY_CONNECTIONS}`);
  await deliverPaced(BY_CONNECTIONS, rx, (r, minute) => {
    const now = r.sessions.filter((s) => s.startedAt >= minute);
    return now.length >= CPM && now.every((s) => s.closedAt !== undefined);
  });
  const sessions = rx.sessions.filter((s) => s.messagesAccepted > 0);
  const perMinute = [...countPerMinute(rx.sessions.map((s) => s.startedAt)).values()];
  assert.ok(
    perMinute.every((n) => n <= CPM),
    `connections per minute ${perMinute.join(', ')} exceed ${CPM}`,
  );
  assert.ok(
    perMinute.some((n) => n === CPM),
    `the limit is reached in some minute: ${perMinute.join(', ')}`,
  );
  assert.ok(
    sessions.every((s) => s.messagesAccepted <= MPC),
    `messages per connection: ${sessions.map((s) => s.messagesAccepted).join(', ')}`,
  );
  assert.equal(
    sessions.reduce((n, s) => n + s.messagesAccepted, 0),
    MESSAGES,
  );
  assert.equal(rx.sessions.length, sessions.length, 'every connection carried mail');
});
