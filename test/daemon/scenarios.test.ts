/**
 * Issue #10: every scenario of the lab catalogue submitted through the daemon (SMTP intake, the
 * SQLite queue, the scheduler, delivery) ends as `send` decides it — landed on the expected host
 * with the expected TLS, deferred in the queue with its reason, or bounced with a DSN that
 * reaches the sender (whose domain is a DANE domain of the lab). In-process daemon, real sockets
 * on loopback (127.150.0.0/16 for the lab, 127.151.0.1 for intake).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Daemon } from '../../src/daemon/daemon.ts';
import type { AttemptEvent } from '../../src/daemon/events.ts';
import { SCENARIOS, startInternet, type Internet, type Scenario } from '../../src/lab/index.ts';
import type { QueueStore } from '../../src/queue/index.ts';
import {
  daemonWorld,
  intakeOf,
  nextEvent,
  openWorldStore,
  queuedId,
  startInProcess,
  submit,
  until,
  type DaemonWorld,
} from './harness.ts';

let net: Internet;
let world: DaemonWorld;
let daemon: Daemon;
let store: QueueStore;

/** The sender's domain: a DANE-EE domain of the catalogue, so DSNs can be delivered to it. */
const SENDER_SCENARIO = 'ee-311';

before(async () => {
  net = await startInternet({ baseAddress: '127.150.0.0' });
  world = await daemonWorld(net, { listen: '127.151.0.1', retry: '1h', maxAge: '2h' });
  ({ daemon } = await startInProcess(world));
  store = await openWorldStore(world);
});

after(async () => {
  await store.close();
  await daemon.stop('test');
  await world.close();
  await net.close();
});

function senderOf(): string {
  const s = SCENARIOS.find((x) => x.id === SENDER_SCENARIO);
  if (s === undefined) throw new Error('sender scenario missing');
  return `postmaster@${s.domain}`;
}

const isAttempt =
  (id: string) =>
  (e: { event: string; id?: string }): e is AttemptEvent =>
    e.event === 'attempt' && e.id === id;

interface Submitted {
  s: Scenario;
  id: string;
  messageId: string;
  attempt: Promise<AttemptEvent>;
}

test('every scenario through the daemon ends as send decides it', async () => {
  const intake = intakeOf(daemon);
  const from = senderOf();
  const runs: Submitted[] = [];
  for (const s of SCENARIOS) {
    const rcpt = `${s.localPart ?? 'user'}@${s.domain}`;
    const messageId = `<scenario-${s.id}@client.daemon.test>`;
    const body = `Message-ID: ${messageId}\r\nFrom: ${from}\r\nTo: ${rcpt}\r\nSubject: ${s.id}\r\n\r\n${s.title}\r\n`;
    const r = await submit(intake, { from, to: [rcpt], body });
    assert.equal(r.data?.code, 250, `${s.id}: intake accepted it`);
    const id = queuedId(r);
    runs.push({
      s,
      id,
      messageId,
      attempt: nextEvent(isAttempt(id), `the first attempt of ${s.id}`, 60_000),
    });
  }
  const problems: string[] = [];
  for (const run of runs) {
    const e = await run.attempt;
    const want = run.s.expect;
    if (e.outcome !== want.outcome) {
      problems.push(
        `${run.s.id}: ${e.outcome} ${e.enhanced} (${e.reason}), want ${want.outcome} ${want.enhanced ?? ''}`,
      );
      continue;
    }
    if (want.enhanced !== undefined && e.enhanced !== want.enhanced)
      problems.push(`${run.s.id}: code ${e.enhanced}, want ${want.enhanced}`);
    if (want.outcome === 'delivered') {
      if (e.tls !== want.tls) problems.push(`${run.s.id}: tls ${String(e.tls)}, want ${String(want.tls)}`);
      const rx = want.landsOn === null ? undefined : net.receivers.get(want.landsOn.toLowerCase());
      if (!rx?.messages.some((m) => m.messageId === run.messageId))
        problems.push(`${run.s.id}: not at ${want.landsOn ?? '?'}`);
    }
    const view = await store.show(run.id);
    const state = view?.recipients[0]?.state;
    const wantState =
      want.outcome === 'delivered' ? 'delivered' : want.outcome === 'bounced' ? 'bounced' : 'deferred';
    if (state !== wantState) problems.push(`${run.s.id}: queue state ${String(state)}, want ${wantState}`);
    if (want.outcome === 'deferred' && (view?.recipients[0]?.reason ?? '') === '')
      problems.push(`${run.s.id}: deferred without a reason`);
  }
  assert.deepEqual(problems, []);
  // Every bounce produced a DSN from <> that reached the sender's DANE host.
  const bounced = runs.filter((r) => r.s.expect.outcome === 'bounced');
  assert.ok(bounced.length > 0, 'the catalogue has bounces');
  const senderHost = SCENARIOS.find((x) => x.id === SENDER_SCENARIO)?.expect.landsOn ?? '';
  const rx = net.receivers.get(senderHost.toLowerCase());
  assert.ok(rx !== undefined);
  await until(
    () =>
      bounced.every((b) =>
        rx.messages.some((m) => m.from === '' && new TextDecoder().decode(m.data).includes(b.id)),
      ),
    'a DSN for every bounce at the sender',
    60_000,
  );
});
