/**
 * The one store suite (store-suite.ts) against the SQLite driver, each test on its own database
 * file in a temporary directory, plus what only SQLite has: the worker's group commit seen from
 * outside, and bad files. The raw hooks use a second better-sqlite3 connection, as another
 * process would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openQueueStore } from '../../src/queue/index.ts';
import type { QueueStore } from '../../src/queue/index.ts';
import { registerStoreSuite } from './store-suite.ts';
import type { Backing, StoreFactory } from './store-suite.ts';
import { T0, message } from './store-kit.ts';

async function sqliteBacking(): Promise<Backing & { path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dane-mta-queue-'));
  const path = join(dir, 'queue.db');
  await writeFile(path, '');
  const url = `sqlite:${path}`;
  return {
    url,
    path,
    dir,
    open: (opts) => openQueueStore(url, opts),
    setSchemaVersion: (version) => {
      const db = new Database(path);
      try {
        db.prepare('INSERT INTO schema_version (version, applied_at, description) VALUES (?, 0, ?)').run(
          version,
          'future',
        );
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    lockWrites: () => {
      const db = new Database(path);
      db.exec('BEGIN IMMEDIATE');
      return Promise.resolve(() => {
        db.exec('ROLLBACK');
        db.close();
        return Promise.resolve();
      });
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

const factory: StoreFactory = { name: 'sqlite', fresh: () => sqliteBacking() };

registerStoreSuite(factory);

test('group commit: concurrent enqueues share commits; without it each commits alone', async (t) => {
  const backing = await sqliteBacking();
  t.after(() => backing.dispose());
  const grouped = await backing.open();
  const single = await backing.open({ groupCommit: false });
  t.after(() => Promise.all([grouped.close(), single.close()]));
  const run = async (store: QueueStore): Promise<number> => {
    const before = store.counters().commits;
    await Promise.all(Array.from({ length: 50 }, () => store.enqueue(message())));
    return store.counters().commits - before;
  };
  const shared = await run(grouped);
  assert.ok(shared >= 1 && shared <= 10, `50 concurrent enqueues took ${shared} commits`);
  assert.equal(await run(single), 50);
  assert.equal((await grouped.list()).length, 100);
});

test('the file: not a database, a missing directory, create: false on a missing file', async (t) => {
  const backing = await sqliteBacking();
  t.after(() => backing.dispose());
  await writeFile(join(backing.dir, 'junk.db'), 'this is not an SQLite database, just text '.repeat(200));
  const cases = [
    [`sqlite:${join(backing.dir, 'junk.db')}`, {}, /not a database/],
    [`sqlite:${join(backing.dir, 'no', 'such', 'dir', 'q.db')}`, {}, /directory does not exist/],
    [`sqlite:${join(backing.dir, 'missing.db')}`, { create: false }, /unable to open database file/],
  ] as const;
  for (const [url, opts, why] of cases) {
    await assert.rejects(openQueueStore(url, opts), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'QUEUE_ERR_STORE');
      assert.match(err.message, why);
      assert.ok(err.message.includes(url), `names the store: ${err.message}`);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }
});

test('sqlite::memory: is a private store of one instance', async (t) => {
  const store = await openQueueStore('sqlite::memory:');
  t.after(() => store.close());
  const m = message({ received: T0 });
  await store.enqueue(m);
  assert.deepEqual(
    (await store.list()).map((v) => v.message.id),
    [m.id],
  );
  assert.deepEqual(await store.schema(), { current: 1, known: 1 });
});

test('prune hands the freed pages back to the file system (incremental auto-vacuum)', async (t) => {
  const backing = await sqliteBacking();
  t.after(() => backing.dispose());
  const store = await backing.open();
  const body = 'x'.repeat(16 * 1024);
  for (let i = 0; i < 40; i++) await store.enqueue(message({ received: T0 + i, body }));
  const claimed = await store.claim({ owner: 'n', now: T0 + 100, leaseMs: 1000, limit: 100 });
  const updates = claimed.flatMap((c) =>
    c.recipients.map((r) => ({
      rid: r.rid,
      state: 'delivered' as const,
      enhanced: '2.0.0',
      reason: 'ok',
      last: null,
    })),
  );
  await store.complete('n', { updates }, T0 + 100);
  const pages = (): { pages: number; free: number } => {
    const db = new Database(backing.path, { readonly: true });
    try {
      return {
        pages: db.pragma('page_count', { simple: true }) as number,
        free: db.pragma('freelist_count', { simple: true }) as number,
      };
    } finally {
      db.close();
    }
  };
  const before = pages();
  assert.equal(await store.prune(T0 + 200), 40);
  await store.close();
  const after = pages();
  assert.equal(after.free, 0, 'no free pages left in the file');
  assert.ok(after.pages < before.pages / 2, `${before.pages} pages → ${after.pages}`);
});

const MINUTE = 60_000;

function delivered(rid: number): {
  rid: number;
  state: 'delivered';
  enhanced: string;
  reason: string;
  last: null;
} {
  return { rid, state: 'delivered', enhanced: '2.0.0', reason: 'delivered', last: null };
}

test('leases and slots commit without an fsync of their own, yet at once for every process', async (t) => {
  const backing = await sqliteBacking();
  t.after(() => backing.dispose());
  const store = await backing.open({ commitDelayMs: 0 });
  t.after(() => store.close());
  const commits = (): number => store.counters().commits;
  let before = commits();
  await store.enqueue(message());
  assert.equal(commits(), before + 1, 'accepted mail: a durable commit');

  before = commits();
  const [claimed] = await store.claim({ owner: 'w', now: T0, leaseMs: MINUTE, limit: 10 });
  const rid = claimed?.recipients[0]?.rid ?? -1;
  const slot = await store.acquireSlot('example.org', { owner: 'w', limit: 1, now: T0, until: T0 + MINUTE });
  assert.notEqual(slot, undefined);
  assert.deepEqual(await store.renew('w', [rid], T0 + 2 * MINUTE), [rid]);
  assert.equal(commits(), before, 'claim, slot and renew: no fsync of their own');
  // Another process sees the lease and the slot at once (the WAL), fsync or not.
  const other = new Database(backing.path, { readonly: true });
  try {
    const row = other.prepare('SELECT lease_owner, lease_until FROM recipients WHERE rid = ?').get(rid);
    assert.deepEqual(row, { lease_owner: 'w', lease_until: T0 + 2 * MINUTE });
  } finally {
    other.close();
  }

  before = commits();
  const done = await store.complete('w', { updates: [delivered(rid)] }, T0 + 1);
  assert.deepEqual(done, { applied: [rid], skipped: [] });
  assert.equal(commits(), before + 1, "a recipient's outcome: a durable commit");
});

test('a complete waits for company to share its fsync; whatever could see it commits it first', async (t) => {
  const backing = await sqliteBacking();
  t.after(() => backing.dispose());
  // A long delay, so that the test's own pace cannot make completes miss each other.
  const store = await backing.open({ commitDelayMs: 400 });
  t.after(() => store.close());
  const commits = (): number => store.counters().commits;
  for (let i = 0; i < 4; i++) await store.enqueue(message());
  const claimed = await store.claim({ owner: 'w', now: T0, leaseMs: MINUTE, limit: 10 });
  const [a, b, c, d] = claimed.map((m) => m.recipients[0]?.rid ?? -1);

  // Two completes 30 ms apart share one commit.
  let before = commits();
  const first = store.complete('w', { updates: [delivered(a ?? -1)] }, T0 + 1);
  await new Promise((resolve) => setTimeout(resolve, 30));
  // A claim meanwhile commits ahead of the held complete and cannot take its recipient (leased).
  assert.deepEqual(await store.claim({ owner: 'x', now: T0 + MINUTE / 2, leaseMs: MINUTE, limit: 10 }), []);
  const second = store.complete('w', { updates: [delivered(b ?? -1)] }, T0 + 1);
  assert.deepEqual(await Promise.all([first, second]), [
    { applied: [a], skipped: [] },
    { applied: [b], skipped: [] },
  ]);
  assert.equal(commits(), before + 1, 'two completes, one fsync');

  // An enqueue takes the held complete into its own commit.
  before = commits();
  const third = store.complete('w', { updates: [delivered(c ?? -1)] }, T0 + 1);
  await store.enqueue(message());
  assert.deepEqual(await third, { applied: [c], skipped: [] });
  assert.equal(commits(), before + 1, 'a complete and an enqueue, one fsync');

  // Releasing the owner's leases must not overtake its held complete (which would be skipped).
  const fourth = store.complete('w', { updates: [delivered(d ?? -1)] }, T0 + 1);
  await store.releaseLeases('w');
  assert.deepEqual(await fourth, { applied: [d], skipped: [] });
  const states = (await store.list()).flatMap((v) => v.recipients.map((r) => r.state));
  assert.deepEqual(states.sort(), ['delivered', 'delivered', 'delivered', 'delivered', 'queued']);
});
