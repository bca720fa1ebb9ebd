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
