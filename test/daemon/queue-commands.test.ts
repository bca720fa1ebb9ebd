/**
 * Issue #11: the `dane-mta queue` actions that find and move mail, end to end — run as the CLI
 * runs them (`main()`, their own store connection) beside a running daemon and the simulated
 * Internet: list with each filter (text, and --json in DESIGN.md's shape), show with attempts
 * and transcripts, retry by ID / --domain / --all, hold and release by ID. The story the issue
 * files: a DANE domain's message waits deferred with the DANE reason; its operator publishes the
 * right TLSA record; `retry` delivers it at once, over DANE. Retries are an hour apart, so a
 * delivery within the test's deadline is the command's doing, not the schedule's. The daemon's
 * clock can skip ahead: its resolver keeps the stale TLSA record for its TTL, as any cache does,
 * and the test does not wait 5 minutes. (queue-admin.test.ts: bounce, delete, stats, migrate and
 * bad input.) Loopback only: the lab on 127.141.0.0/16, intake on 127.142.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_RENEWAL_FIX, LAB_TTL } from '../../src/lab/index.ts';
import { queueCli, queueJson } from './queue-cli.ts';
import { assertAudit, ISO, SENDER, startQueueWorld, type QueueWorld } from './queue-world.ts';

const MINUTE = 60_000;
let q: QueueWorld;

before(async () => {
  q = await startQueueWorld({ baseAddress: '127.141.0.0', listen: '127.142.0.1' });
});

after(async () => {
  await q.close();
});

test('a DANE failure waits in the queue with its reason; the TLSA fixed, retry ID delivers it at once', async () => {
  const rx = q.receiver('mx.botched-renewal.test');
  const { id, messageId, attempts } = await q.send(['bob@botched-renewal.test']);
  assert.deepEqual(
    [attempts[0]?.outcome, attempts[0]?.enhanced, attempts[0]?.dane],
    ['deferred', '4.7.5', 'failed'],
  );

  // list (text): the message, its recipient deferred, the DANE reason.
  const text = await queueCli(q.world, 'list');
  assert.equal(text.code, 0, text.stderr);
  const block = text.stdout.slice(text.stdout.indexOf(id));
  assert.match(
    block,
    new RegExp(`^${id} +\\d+ +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +${SENDER}$`, 'm'),
  );
  assert.match(
    block,
    /^ {4}bob@botched-renewal\.test {2}deferred {2}attempts 1 next \S+ \S+ 4\.7\.5 .*DANE authentication failed: no TLSA record .* matches the server certificate chain$/m,
  );

  // list --json: DESIGN.md's contract, the last attempt record of the CLI contract.
  const m = await q.listed(id);
  assert.equal(m.from, SENDER);
  assert.equal(typeof m.size, 'number');
  assert.ok(m.size > 0);
  assert.match(m.received, ISO);
  const r = m.recipients[0];
  assert.ok(r !== undefined);
  assert.deepEqual(
    [r.address, r.state, r.attempts, r.held, r.enhanced],
    ['bob@botched-renewal.test', 'deferred', 1, false, '4.7.5'],
  );
  assert.match(r.reason ?? '', /DANE authentication failed/);
  assert.match(r.next_attempt ?? '', ISO);
  // The next attempt by the schedule is about an hour away: only `retry` can bring it sooner.
  assert.ok(Date.parse(r.next_attempt ?? '') - Date.now() > 50 * MINUTE, r.next_attempt ?? '');
  const last = r.last ?? {};
  for (const key of ['mx', 'address', 'dnssec', 'tlsa', 'tls', 'dane', 'reply', 'error'])
    assert.ok(key in last, `last has ${key}`);
  assert.deepEqual([last.mx, last.dnssec, last.dane], ['mx.botched-renewal.test', 'secure', 'failed']);
  assert.equal(last.address, q.net.addressOf('mx.botched-renewal.test'));
  assert.match((last.tlsa as string[])[0] ?? '', /^3 1 1 [0-9a-f]{64}$/);

  // show: the attempt with its transcript, text and JSON.
  const shown = await queueCli(q.world, 'show', id);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^id: +${id}$`, 'm'));
  assert.match(
    shown.stdout,
    /^attempt \S+ \S+ → botched-renewal\.test: deferred \(bob@botched-renewal\.test\)$/m,
  );
  assert.match(shown.stdout, /^ {4}DANE: validation failed: no TLSA record .+$/m);
  const detail = await queueJson<{ id: string; attempts: { outcome: string; transcript: string[] }[] }>(
    q.world,
    'show',
    id.toLowerCase(),
  );
  assert.equal(detail.id, id, 'an ID is case-insensitive');
  assert.equal(detail.attempts.length, 1);
  assert.ok(detail.attempts[0]?.transcript.some((l) => l.startsWith('DANE: validation failed: ')));

  // The operator publishes the record of the key the server presents now. The daemon's cache
  // holds the stale record for its TTL: the daemon's clock skips over it.
  const published = q.net.publishTlsa(DEMO_RENEWAL_FIX.host, DEMO_RENEWAL_FIX.tlsa);
  q.clock.skip(LAB_TTL * 1000);
  const next = q.attemptAfter(q.events.mark(), id);
  const retried = await queueCli(q.world, 'retry', id);
  assert.deepEqual([retried.code, retried.stdout], [0, '1 recipient(s) due now\n']);
  assertAudit(retried, 'retry');
  const a2 = await next;
  assert.deepEqual([a2.outcome, a2.tls, a2.dane], ['delivered', 'dane', 'validated']);
  assert.ok(a2.transcript.includes('DANE: validated successfully'), a2.transcript.join('\n'));
  assert.equal(a2.tlsa[0]?.toLowerCase(), published.records[0]?.toLowerCase());
  assert.ok(rx.messages.some((x) => x.messageId === messageId && x.tls.used));

  const after = await q.listed(id);
  assert.deepEqual(
    after.recipients.map((x) => [x.state, x.attempts, x.next_attempt]),
    [['delivered', 2, null]],
  );
  const shownAfter = await queueCli(q.world, 'show', id);
  assert.match(
    shownAfter.stdout,
    /→ botched-renewal\.test: delivered \(bob@botched-renewal\.test\)\n(?: {4}.*\n)* {4}DANE: validated successfully$/m,
  );
});

test('list filters --state, --domain, --held and --limit pick messages by their recipients', async () => {
  const unsigned = q.receiver('mx.unsigned.test');
  unsigned.failTemporarily('rcpt');
  try {
    const ok = await q.send(['carol@dane-signed.test']);
    const def = await q.send(['dave@unsigned.test']);
    const mix = await q.send(['erin@dane-signed.test', 'frank@unsigned.test']);
    assert.deepEqual(
      [ok, def, mix].flatMap((m) => m.attempts.map((a) => `${a.domain}:${a.outcome}`)),
      [
        'dane-signed.test:delivered',
        'unsigned.test:deferred',
        'dane-signed.test:delivered',
        'unsigned.test:deferred',
      ],
    );
    const mine = new Set([ok.id, def.id, mix.id]);
    const only = async (...f: string[]): Promise<string[]> =>
      (await q.listIds(...f)).filter((id) => mine.has(id));
    assert.deepEqual(await only(), [ok.id, def.id, mix.id], 'arrival order');
    assert.deepEqual(await only('--state', 'deferred'), [def.id, mix.id]);
    assert.deepEqual(await only('--state', 'delivered'), [ok.id, mix.id]);
    assert.deepEqual(await only('--state', 'bounced'), []);
    assert.deepEqual(await only('--domain', 'unsigned.test'), [def.id, mix.id]);
    assert.deepEqual(await only('--domain', 'UNSIGNED.test', '--state', 'delivered'), []);
    assert.deepEqual(await only('--held'), []);
    // A filter picks messages; each is listed with all its recipients.
    const mixed = (await q.listJson('--state', 'deferred')).find((m) => m.id === mix.id);
    assert.deepEqual(
      mixed?.recipients.map((r) => [r.address, r.state]),
      [
        ['erin@dane-signed.test', 'delivered'],
        ['frank@unsigned.test', 'deferred'],
      ],
    );
    assert.equal((await q.listIds('--limit', '1')).length, 1);

    const held = await queueCli(q.world, 'hold', def.id, '--json');
    assert.equal(held.code, 0, held.stderr);
    assert.deepEqual(JSON.parse(held.stdout), { action: 'hold', selection: { id: def.id }, recipients: 1 });
    assertAudit(held, 'hold');
    assert.deepEqual(await only('--held'), [def.id]);
    const text = await queueCli(q.world, 'list', '--held');
    assert.match(
      text.stdout,
      /^ {4}dave@unsigned\.test {2}deferred\+held {2}attempts 1 next \S+ \S+ 4\.3\.0 /m,
    );
    assert.match(text.stdout, /^\d+ message\(s\), \d+ recipient\(s\)$/m);
    const empty = await queueCli(q.world, 'list', '--domain', 'nowhere.test');
    assert.deepEqual([empty.code, empty.stdout], [0, 'the queue is empty\n']);
    assert.deepEqual(await q.listJson('--domain', 'nowhere.test'), []);
  } finally {
    unsigned.stopFailing();
  }
});

test('retry --domain and --all make deferred mail go out at once; held mail stays until released', async () => {
  // From the previous test: dave@unsigned.test held, frank@unsigned.test deferred (the receiver
  // accepts again now).
  const held = (await q.listJson('--held')).map((m) => m.id);
  const waiting = (await q.listJson('--state', 'deferred', '--domain', 'unsigned.test')).filter(
    (m) => !held.includes(m.id),
  );
  assert.equal(held.length, 1);
  assert.equal(waiting.length, 1);
  const heldId = held[0] ?? '';
  const frank = waiting[0]?.id ?? '';

  let mark = q.events.mark();
  const byDomain = await queueCli(q.world, 'retry', '--domain', 'unsigned.test.');
  assert.deepEqual([byDomain.code, byDomain.stdout], [0, '1 recipient(s) due now\n'], byDomain.stderr);
  const a = await q.attemptAfter(mark, frank, 'unsigned.test');
  assert.deepEqual([a.outcome, a.tls], ['delivered', 'encrypted']);
  const all = await queueCli(q.world, 'retry', '--all', '--json');
  assert.deepEqual(JSON.parse(all.stdout), { action: 'retry', selection: { all: true }, recipients: 0 });

  const released = await queueCli(q.world, 'release', heldId);
  assert.deepEqual([released.code, released.stdout], [0, '1 recipient(s) released\n'], released.stderr);
  assertAudit(released, 'release');
  assert.deepEqual(
    (await q.listed(heldId)).recipients.map((r) => [r.state, r.held]),
    [['deferred', false]],
    'released, still due at its scheduled time',
  );
  mark = q.events.mark();
  const retried = await queueJson<{ recipients: number }>(q.world, 'retry', '--all');
  assert.equal(retried.recipients, 1);
  const b = await q.attemptAfter(mark, heldId);
  assert.equal(b.outcome, 'delivered');
  assert.ok(q.receiver('mx.unsigned.test').messages.some((m) => m.to.includes('dave@unsigned.test')));
});

test('a destination that was down: retry --domain once it is back delivers at once', async () => {
  const rx = q.receiver('mx.unsigned.test');
  // The host goes down with its connections: the one the daemon keeps open after the previous
  // test's delivery (delivery.connection_cache_time) would carry the message otherwise.
  await rx.down({ dropConnections: true });
  let sent;
  try {
    sent = await q.send(['grace@unsigned.test']);
  } finally {
    await rx.up();
  }
  const first = sent.attempts[0];
  assert.equal(first?.outcome, 'deferred', first?.reason);
  assert.equal(first.tls, null, 'no server was reached');
  const mark = q.events.mark();
  const r = await queueCli(q.world, 'retry', '--domain', 'unsigned.test');
  assert.deepEqual([r.code, r.stdout], [0, '1 recipient(s) due now\n'], r.stderr);
  const a = await q.attemptAfter(mark, sent.id);
  assert.equal(a.outcome, 'delivered', a.reason);
  assert.ok(rx.messages.some((m) => m.messageId === sent.messageId));
});

test('hold --domain holds every open recipient there; release --all ends every hold', async () => {
  const unsigned = q.receiver('mx.unsigned.test');
  unsigned.failTemporarily('rcpt');
  let m;
  try {
    m = await q.send(['mallory@unsigned.test']);
  } finally {
    unsigned.stopFailing();
  }
  const held = await queueJson<{ recipients: number }>(q.world, 'hold', '--domain', 'unsigned.test');
  assert.equal(held.recipients, 1);
  assert.deepEqual(await q.listIds('--held'), [m.id]);
  const released = await queueCli(q.world, 'release', '--all', '--json');
  assert.equal(released.code, 0, released.stderr);
  assert.deepEqual(JSON.parse(released.stdout), {
    action: 'release',
    selection: { all: true },
    recipients: 1,
  });
  assert.deepEqual(await q.listIds('--held'), []);
  const mark = q.events.mark();
  assert.equal((await queueJson<{ recipients: number }>(q.world, 'retry', m.id)).recipients, 1);
  assert.equal((await q.attemptAfter(mark, m.id)).outcome, 'delivered');
});
