/**
 * The one store suite (store-suite.ts) against the PostgreSQL driver, on a server this file
 * starts (test/helpers/postgres.ts: its own cluster on 127.53.23.1 and a free port), each test
 * in a database of its own, dropped at the end; plus what only PostgreSQL has: surviving a
 * server restart, LISTEN/NOTIFY (one NOTIFY per transaction; LISTEN optional). Without
 * PostgreSQL every test is skipped and says why; DANE_MTA_INTEROP=1 makes it mandatory.
 * Address plan: test-file id 23.
 */
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openQueueStore } from '../../src/queue/index.ts';
import type { OpenOptions, QueueStore } from '../../src/queue/index.ts';
import { addressPlan, freePort } from '../interop/index.ts';
import { requirePostgres, startPostgres } from '../helpers/postgres.ts';
import type { PgServer, TestDatabase } from '../helpers/postgres.ts';
import { registerStoreSuite } from './store-suite.ts';
import type { Backing, StoreFactory } from './store-suite.ts';
import { T0, message, wakeups } from './store-kit.ts';

const net = addressPlan(23);
let server: Promise<PgServer> | undefined;

after(async () => {
  if (server !== undefined) await (await server).destroy();
});

/** The file's server, started by the first test that needs it. */
function theServer(): Promise<PgServer> {
  server ??= startPostgres({ address: net.dns(1), label: 'queue' });
  return server;
}

async function postgresBacking(
  t: TestContext,
): Promise<(Backing & { db: TestDatabase; server: PgServer }) | undefined> {
  if (!requirePostgres(t)) return undefined;
  const srv = await theServer();
  const db = await srv.createDatabase();
  return {
    url: db.url,
    db,
    server: srv,
    open: (opts) => openQueueStore(db.url, opts),
    setSchemaVersion: async (version) => {
      await srv.admin(
        'INSERT INTO schema_version (version, applied_at, description) VALUES ($1, 0, $2)',
        [version, 'future'],
        db.name,
      );
    },
    lockWrites: async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query('BEGIN');
      await client.query('LOCK TABLE health IN ACCESS EXCLUSIVE MODE');
      return async () => {
        await client.query('ROLLBACK');
        await client.end();
      };
    },
    dispose: () => db.drop(),
  };
}

const factory: StoreFactory = { name: 'postgres', fresh: postgresBacking };

registerStoreSuite(factory);

/** Clean-ups of one test, run last-in-first-out when it ends (stores before their database). */
function cleanups(t: TestContext): (action: () => unknown) => void {
  const actions: (() => unknown)[] = [];
  t.after(async () => {
    for (const action of actions.reverse()) await action();
  });
  return (action) => {
    actions.push(action);
  };
}

interface Used {
  b: Backing & { db: TestDatabase; server: PgServer };
  defer: (action: () => unknown) => void;
  open: (opts?: OpenOptions) => Promise<QueueStore>;
}

/** A database of this test and a way to open stores on it, all cleaned up when the test ends. */
async function backed(t: TestContext): Promise<Used | undefined> {
  const b = await postgresBacking(t);
  if (b === undefined) return undefined;
  const defer = cleanups(t);
  defer(() => b.dispose());
  const open = async (opts: OpenOptions = {}): Promise<QueueStore> => {
    const store = await openQueueStore(b.url, opts);
    defer(() => store.close());
    return store;
  };
  return { b, defer, open };
}

describe('queue store (postgres): what only PostgreSQL has', () => {
  test('a server that is not there: QUEUE_ERR_STORE, one line, naming the store without its password', async () => {
    const address = net.dns(3); // nothing listens here
    const port = await freePort(address);
    const url = `postgres://mta:s3cret@${address}:${port}/queue`;
    await assert.rejects(openQueueStore(url), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'QUEUE_ERR_STORE');
      assert.ok(
        err.message.startsWith(`queue store postgres://mta:***@${address}:${port}/queue: `),
        err.message,
      );
      assert.match(err.message, /ECONNREFUSED/);
      assert.doesNotMatch(err.message, /s3cret|\n/);
      return true;
    });
  });

  test('one NOTIFY per transaction: an enqueue, a complete with two DSNs', async (t) => {
    const used = await backed(t);
    if (used === undefined) return;
    const b = used.b;
    const store = await used.open({ listen: false });
    const raw = new pg.Client({ connectionString: b.url });
    await raw.connect();
    used.defer(() => raw.end());
    const seen: string[] = [];
    let fence: (() => void) | undefined;
    raw.on('notification', (n) => {
      if (n.payload === 'fence') fence?.();
      else seen.push(n.channel);
    });
    await raw.query('LISTEN dane_mta_work');
    // A NOTIFY of our own after the operations: when it arrives, theirs have arrived.
    const drain = async (): Promise<void> => {
      const arrived = new Promise<void>((resolve) => (fence = resolve));
      await raw.query("SELECT pg_notify('dane_mta_work', 'fence')");
      await arrived;
    };
    const m = message({ to: ['a@example.org', 'b@example.org', 'c@example.org'] });
    await store.enqueue(m);
    await drain();
    assert.deepEqual(seen, ['dane_mta_work'], 'one enqueue of three recipients, one NOTIFY');
    const claimed = await store.claim({ owner: 'n', now: T0, leaseMs: 1000, limit: 10 });
    const updates = claimed[0]!.recipients.map((r) => ({
      rid: r.rid,
      state: 'bounced' as const,
      enhanced: '5.0.0',
      reason: 'no',
      last: null,
    }));
    const dsns = [message({ from: '', kind: 'dsn' }), message({ from: '', kind: 'dsn' })];
    await store.complete('n', { updates, enqueue: dsns }, T0 + 1);
    await drain();
    assert.deepEqual(seen, ['dane_mta_work', 'dane_mta_work'], 'one complete with two DSNs, one NOTIFY');
  });

  test('LISTEN is optional: with listen: false no connection listens', async (t) => {
    const used = await backed(t);
    if (used === undefined) return;
    const b = used.b;
    const listeners = async (): Promise<number> => {
      const r = await b.server.admin(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'",
        [b.db.name],
      );
      return (r.rows[0] as { n: number }).n;
    };
    const polling = await used.open({ listen: false });
    const offPolling = polling.onWork(() => undefined);
    const listening = await used.open();
    const wakes = wakeups(listening);
    used.defer(wakes.stop);
    await wakes.next(); // LISTEN is in place
    assert.equal(await listeners(), 1, 'only the store opened with listen: true');
    wakes.stop();
    offPolling();
  });

  test('the pool survives a server restart: QUEUE_ERR_STORE while it is down, then work again', async (t) => {
    const used = await backed(t);
    if (used === undefined) return;
    const b = used.b;
    // `store` does the work; `listening` only listens, so each of its wake-ups comes from LISTEN.
    const store = await used.open({ listen: false, lockTimeoutMs: 1000 });
    const listening = await used.open();
    const wakes = wakeups(listening);
    used.defer(wakes.stop);
    await wakes.next(); // LISTEN is in place
    const before = message({ received: T0 });
    await store.enqueue(before);
    await wakes.next(); // heard
    await b.server.stop();
    try {
      for (const call of [
        () => store.enqueue(message()),
        () => store.checkWritable(T0),
        () => store.nextDue(),
      ]) {
        await assert.rejects(call(), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'QUEUE_ERR_STORE');
          assert.match(err.message, /^queue store postgres:\/\/postgres@127\.53\.23\.1:\d+\/\w+: /);
          assert.doesNotMatch(err.message, /\n/);
          return true;
        });
      }
    } finally {
      await b.server.start();
    }
    await wakes.next(); // LISTEN is back, and says so: work may have come in unheard
    const afterwards = message({ received: T0 + 1 });
    await store.enqueue(afterwards);
    await store.checkWritable(T0 + 2);
    assert.deepEqual(
      (await store.list()).map((v) => v.message.id),
      [before.id, afterwards.id],
    );
    await wakes.next(); // and another node's enqueue is heard again
  });
});
