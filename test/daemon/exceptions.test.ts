/**
 * Issue #11, DANE exceptions through the daemon (DESIGN.md "The daemon (C6)", README
 * "Per-destination policy"): an exception in force carries the mail with the weaker TLS mode
 * and every delivery under it is logged with its reason and end date and counted; an expired
 * exception is ignored — the global DANE policy applies again — with a warning at load and at
 * use, so an exception never becomes a silent, permanent downgrade. In-process daemon; lab on
 * 127.159.0.0/16, intake on 127.159.200.1 and .2.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AttemptEvent, QueueEvent } from '../../src/daemon/index.ts';
import { DEMO_SCENARIOS, startInternet, type Internet } from '../../src/lab/index.ts';
import {
  ShiftedClock,
  daemonWorld,
  intakeOf,
  nextEvent,
  queuedId,
  startInProcess,
  submit,
  type DaemonWorld,
} from './harness.ts';

let net: Internet;
const [DANE, , RENEWAL] = DEMO_SCENARIOS;

before(async () => {
  net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.159.0.0' });
});
after(() => net.close());

interface LogLine {
  event?: string;
  msg?: string;
  [key: string]: unknown;
}

test('an exception in force is used, logged and counted; an expired one is ignored with warnings', async (t) => {
  assert.ok(DANE !== undefined && RENEWAL !== undefined);
  const destinations = [
    '  destinations:',
    `    ${RENEWAL.domain}: { tls: encrypt, until: 2999-01-01, reason: "stale TLSA after renewal, ticket 4711" }`,
    `    ${DANE.domain}: { tls: may, until: 2020-01-01, reason: "long over" }`,
  ].join('\n');
  const world = await daemonWorld(net, { listen: '127.159.200.1', delivery: destinations });
  const { daemon, logs } = await startInProcess(world);
  t.after(async () => {
    await daemon.stop('test');
    await world.close();
  });
  const parsed = (): LogLine[] => logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

  // At load: one warning naming the expired entry.
  const atLoad = parsed().filter((l) => l.event === 'config-warning');
  assert.equal(atLoad.length, 1, JSON.stringify(atLoad));
  assert.match(atLoad[0]?.msg ?? '', new RegExp(DANE.domain.replace(/\./g, '\\.')));

  // In force: the botched renewal's mail goes out with TLS but without DANE, and says why.
  const used = await sendTo(daemon, RENEWAL.domain, 'used');
  assert.deepEqual([used.outcome, used.tls], ['delivered', 'encrypted']);
  assert.deepEqual(used.exception, { reason: 'stale TLSA after renewal, ticket 4711', until: '2999-01-01' });
  const usedLog = parsed().find((l) => l.event === 'exception' && l['id'] === used.id);
  assert.ok(usedLog !== undefined, 'a log line for the delivery under the exception');
  assert.match(
    usedLog.msg ?? '',
    /delivered .*under a DANE exception until 2999-01-01: stale TLSA after renewal/,
  );

  // Expired: DANE again, and a warning at use.
  const expiredSeen = nextEvent(
    (e: QueueEvent): e is QueueEvent & { event: 'exception-expired' } =>
      e.event === 'exception-expired' && e.domain === DANE.domain,
    'the expired exception at use',
  );
  const ignored = await sendTo(daemon, DANE.domain, 'ignored');
  assert.deepEqual([ignored.outcome, ignored.tls, ignored.exception], ['delivered', 'dane', undefined]);
  const expired = await expiredSeen;
  assert.deepEqual([expired.reason, expired.until], ['long over', '2020-01-01']);

  const metrics = await daemon.metrics.text();
  assert.match(
    metrics,
    new RegExp(
      `dane_mta_policy_exceptions_total\\{destination="${RENEWAL.domain.replace(/\./g, '\\.')}",state="applied"\\} 1`,
    ),
  );
  assert.match(
    metrics,
    new RegExp(
      `dane_mta_policy_exceptions_total\\{destination="${DANE.domain.replace(/\./g, '\\.')}",state="expired"\\} 1`,
    ),
  );
});

/** Submit one message to `user@domain` and wait for its attempt. */
async function sendTo(
  daemon: Awaited<ReturnType<typeof startInProcess>>['daemon'],
  domain: string,
  n: string,
) {
  let id = '';
  const attempt = nextEvent(
    (e: QueueEvent): e is AttemptEvent => e.event === 'attempt' && e.id === id,
    `the attempt to ${domain}`,
  );
  const r = await submit(intakeOf(daemon), {
    from: 'ops@client.test',
    to: [`user@${domain}`],
    body: `Message-ID: <exc-${n}@client.test>\r\nSubject: ${n}\r\n\r\nx\r\n`,
  });
  id = queuedId(r);
  return attempt;
}

test('a connection opened under an exception carries no mail once the exception has ended', async (t) => {
  assert.ok(RENEWAL !== undefined);
  const clock = new ShiftedClock();
  const until = new Date(clock.now() + 60_000).toISOString();
  const world: DaemonWorld = await daemonWorld(net, {
    listen: '127.159.200.2',
    delivery: [
      '  connection_cache_time: 30s',
      '  destinations:',
      `    ${RENEWAL.domain}: { tls: encrypt, until: "${until}", reason: "ends in a minute" }`,
    ].join('\n'),
  });
  const { daemon } = await startInProcess(world, { clock });
  t.after(async () => {
    await daemon.stop('test');
    await world.close();
  });
  const first = await sendTo(daemon, RENEWAL.domain, 'until-1');
  assert.deepEqual([first.outcome, first.tls], ['delivered', 'encrypted']);
  // While the exception is in force the waiting connection takes the next message.
  const second = await sendTo(daemon, RENEWAL.domain, 'until-2');
  assert.deepEqual([second.outcome, second.tls], ['delivered', 'encrypted']);
  assert.ok(
    second.transcript.some((l) => l.startsWith('Reusing the connection to')),
    second.transcript.join(' | '),
  );
  // The exception ends: that connection (TLS without DANE) must not carry the next message,
  // which DANE defers (the botched renewal's TLSA record does not match).
  clock.advance(120_000);
  const third = await sendTo(daemon, RENEWAL.domain, 'until-3');
  assert.equal(third.outcome, 'deferred', JSON.stringify(third));
  assert.ok(!third.transcript.some((l) => l.startsWith('Reusing')), third.transcript.join(' | '));
});
