/**
 * The SQLite queue's worker thread: it owns the one database connection of a store and runs
 * every operation, so the main thread never waits for SQLite or for an fsync.
 *
 * Group commit: requests that arrive while a transaction commits wait in the message port; the
 * next batch takes all of them (up to MAX_BATCH) into one `BEGIN IMMEDIATE … COMMIT`, each
 * inside its own SAVEPOINT, so one fsync is shared by every caller in the batch while each
 * request stays all-or-nothing (a failing one is rolled back to its savepoint alone). Replies go
 * out only after COMMIT returns: nobody hears "stored" before the data is durable. With
 * `groupCommit: false` every request commits alone (the benchmark's reference).
 *
 * What a batch pays for (protocol.ts `OPS`): a batch with a durable write commits with
 * `synchronous = FULL`, one of leases, slots and reads only with `NORMAL` (no fsync of its own).
 * A `complete` waits up to `commitDelayMs` for company — the next enqueue, other completes —
 * so that deliveries do not each cost an fsync; meanwhile only operations that cannot observe
 * it (`PASSES_HELD_COMPLETE`) commit ahead of it, everything else first commits the held ones.
 *
 * Must never reply before the commit, and never let one request's failure undo another's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describeError } from '../../util/index.ts';
import { QueueError } from '../types.ts';
import type { OpArgs, OpName, OpResults } from '../ops.ts';
import type { StoreCounters } from '../types.ts';
import { Db } from './db.ts';
import * as admin from './ops-admin.ts';
import * as work from './ops-work.ts';
import type { FromWorker, ToWorker, WireError, WorkerConfig } from './protocol.ts';
import { OPS, PASSES_HELD_COMPLETE } from './protocol.ts';
import { KNOWN_VERSION, configure, currentVersion, migrate, refuseNewer } from './schema.ts';

/** At most this many requests share one transaction (bounds the time a batch holds the lock). */
const MAX_BATCH = 256;

type Request = Extract<ToWorker, { type: 'op' }>;
type Outcome = { ok: true; value: unknown } | { ok: false; error: WireError };

const config = workerData as WorkerConfig;
const port = parentPort;

function toWire(err: unknown): WireError {
  if (err instanceof QueueError) return { code: err.code, message: err.message };
  return { code: 'QUEUE_ERR_STORE', message: `queue store ${config.where}: ${describeError(err)}` };
}

function openDb(): Db {
  const raw = new Database(config.path, { fileMustExist: !config.create, timeout: config.lockTimeoutMs });
  const db = new Db(raw);
  try {
    configure(db, config.lockTimeoutMs);
    let current = currentVersion(db);
    refuseNewer(current, config.where);
    if (current === 0 && config.create) {
      migrate(db, Date.now(), config.where);
      current = currentVersion(db);
    }
    if (current < KNOWN_VERSION && config.requireCurrent) {
      throw new QueueError(
        'QUEUE_ERR_SCHEMA',
        `queue store ${config.where} has schema version ${current}, older than this build's ${KNOWN_VERSION}; run \`dane-mta queue migrate\``,
      );
    }
    return db;
  } catch (err) {
    raw.close();
    throw err;
  }
}

type Handlers = { [K in OpName]: (db: Db, ...args: OpArgs[K]) => OpResults[K] };

/** Every operation, with its arguments as the store posts them. */
const HANDLERS: Handlers = {
  enqueue: (db, m) => {
    work.enqueue(db, m);
    return undefined;
  },
  claim: (db, opts) => work.claim(db, opts),
  renew: (db, owner, rids, until) => work.renew(db, owner, rids, until),
  complete: (db, owner, input, now) => work.complete(db, input, now, owner),
  force: (db, input, now) => work.complete(db, input, now, null),
  releaseLeases: (db, owner) => {
    work.releaseLeases(db, owner);
    return undefined;
  },
  acquireSlot: (db, key, req) => work.acquireSlot(db, key, req),
  renewSlot: (db, key, slot, owner, until) => work.renewSlot(db, key, slot, owner, until),
  releaseSlot: (db, key, slot, owner) => {
    work.releaseSlot(db, key, slot, owner);
    return undefined;
  },
  body: (db, id) => work.body(db, id),
  nextDue: (db) => work.nextDue(db),
  list: (db, filter) => admin.list(db, filter),
  show: (db, id) => admin.show(db, id),
  stats: (db, now, top) => admin.stats(db, now, top),
  retry: (db, sel, now) => admin.retry(db, sel, now),
  setHeld: (db, sel, held, now) => admin.setHeld(db, sel, held, now),
  delete: (db, id) => admin.remove(db, id),
  prune: (db, before) => admin.prune(db, before),
  checkWritable: (db, now) => {
    admin.checkWritable(db, now);
    return undefined;
  },
  schema: (db) => ({ current: currentVersion(db), known: KNOWN_VERSION }),
  // The one place the store reads the clock: applied_at of a migration (informational).
  migrate: (db) => migrate(db, Date.now(), config.where),
};

/** Runs one request's operation (inside the batch transaction unless it is `solo`). */
function handle(db: Db, op: OpName | 'close', args: unknown[]): unknown {
  if (op === 'close') throw new QueueError('QUEUE_ERR_ARGUMENT', 'queue worker: close is not an operation');
  const fn = HANDLERS[op] as (db: Db, ...args: unknown[]) => unknown;
  return fn(db, ...args);
}

class Worker {
  readonly #db: Db;
  readonly #pending: Request[] = [];
  /** `complete`s waiting (at most commitDelayMs) to share a commit; in the order they came. */
  readonly #held: Request[] = [];
  #heldTimer: ReturnType<typeof setTimeout> | undefined;
  #scheduled = false;
  #synchronous: 'FULL' | 'NORMAL' = 'FULL';
  #watch: ReturnType<typeof setInterval> | undefined;
  #dataVersion = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  counters(): StoreCounters {
    return { queries: this.#db.queries, commits: this.#db.commits };
  }

  #send(message: FromWorker): void {
    port?.postMessage(message);
  }

  #reply(req: Request, outcome: Outcome): void {
    const counters = this.counters();
    if (outcome.ok) this.#send({ type: 'reply', id: req.id, ok: true, value: outcome.value, counters });
    else this.#send({ type: 'reply', id: req.id, ok: false, error: outcome.error, counters });
  }

  receive(message: ToWorker): void {
    if (message.type === 'watch') {
      this.#setWatch(message.on);
      return;
    }
    if (message.op === 'complete' && config.groupCommit && config.commitDelayMs > 0) {
      this.#held.push(message);
      this.#heldTimer ??= setTimeout(() => {
        this.#heldTimer = undefined;
        this.#release();
        this.#flush();
      }, config.commitDelayMs);
      return;
    }
    this.#pending.push(message);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After this turn's messages are all queued: whatever waits becomes one batch.
      setImmediate(() => {
        this.#flush();
      });
    }
  }

  /** The held completes join the pending requests, all in the order they came (ids ascend). */
  #release(): void {
    if (this.#heldTimer !== undefined) clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    if (this.#held.length === 0) return;
    const all = [...this.#held.splice(0), ...this.#pending.splice(0)].sort((a, b) => a.id - b.id);
    this.#pending.push(...all);
  }

  #flush(): void {
    this.#scheduled = false;
    // A durable write pays for an fsync anyway: the held completes share it. So does anything
    // that could see them (an operator's command, the release of this owner's leases, close).
    if (this.#pending.some((r) => !PASSES_HELD_COMPLETE.has(r.op))) this.#release();
    while (this.#pending.length > 0) {
      const first = this.#pending[0] as Request;
      if (OPS[first.op] === 'solo') {
        this.#pending.shift();
        this.#solo(first);
        continue;
      }
      let n = 1;
      const max = config.groupCommit ? MAX_BATCH : 1;
      while (n < max && n < this.#pending.length && OPS[(this.#pending[n] as Request).op] !== 'solo') n++;
      this.#batch(this.#pending.splice(0, n));
    }
  }

  /** Switch the connection's synchronous level (outside a transaction), only when it differs. */
  #setSynchronous(level: 'FULL' | 'NORMAL'): void {
    if (this.#synchronous === level) return;
    this.#db.exec(`PRAGMA synchronous = ${level}`);
    this.#synchronous = level;
  }

  #solo(req: Request): void {
    if (req.op === 'close') {
      this.#setWatch(false);
      this.#db.raw.close();
      this.#reply(req, { ok: true, value: undefined });
      port?.close();
      return;
    }
    try {
      this.#setSynchronous('FULL');
      this.#reply(req, { ok: true, value: handle(this.#db, req.op, req.args) });
    } catch (err) {
      this.#reply(req, { ok: false, error: toWire(err) });
    }
  }

  #batch(batch: Request[]): void {
    const db = this.#db;
    const write = batch.some((r) => OPS[r.op] !== 'read');
    const durable = batch.some((r) => OPS[r.op] === 'durable');
    const outcomes: Outcome[] = [];
    try {
      if (write) this.#setSynchronous(durable ? 'FULL' : 'NORMAL');
      db.exec(write ? 'BEGIN IMMEDIATE' : 'BEGIN');
      for (const req of batch) outcomes.push(this.#one(req));
      db.exec('COMMIT');
    } catch (err) {
      // The transaction itself failed (busy, I/O error, disk full): nothing of it is stored.
      if (db.raw.inTransaction) db.exec('ROLLBACK');
      const error = toWire(err);
      for (const req of batch) this.#reply(req, { ok: false, error });
      return;
    }
    // A commit counted is one made durable by its own fsync (StoreCounters.commits).
    if (durable) db.commits++;
    batch.forEach((req, i) => {
      this.#reply(req, outcomes[i] as Outcome);
    });
    if (batch.some((r, i) => r.op === 'prune' && (outcomes[i] as { value?: unknown }).value !== 0)) {
      this.#vacuum();
    }
  }

  /** One request inside the batch transaction, all-or-nothing through its savepoint. */
  #one(req: Request): Outcome {
    const db = this.#db;
    db.exec('SAVEPOINT request');
    try {
      const value = handle(db, req.op, req.args);
      db.exec('RELEASE request');
      return { ok: true, value };
    } catch (err) {
      // SQLite rolled the whole transaction back (I/O error, disk full …): fail the batch.
      if (!db.raw.inTransaction) throw err;
      db.exec('ROLLBACK TO request');
      db.exec('RELEASE request');
      return { ok: false, error: toWire(err) };
    }
  }

  /** Return the pages freed by prune to the file system (auto_vacuum = INCREMENTAL). */
  #vacuum(): void {
    try {
      this.#db.raw.pragma('incremental_vacuum');
    } catch {
      // Housekeeping only (busy with another process): the next prune tries again.
    }
  }

  /** While someone listens: tell the main thread when another process has committed. */
  #setWatch(on: boolean): void {
    if (!on) {
      if (this.#watch !== undefined) clearInterval(this.#watch);
      this.#watch = undefined;
      return;
    }
    if (this.#watch !== undefined) return;
    this.#dataVersion = this.#readDataVersion();
    this.#watch = setInterval(() => {
      const version = this.#readDataVersion();
      if (version !== this.#dataVersion) {
        this.#dataVersion = version;
        this.#send({ type: 'work' });
      }
    }, config.watchMs);
    // Work committed before the watch began would go unnoticed: wake the listeners once.
    this.#send({ type: 'work' });
  }

  /** PRAGMA data_version changes exactly when another connection commits (not counted). */
  #readDataVersion(): number {
    try {
      return this.#db.raw.pragma('data_version', { simple: true }) as number;
    } catch {
      return this.#dataVersion;
    }
  }
}

function main(): void {
  if (port === null) return;
  let worker: Worker;
  try {
    worker = new Worker(openDb());
  } catch (err) {
    port.postMessage({ type: 'fatal', error: toWire(err) } satisfies FromWorker);
    port.close();
    return;
  }
  port.on('message', (message: ToWorker) => {
    worker.receive(message);
  });
  port.postMessage({ type: 'ready', counters: worker.counters() } satisfies FromWorker);
}

main();
