/**
 * Part of the one store test suite (see store-suite.ts): the schema (a newer one refused with
 * one line, an empty store migrated once), checkWritable under another connection's lock,
 * counters, and a closed store. Test support only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreFactory } from './store-kit.ts';
import { T0, message, setUp, useBacking } from './store-kit.ts';

export function registerSchemaSuite(factory: StoreFactory): void {
  registerSchema(factory);
  registerHealth(factory);
}

function registerHealth(factory: StoreFactory): void {
  test('checkWritable proves a durable write, and fails while another connection holds the lock', async (t) => {
    const s = await setUp(t, factory, { lockTimeoutMs: 200 });
    if (s === undefined) return;
    await s.store.checkWritable(T0);
    const release = await s.backing.lockWrites();
    try {
      await assert.rejects(s.store.checkWritable(T0 + 1), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'QUEUE_ERR_STORE');
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    } finally {
      await release();
    }
    await s.store.checkWritable(T0 + 2);
  });

  test('counters count this instance’s statements and commits', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const before = s.store.counters();
    await s.store.enqueue(message());
    const after = s.store.counters();
    assert.ok(after.queries > before.queries, `queries ${before.queries} → ${after.queries}`);
    assert.equal(after.commits, before.commits + 1, 'one enqueue, one commit');
    await s.store.list();
    assert.equal(s.store.counters().commits, after.commits, 'a read commits nothing');
  });
}

function registerSchema(factory: StoreFactory): void {
  test('a schema newer than this build is refused with one line', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const { current, known } = await s.store.schema();
    assert.equal(current, known);
    await s.backing.setSchemaVersion(known + 1);
    for (const opts of [{}, { requireCurrent: false }]) {
      await assert.rejects(s.backing.open(opts), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'QUEUE_ERR_SCHEMA');
        assert.match(
          err.message,
          new RegExp(`schema version ${known + 1}, newer than this build knows \\(${known}\\)`),
        );
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
    await assert.rejects(s.store.migrate(), { code: 'QUEUE_ERR_SCHEMA' });
  });

  test('an empty store: refused unless created; migrate applies every version once', async (t) => {
    const used = await useBacking(t, factory);
    if (used === undefined) return;
    await assert.rejects(used.backing.open({ create: false }), {
      code: 'QUEUE_ERR_SCHEMA',
      message: /queue migrate/,
    });
    const store = await used.open({ create: false, requireCurrent: false });
    const { current, known } = await store.schema();
    assert.equal(current, 0);
    assert.ok(known >= 1);
    assert.deepEqual(
      await store.migrate(),
      Array.from({ length: known }, (_, i) => i + 1),
    );
    assert.deepEqual(await store.migrate(), [], 'migrate is idempotent');
    assert.deepEqual(await store.schema(), { current: known, known });
    await store.enqueue(message());
    const daemon = await used.open();
    assert.equal((await daemon.list()).length, 1);
    assert.deepEqual(await daemon.migrate(), []);
  });

  test('a closed store rejects every call with QUEUE_ERR_STORE', async (t) => {
    const used = await useBacking(t, factory);
    if (used === undefined) return;
    const store = await used.open();
    await store.close();
    await store.close();
    await assert.rejects(store.enqueue(message()), { code: 'QUEUE_ERR_STORE', message: /closed/ });
    await assert.rejects(store.nextDue(), { code: 'QUEUE_ERR_STORE' });
  });
}
