/**
 * The PostgreSQL driver (`postgres://…`, scale-out): a `Backend` over a connection pool for the
 * shared front. Opening connects, refuses a schema newer than this build (and, with
 * `requireCurrent`, an older one), and migrates an empty database when `create` allows it.
 * onWork listens on a dedicated connection (LISTEN) unless opened with `listen: false`, for use
 * behind a transaction-pooling proxy, where nodes poll instead.
 * Must never hold a transaction open across the caller's I/O.
 */
import { StoreFront } from '../front.ts';
import type { Backend, OpArgs, OpName, OpResults } from '../ops.ts';
import type { OpenOptions, QueueStore, StoreCounters } from '../types.ts';
import { QueueError } from '../types.ts';
import { PgDb } from './db.ts';
import { Listener } from './listen.ts';
import * as admin from './ops-admin.ts';
import * as work from './ops-work.ts';
import { KNOWN_VERSION, currentVersion, migrate, refuseNewer } from './schema.ts';

type Handlers = { [K in OpName]: (db: PgDb, ...args: OpArgs[K]) => Promise<OpResults[K]> };

const HANDLERS: Handlers = {
  enqueue: (db, m) => work.enqueue(db, m),
  claim: (db, opts) => work.claim(db, opts),
  renew: (db, owner, rids, until) => work.renew(db, owner, rids, until),
  complete: (db, owner, input, now) => work.complete(db, input, now, owner),
  force: (db, input, now) => work.complete(db, input, now, null),
  releaseLeases: (db, owner) => work.releaseLeases(db, owner),
  acquireSlot: (db, key, req) => work.acquireSlot(db, key, req),
  renewSlot: (db, key, slot, owner, until) => work.renewSlot(db, key, slot, owner, until),
  releaseSlot: (db, key, slot, owner) => work.releaseSlot(db, key, slot, owner),
  body: (db, id) => work.body(db, id),
  nextDue: (db) => work.nextDue(db),
  list: (db, filter) => admin.list(db, filter),
  show: (db, id) => admin.show(db, id),
  stats: (db, now, top) => admin.stats(db, now, top),
  retry: (db, sel, now) => admin.retry(db, sel, now),
  setHeld: (db, sel, held, now) => admin.setHeld(db, sel, held, now),
  delete: (db, id) => admin.remove(db, id),
  prune: (db, before) => admin.prune(db, before),
  checkWritable: (db, now) => admin.checkWritable(db, now),
  schema: async (db) => ({ current: await currentVersion(db), known: KNOWN_VERSION }),
  // The one place the store reads the clock: applied_at of a migration (informational).
  migrate: (db) => migrate(db, Date.now()),
};

class PostgresBackend implements Backend {
  readonly kind = 'postgres';
  readonly where: string;
  readonly #db: PgDb;
  readonly #listen: boolean;
  #listener: Listener | undefined;

  constructor(db: PgDb, listen: boolean) {
    this.#db = db;
    this.where = db.where;
    this.#listen = listen;
  }

  async call<K extends OpName>(op: K, args: OpArgs[K]): Promise<OpResults[K]> {
    const fn = HANDLERS[op] as (db: PgDb, ...args: OpArgs[K]) => Promise<OpResults[K]>;
    try {
      return await fn(this.#db, ...args);
    } catch (err) {
      throw this.#db.error(err);
    }
  }

  counters(): StoreCounters {
    return this.#db.counters();
  }

  listen(wake: (() => void) | undefined): void {
    if (!this.#listen) return;
    if (wake === undefined) {
      void this.#listener?.stop();
      this.#listener = undefined;
    } else {
      this.#listener ??= new Listener(this.#db.clientConfig(), wake);
    }
  }

  async close(): Promise<void> {
    await this.#listener?.stop();
    this.#listener = undefined;
    await this.#db.close();
  }
}

/** Opens the PostgreSQL queue at `url` (`where`: the URL without its password, for messages). */
export async function openPostgresStore(
  url: string,
  where: string,
  opts: OpenOptions = {},
): Promise<QueueStore> {
  const db = new PgDb(url, where, {
    poolSize: opts.poolSize ?? 10,
    lockTimeoutMs: opts.lockTimeoutMs ?? 5000,
  });
  try {
    let current = await currentVersion(db);
    refuseNewer(current, where);
    if (current === 0 && (opts.create ?? true)) {
      await migrate(db, Date.now());
      current = await currentVersion(db);
    }
    if (current < KNOWN_VERSION && (opts.requireCurrent ?? true)) {
      throw new QueueError(
        'QUEUE_ERR_SCHEMA',
        `queue store ${where} has schema version ${current}, older than this build's ${KNOWN_VERSION}; run \`dane-mta queue migrate\``,
      );
    }
  } catch (err) {
    await db.close().catch(() => undefined);
    throw db.error(err);
  }
  return new StoreFront(new PostgresBackend(db, opts.listen !== false));
}
