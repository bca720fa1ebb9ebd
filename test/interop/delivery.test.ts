/**
 * DANE delivery against real software (RFC 7672 §2–3): zones signed by BIND's dnssec-signzone
 * and ldns-signzone (NSEC and NSEC3, one unsigned delegation, RRsets made bogus after signing)
 * served by NSD on port 53; Postfix instances with STARTTLS and different chains as receiving
 * MXs; dane-mta's resolver in mode recursive from the NSD root hints, and in mode validate
 * through an Unbound with the same trust anchor. Each case (test/interop/delivery/cases.ts)
 * asserts the outcome, the TLS level, the attempts and where the message landed — nothing lands
 * when a delivery is deferred; a final check compares every receiver's Maildir with the table.
 * Also `lookupRcpt` accepted / rejected by Postfix over DANE.
 * Test-file id 10: 127.53.10.x and 127.25.10.x. Needs root (port 53, Postfix).
 * Must never reach anything but loopback addresses.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { deliver, lookupRcpt, type DeliverOptions, type DeliveryResult } from '../../src/delivery/index.ts';
import type { DaneResolver } from '../../src/dane/index.ts';
import { RRType, type Name } from '../../src/dns/wire/index.ts';
import { cryptoRandom, systemClock } from '../../src/util/index.ts';
import { addressPlan, requireTools, sleep, testScope, type PostfixReceiver } from './index.ts';
import { deliveryCases, RECEIVERS, type DeliveryCase, type ReceiverName } from './delivery/cases.ts';
import { makePki } from './delivery/pki.ts';
import { startWorld, UNKNOWN_USER, type World } from './delivery/world.ts';

const net = addressPlan(10);

const TOOLS = [
  'nsd',
  'nsd-checkconf',
  'unbound',
  'unbound-checkconf',
  'dnssec-keygen',
  'dnssec-signzone',
  'dnssec-dsfromkey',
  'ldns-keygen',
  'ldns-signzone',
  'ldns-key2ds',
  'postfix',
  'openssl',
];

const TIMEOUTS = {
  connect: 3000,
  greeting: 5000,
  ehlo: 5000,
  tlsHandshake: 5000,
  mail: 5000,
  rcpt: 5000,
  data: 5000,
  dataDone: 10_000,
  quit: 1000,
};

/** A resolver that remembers which TLSA names were asked for. */
function recording(resolver: DaneResolver): DaneResolver & { tlsa: string[] } {
  const tlsa: string[] = [];
  return {
    tlsa,
    lookup: (name: Name, type: number) => {
      if (type === RRType.TLSA) tlsa.push(name.toString());
      return resolver.lookup(name, type);
    },
  };
}

function options(resolver: DaneResolver): DeliverOptions {
  return {
    resolver,
    profile: {
      tlsMode: 'dane',
      insecureMx: 'dane',
      port: 25,
      helo: 'client.sender.example',
      timeouts: TIMEOUTS,
    },
    clock: systemClock,
    random: cryptoRandom,
  };
}

function message(to: string, subject: string): Uint8Array {
  const text = [
    'From: <sender@sender.example>',
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Message-ID: <${subject.replace(/[^A-Za-z0-9]/g, '')}@sender.example>`,
    '',
    'This message was sent by the dane-mta delivery interop test.',
    '',
  ];
  return new TextEncoder().encode(text.join('\r\n'));
}

function subjectOf(m: { headers: readonly { name: string; value: string }[] }): string | undefined {
  return m.headers.find((h) => h.name.toLowerCase() === 'subject')?.value;
}

async function subjectsIn(rx: PostfixReceiver): Promise<string[]> {
  return (await rx.readMessages()).map((m) => subjectOf(m) ?? '(none)');
}

/** A one-screen summary of a result for assertion messages. */
function explain(res: DeliveryResult): string {
  const attempts = res.attempts.map((a) => ({
    mx: a.mx,
    tls: a.tls,
    dane: a.dane,
    tlsa: a.tlsa,
    error: a.error,
  }));
  return JSON.stringify(
    { outcome: res.outcome, enhanced: res.enhanced, reason: res.reason, attempts, log: res.log },
    null,
    1,
  );
}

function assertResult(c: DeliveryCase, res: DeliveryResult, tlsaQueried: readonly string[]): void {
  const w = c.want;
  const why = explain(res);
  assert.equal(res.outcome, w.outcome, why);
  if (w.enhanced !== undefined) assert.equal(res.enhanced, w.enhanced, why);
  assert.equal(res.tls, w.tls, why);
  if (w.mx !== undefined) assert.equal(res.mx, w.mx, why);
  if (w.dane !== undefined)
    assert.deepEqual(
      res.attempts.map((a) => a.dane),
      w.dane,
      why,
    );
  const deciding = res.attempts.at(-1);
  // An RRset has no order (RFC 2181 §5): the records as a set, whatever order the resolver keeps.
  if (w.tlsa !== undefined) assert.deepEqual([...(deciding?.tlsa ?? [])].sort(), [...w.tlsa].sort(), why);
  if (w.dnssec !== undefined) assert.equal(deciding?.dnssec, w.dnssec, why);
  if (w.tlsaQueried !== undefined)
    assert.equal(tlsaQueried.length > 0, w.tlsaQueried, `${tlsaQueried.join(', ')}\n${why}`);
  for (const re of w.log ?? [])
    assert.ok(
      res.log.some((l) => re.test(l)),
      `log lacks ${re}: ${why}`,
    );
}

/** Waits until `subject` is in `rx`'s Maildir (or the deadline passes) and returns that message. */
async function waitForSubject(rx: PostfixReceiver, subject: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await rx.readMessages()).find((m) => subjectOf(m) === subject);
    if (found !== undefined || Date.now() > deadline) return found;
    await sleep(100);
  }
}

async function assertLanding(world: World, c: DeliveryCase, subject: string): Promise<void> {
  const where = c.want.landed;
  if (where !== null) {
    const rx = world.receivers[where];
    const m = await waitForSubject(rx, subject);
    assert.ok(m !== undefined, `"${subject}" did not land at ${where}: ${await rx.log()}`);
    assert.equal(m.deliveredTo, c.to);
    assert.equal(m.overTls, c.want.tls !== 'none', m.raw);
    assert.equal(m.returnPath, '<sender@sender.example>');
  }
  for (const [name, rx] of Object.entries(world.receivers)) {
    if (name === where) continue;
    assert.ok(!(await subjectsIn(rx)).includes(subject), `"${subject}" landed at ${name}`);
  }
}

async function runCase(t: TestContext, world: World, c: DeliveryCase, subject: string): Promise<void> {
  const resolver = c.resolver === 'validate' ? world.validate : world.recursive;
  if (c.probe !== undefined) {
    const a = await resolver.lookup(c.probe.name, RRType[c.probe.type]);
    const got = `${c.probe.name} ${c.probe.type}: ${a.kind} ${a.status} ${a.reason ?? ''}`;
    assert.equal(a.kind, c.probe.kind, got);
    assert.equal(a.status, c.probe.status, got);
  }
  const rec = recording(resolver);
  const res = await deliver(
    { from: 'sender@sender.example', to: [c.to] },
    message(c.to, subject),
    options(rec),
  );
  for (const line of res.log) t.diagnostic(line);
  assertResult(c, res, rec.tlsa);
  await assertLanding(world, c, subject);
}

async function lookupRcptCases(t: TestContext, world: World): Promise<void> {
  const rows = [
    {
      name: 'lookup-rcpt over DANE: a known user is accepted',
      to: 'user@ee311.dane.example',
      outcome: 'accepted',
      enhanced: /^2\.1\.5$/,
      code: 250,
      tls: 'dane',
    },
    {
      name: 'lookup-rcpt over DANE: an unknown user is rejected 5.1.1',
      to: `${UNKNOWN_USER}@ee311.dane.example`,
      outcome: 'rejected',
      enhanced: /^5\.1\.1$/,
      code: 550,
      tls: 'dane',
    },
    {
      name: 'lookup-rcpt with a wrong TLSA digest: deferred, RCPT never sent',
      to: 'user@wrong-digest.dane.example',
      outcome: 'deferred',
      enhanced: /^4\.7\.5$/,
      code: undefined,
      tls: null,
    },
  ] as const;
  for (const r of rows) {
    await t.test(r.name, async () => {
      const res = await lookupRcpt(r.to, options(world.recursive));
      const why = explain(res);
      assert.equal(res.outcome, r.outcome, why);
      assert.match(res.enhanced, r.enhanced, why);
      assert.equal(res.tls, r.tls, why);
      assert.equal(res.recipients[0]?.reply?.code, r.code, why);
      assert.equal(res.attempts.at(-1)?.dane, r.tls === 'dane' ? 'validated' : 'failed', why);
    });
  }
}

/** After all cases: each receiver holds exactly the messages the table sends it, nothing more. */
async function finalSweep(world: World, sent: ReadonlyMap<string, ReceiverName | null>): Promise<void> {
  for (const name of Object.keys(RECEIVERS) as ReceiverName[]) {
    const want = [...sent].filter(([, where]) => where === name).map(([s]) => s);
    const rx = world.receivers[name];
    if (want.length > 0) await rx.waitForMessages(want.length);
    await sleep(500); // a straggler that should not exist would show up now
    assert.deepEqual((await subjectsIn(rx)).sort(), want.sort(), `Maildir of ${name}`);
  }
}

test('DANE delivery to Postfix over NSD-served zones signed by BIND and ldns', async (t) => {
  if (!requireTools(t, TOOLS, { root: 'NSD on port 53 for root hints, and Postfix' })) return;
  const scope = await testScope(t, 'delivery');
  const pki = makePki(Date.now());
  const cases = deliveryCases(pki, (r) => net.smtp(RECEIVERS[r].host));
  const world = await startWorld(scope, { net, pki, cases });
  const sent = new Map<string, ReceiverName | null>();
  let n = 0;
  for (const c of cases) {
    const subject = `case ${++n}: ${c.name}`;
    sent.set(subject, c.want.landed);
    await t.test(c.name, (st) => runCase(st, world, c, subject));
  }
  await lookupRcptCases(t, world);
  await t.test('every receiver holds exactly the messages the table sent it', () => finalSweep(world, sent));
});
