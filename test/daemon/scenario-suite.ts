/**
 * Issue #10's end-to-end check, parameterised over the queue store (issue #12: "the daemon's
 * end-to-end tests pass on it too"): every scenario of the lab catalogue submitted through the
 * daemon (SMTP intake, the queue, the scheduler, delivery) ends as `send` decides it — landed on
 * the expected host with the expected TLS, deferred in the queue with its reason, or bounced
 * with a DSN that reaches the sender (whose domain is a DANE domain of the lab). In-process
 * daemon, real sockets on loopback. Test support: the *.test.ts files choose store and addresses.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
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
} from './harness.ts';

/** A queue for one run: its URL (undefined: the world's SQLite file) and how to clean it up. */
export interface ScenarioQueue {
  url?: string;
  close(): Promise<void>;
}

export interface ScenarioSuiteOptions {
  /** Store name in the test's title. */
  store: string;
  /** The lab's /16 (`127.N.0.0`) and the intake's address, from the address plan. */
  labBase: string;
  intake: string;
  /** The queue, or undefined when the test was skipped (e.g. PostgreSQL missing). */
  queue(t: TestContext): Promise<ScenarioQueue | undefined>;
}

/** The sender's domain: a DANE-EE domain of the catalogue, so DSNs can be delivered to it. */
const SENDER_SCENARIO = 'ee-311';

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

/** Register the test: every scenario through the daemon on the store `opts.queue` gives. */
export function scenarioSuite(opts: ScenarioSuiteOptions): void {
  test(`every scenario through the daemon (${opts.store} queue) ends as send decides it`, async (t) => {
    const queue = await opts.queue(t);
    if (queue === undefined) return;
    const cleanups: (() => Promise<unknown>)[] = [() => queue.close()];
    try {
      const net = await startInternet({ baseAddress: opts.labBase });
      cleanups.push(() => net.close());
      const world = await daemonWorld(net, {
        listen: opts.intake,
        retry: '1h',
        maxAge: '2h',
        ...(queue.url === undefined ? {} : { queueUrl: queue.url }),
      });
      cleanups.push(() => world.close());
      const { daemon } = await startInProcess(world);
      cleanups.push(() => daemon.stop('test'));
      const store = await openWorldStore(world, ...(queue.url === undefined ? [] : [queue.url]));
      cleanups.push(() => store.close());
      await checkScenarios(net, intakeOf(daemon), store);
    } finally {
      for (const clean of cleanups.reverse()) await clean();
    }
  });
}

async function submitAll(intake: { address: string; port: number }): Promise<Submitted[]> {
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
  return runs;
}

async function checkScenarios(
  net: Internet,
  intake: { address: string; port: number },
  store: QueueStore,
): Promise<void> {
  const runs = await submitAll(intake);
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
}
