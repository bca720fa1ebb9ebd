/**
 * Issue #11: the `dane-mta queue` actions that end or inspect mail, end to end beside a running
 * daemon and the simulated Internet — bounce (what is not delivered bounces; the sender's DANE
 * MX receives the DSN with the operator's reason), delete (gone, no DSN), stats and migrate, as
 * text and --json — and bad input: unknown IDs and bad flags get one line on stderr and exit 69
 * / 64 (a broken configuration 78), and change nothing. Loopback only: the lab on
 * 127.147.0.0/16, intake on 127.148.0.1.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AttemptEvent } from '../../src/daemon/events.ts';
import { cli, queueCli, queueJson } from './queue-cli.ts';
import { ATTEMPT_DEADLINE_MS, assertAudit, SENDER, startQueueWorld, type QueueWorld } from './queue-world.ts';

let q: QueueWorld;

before(async () => {
  q = await startQueueWorld({ baseAddress: '127.147.0.0', listen: '127.148.0.1' });
});

after(async () => {
  await q.close();
});

test('bounce ID: what is not delivered bounces and the sender gets a DSN with the reason', async () => {
  const unsigned = q.receiver('mx.unsigned.test');
  const senderMx = q.receiver('mx1.dane-signed.test');
  unsigned.failTemporarily('rcpt');
  let m;
  try {
    m = await q.send(['heidi@unsigned.test', 'ivan@dane-signed.test']);
  } finally {
    unsigned.stopFailing();
  }
  const mark = q.events.mark();
  const r = await queueCli(q.world, 'bounce', m.id, '--reason', 'mailbox moved');
  assert.equal(r.code, 0, r.stderr);
  const dsnId = /DSN ([0-9A-Z]{20}) queued/.exec(r.stdout)?.[1] ?? '';
  assert.equal(r.stdout, `1 recipient(s) of ${m.id} bounced; DSN ${dsnId} queued\n`);
  assertAudit(r, 'bounce');
  assert.deepEqual(
    (await q.listed(m.id)).recipients.map((x) => [x.address, x.state]),
    [
      ['heidi@unsigned.test', 'bounced'],
      ['ivan@dane-signed.test', 'delivered'],
    ],
  );
  const dsn = await q.events.waitFor(
    (e): e is AttemptEvent => e.event === 'attempt' && e.id === dsnId,
    'the DSN delivery',
    { from: mark, deadlineMs: ATTEMPT_DEADLINE_MS },
  );
  assert.deepEqual([dsn.outcome, dsn.tls, dsn.recipients], ['delivered', 'dane', [SENDER]]);
  const report = senderMx.messages.find(
    (x) => x.from === '' && x.to.includes(SENDER) && new TextDecoder().decode(x.data).includes(m.id),
  );
  assert.ok(report !== undefined, 'the DSN reached the sender');
  const text = new TextDecoder().decode(report.data);
  assert.match(text, /^Content-Type: multipart\/report; report-type=delivery-status;/im);
  assert.match(text, /^Action: failed$/im);
  assert.match(text, /^Final-Recipient: rfc822;\s*heidi@unsigned\.test$/im);
  assert.match(text, /bounced by the operator: mailbox moved/);
  assert.doesNotMatch(text, /ivan@dane-signed\.test\r?\nAction/i);
  const dsnListed = await q.listed(dsnId);
  assert.deepEqual([dsnListed.from, dsnListed.kind], ['', 'dsn']);

  // A message with nothing left to bounce: nothing changes, no DSN (JSON form).
  const again = await queueJson<{ recipients: number; dsns: string[] }>(q.world, 'bounce', m.id);
  assert.deepEqual([again.recipients, again.dsns], [0, []]);
});

test('delete ID removes a message without a DSN; afterwards it is unknown (69)', async () => {
  const unsigned = q.receiver('mx.unsigned.test');
  unsigned.failTemporarily('rcpt');
  let m;
  try {
    m = await q.send(['judy@unsigned.test']);
  } finally {
    unsigned.stopFailing();
  }
  const before = await q.listIds();
  const d = await queueCli(q.world, 'delete', m.id, '--json');
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(JSON.parse(d.stdout), { action: 'delete', id: m.id, deleted: true });
  assertAudit(d, 'delete');
  // Gone, and nothing queued in its place (no DSN).
  assert.deepEqual(
    await q.listIds(),
    before.filter((id) => id !== m.id),
  );
  for (const action of ['show', 'delete', 'retry', 'bounce']) {
    const r = await queueCli(q.world, action, m.id);
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [69, '', `dane-mta queue: no message ${m.id} in the queue\n`],
      action,
    );
  }
  // Its recipient was the only deferred one: nothing is left to retry.
  const retried = await queueJson<{ recipients: number }>(q.world, 'retry', '--all');
  assert.equal(retried.recipients, 0);
});

test('stats and migrate, as text and JSON', async () => {
  const unsigned = q.receiver('mx.unsigned.test');
  unsigned.failTemporarily('rcpt');
  try {
    await q.send(['leo@unsigned.test']);
  } finally {
    unsigned.stopFailing();
  }
  const stats = await queueJson<{
    recipients: Record<string, number>;
    held: number;
    oldest_seconds: number | null;
    top_deferred: { domain: string; deferred: number }[];
  }>(q.world, 'stats');
  const all = await q.listJson();
  const count = (state: string): number =>
    all.flatMap((m) => m.recipients).filter((r) => r.state === state).length;
  assert.deepEqual(stats.recipients, {
    queued: count('queued'),
    deferred: count('deferred'),
    delivered: count('delivered'),
    bounced: count('bounced'),
  });
  assert.equal(stats.recipients.deferred, 1);
  assert.equal(stats.held, 0);
  assert.deepEqual(stats.top_deferred, [{ domain: 'unsigned.test', deferred: 1 }]);
  assert.equal(typeof stats.oldest_seconds, 'number');
  const text = await queueCli(q.world, 'stats');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^deferred +1$`, 'm'));
  assert.match(text.stdout, new RegExp(`^delivered +${stats.recipients.delivered}$`, 'm'));
  assert.match(text.stdout, /^held +0$/m);
  assert.match(text.stdout, /^most deferred destinations:\n +1 {2}unsigned\.test$/m);

  const migrate = await queueCli(q.world, 'migrate');
  assert.equal(migrate.code, 0, migrate.stderr);
  assert.match(migrate.stdout, /^schema version \d+ is current \(sqlite\)\n$/);
  const mj = await queueJson<{ store: string; from: number; to: number; applied: number[] }>(
    q.world,
    'migrate',
  );
  assert.deepEqual([mj.store, mj.from === mj.to, mj.applied], ['sqlite', true, []]);
});

test('unknown IDs and bad flags: one line on stderr, exit 69 / 64 / 78, and nothing changes', async () => {
  const before = await q.listJson();
  const unknown = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  const unknown20 = unknown.slice(0, 20);
  const cases: [string[], number, RegExp][] = [
    [['show', unknown20], 69, /^dane-mta queue: no message 01ARZ3NDEKTSV4RRFFQ6 in the queue$/],
    [['retry', unknown20], 69, /no message/],
    [['hold', unknown20], 69, /no message/],
    [['release', unknown20], 69, /no message/],
    [['bounce', unknown20], 69, /no message/],
    [['delete', unknown20], 69, /no message/],
    [['show', unknown], 64, /is not a queue ID/],
    [['show'], 64, /give a queue ID/],
    [['frobnicate'], 64, /unknown action 'frobnicate'/],
    [['list', '--state', 'lost'], 64, /--state: 'lost' is not one of queued, deferred, delivered, bounced/],
    [['list', '--limit', '0'], 64, /--limit/],
    [['list', '--reason', 'x'], 64, /--reason does not apply to 'queue list'/],
    [['retry'], 64, /give exactly one of ID, --domain D or --all/],
    [['retry', unknown20, '--all'], 64, /exactly one/],
    [['hold', '--all'], 64, /^dane-mta queue: --all does not apply to 'queue hold'$/],
    [['show', unknown20, 'extra'], 64, /unexpected argument 'extra'/],
    [['list', '--frobnicate'], 64, /frobnicate/],
  ];
  for (const [args, code, re] of cases) {
    const r = await queueCli(q.world, ...args);
    const label = `queue ${args.join(' ')}`;
    assert.equal(r.code, code, `${label}: ${r.stderr}`);
    assert.equal(r.stdout, '', label);
    assert.match(r.stderr, /^[^\n]+\n$/, `${label}: one line`);
    assert.match(r.stderr.trim(), re, label);
  }
  const noConfig = await cli('queue', 'list');
  assert.deepEqual([noConfig.code, noConfig.stderr], [64, 'dane-mta queue: --config FILE is required\n']);
  const broken = join(q.world.dir, 'broken.yaml');
  await writeFile(broken, 'listen: [\n');
  const bad = await cli('queue', 'list', '--config', broken);
  assert.equal(bad.code, 78, bad.stderr);
  assert.match(bad.stderr, /^dane-mta queue: [^\n]*broken\.yaml:\d+:\d+: [^\n]+\n$/);
  assert.deepEqual(await q.listJson(), before, 'nothing changed');
});
