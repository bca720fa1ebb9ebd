/**
 * Issue #10, hostile and broken input at the daemon level: a queue store that cannot write makes
 * intake answer 451 4.3.0 (DESIGN.md "Promises": never a 5xx, never a 250 for what is not
 * stored), stores nothing for that transaction, and the daemon keeps running — once the store
 * can write again the next message is taken in and delivered. Two ways to break the store of a
 * real `dane-mta serve`: another process holding the SQLite write lock longer than the busy
 * timeout, and a full disk (a small tmpfs filled up; needs root to mount it).
 * Lab 127.157.0.0/16, intake 127.157.200.x.
 */
import assert from 'node:assert/strict';
import { mkdirSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { SCENARIOS, startInternet, type Internet, type Receiver } from '../../src/lab/index.ts';
import { interopRequired, requireTools, runCommand } from '../interop/index.ts';
import {
  childIntake,
  daemonWorld,
  killServes,
  openWorldStore,
  queuedId,
  spawnServe,
  submit,
  type DaemonWorld,
  type ServeProcess,
} from './harness.ts';

let net: Internet;
let rx: Receiver;
const worlds: DaemonWorld[] = [];

before(async () => {
  net = await startInternet({
    baseAddress: '127.157.0.0',
    scenarios: SCENARIOS.filter((s) => s.id === 'ee-311'),
  });
  const r = net.receivers.get('mx.ee-311.test');
  if (r === undefined) throw new Error('no receiver for mx.ee-311.test');
  rx = r;
});

after(async () => {
  killServes();
  for (const w of worlds) await w.close();
  await net.close();
});

const FROM = 'store@client.daemon.test';
const TO = 'user@ee-311.test';

function message(tag: string, padding = 0): string {
  const line = `${'x'.repeat(76)}\r\n`;
  return `Message-ID: <${tag}@client.daemon.test>\r\nSubject: ${tag}\r\n\r\n${line.repeat(Math.ceil(padding / 78))}end\r\n`;
}

/** The store refuses: 451 4.3.0 to the final dot, a `refused` log line, the daemon lives on. */
async function assertRefused(
  t: TestContext,
  p: ServeProcess,
  intake: { address: string; port: number },
  body: string,
  cause: RegExp,
): Promise<void> {
  const mark = p.stdout.length;
  const r = await submit(intake, { from: FROM, to: [TO], body });
  assert.equal(r.data?.code, 451, JSON.stringify(r.data ?? r.failure));
  assert.equal(r.data.enhanced, '4.3.0');
  // The client learns that it should retry, not where or how the queue is stored.
  assert.equal(r.data.text, 'Requested action aborted: cannot store the message now; try again later');
  const refused = await p.logLine((e) => e.event === 'refused', 'of the refusal', { from: mark });
  assert.equal(refused['stage'], 'data');
  assert.equal(refused['code'], 451);
  assert.equal(refused['enhanced'], '4.3.0');
  // The operator's log has the store's own error.
  assert.match(
    String(refused['reason']),
    new RegExp(`^cannot store the message: queue store sqlite:.*: ${cause.source}`),
  );
  t.diagnostic(`log: ${String(refused['reason'])}`);
  assert.equal(p.child.exitCode, null, 'the daemon keeps running');
}

/** The store works again: the next message is acknowledged and delivered; only it is stored. */
async function assertRecovered(
  t: TestContext,
  w: DaemonWorld,
  p: ServeProcess,
  intake: { address: string; port: number },
  tags: { refused: string; accepted: string },
  body: string,
): Promise<void> {
  const r = await submit(intake, { from: FROM, to: [TO], body });
  assert.equal(r.data?.code, 250, JSON.stringify(r.data ?? r.failure));
  const id = queuedId(r);
  const wanted = `<${tags.accepted}@client.daemon.test>`;
  await rx.waitFor((x) => x.messages.some((m) => m.messageId === wanted), { timeoutMs: 60_000 });
  assert.ok(!rx.messages.some((m) => m.messageId === `<${tags.refused}@client.daemon.test>`));
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.stderr());
  const store = await openWorldStore(w);
  try {
    const all = await store.list();
    t.diagnostic(`stored: ${all.map((v) => v.message.id).join(', ')}`);
    assert.deepEqual(
      all.map((v) => [v.message.id, v.recipients[0]?.state]),
      [[id, 'delivered']],
      'only the acknowledged message was stored',
    );
  } finally {
    await store.close();
  }
}

test('another process holds the SQLite write lock: 451 4.3.0, nothing stored, then mail flows again', async (t) => {
  const w = await daemonWorld(net, { listen: '127.157.200.1' });
  worlds.push(w);
  const p = spawnServe(w);
  const intake = await childIntake(p);
  const db = new Database(join(w.dir, 'queue.db'));
  try {
    db.exec('BEGIN EXCLUSIVE');
    await assertRefused(t, p, intake, message('locked'), /database is locked/);
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
  await assertRecovered(t, w, p, intake, { refused: 'locked', accepted: 'unlocked' }, message('unlocked'));
});

/** Mount a tmpfs of `size` at `dir`; false (test skipped) where mounting is not allowed. */
async function mountTmpfs(t: TestContext, dir: string, size: string): Promise<boolean> {
  mkdirSync(dir, { recursive: true });
  const r = await runCommand('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {
    allowFailure: true,
  });
  if (r.code !== 0) {
    const reason = `cannot mount a tmpfs: ${(r.stderr || r.stdout).trim()}`;
    if (interopRequired()) throw new Error(`${reason}; DANE_MTA_INTEROP=1 requires it`);
    t.skip(reason);
    return false;
  }
  t.after(async () => {
    await runCommand('umount', ['-l', dir], { allowFailure: true });
  });
  return true;
}

/** Write zeros to `file` until the file system is full. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

test('a full disk: 451 4.3.0, nothing stored, the daemon runs on and takes mail once space is freed', async (t) => {
  if (!requireTools(t, ['mount', 'umount'], { root: 'mounts a small tmpfs to fill up' })) return;
  const w = await daemonWorld(net, { listen: '127.157.200.2' });
  worlds.push(w);
  const disk = join(w.dir, 'disk');
  if (!(await mountTmpfs(t, disk, '16m'))) return;
  await w.rewrite({ queueUrl: 'sqlite:disk/queue.db' });
  const p = spawnServe(w);
  const intake = await childIntake(p);
  const filler = join(disk, 'filler');
  fillUp(filler);
  // A message larger than anything the WAL holds already: it needs new blocks.
  await assertRefused(t, p, intake, message('disk-full', 1_000_000), /database or disk is full/);
  rmSync(filler);
  await assertRecovered(
    t,
    w,
    p,
    intake,
    { refused: 'disk-full', accepted: 'disk-freed' },
    message('disk-freed', 1_000_000),
  );
});
