/**
 * The SQLite driver as the main thread sees it: a `Backend` that posts each operation to the
 * store's worker thread (worker.ts owns the connection and does the group commit) and resolves
 * with its reply, so the event loop never waits for SQLite or an fsync. The worker is unref'd
 * while no request is in flight, so an idle store does not keep the process alive. If the
 * worker dies, every pending and later call rejects with QUEUE_ERR_STORE.
 * Must never touch the database from this thread.
 */
import { Worker } from 'node:worker_threads';
import { describeError } from '../../util/index.ts';
import { StoreFront } from '../front.ts';
import type { Backend, OpArgs, OpName, OpResults } from '../ops.ts';
import type { OpenOptions, QueueStore, StoreCounters } from '../types.ts';
import { QueueError } from '../types.ts';
import type { FromWorker, ToWorker, WireError, WorkerConfig } from './protocol.ts';

/**
 * How long a `complete` may wait to share its fsync (ms). Delivery never waits for it — a
 * connection goes on with its next message meanwhile — so 10 ms costs nothing but turns the
 * fsync per delivered message into one per batch under load.
 */
const COMMIT_DELAY_MS = 10;

/** How often a listening store looks for other processes' commits (ms). */
const WATCH_MS = 250;

interface Call {
  resolve: (value: unknown) => void;
  reject: (err: QueueError) => void;
}

function fromWire(error: WireError): QueueError {
  return new QueueError(error.code, error.message);
}

function workerUrl(): URL {
  // Built code runs dist/…/worker.js; the sources (type stripping) run worker.ts.
  return new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
}

/** Starts a worker and waits for it to open the file (its first message). */
function startWorker(config: WorkerConfig): Promise<{ worker: Worker; counters: StoreCounters }> {
  // The worker inherits node's flags, except one a worker refuses (`node --input-type=module -e`).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(workerUrl(), { workerData: config, execArgv });
  const where = config.where;
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const fail = (err: QueueError): void => {
      settle();
      void worker.terminate();
      reject(err);
    };
    const onMessage = (message: FromWorker): void => {
      if (message.type === 'ready') {
        settle();
        resolve({ worker, counters: message.counters });
      } else if (message.type === 'fatal') fail(fromWire(message.error));
      else fail(new QueueError('QUEUE_ERR_STORE', `queue store ${where}: worker sent ${message.type} first`));
    };
    const onError = (err: Error): void => {
      fail(new QueueError('QUEUE_ERR_STORE', `queue store ${where}: ${describeError(err)}`, { cause: err }));
    };
    const onExit = (code: number): void => {
      fail(
        new QueueError('QUEUE_ERR_STORE', `queue store ${where}: worker exited with ${code} while opening`),
      );
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Opens (creating and migrating as `opts` say) the SQLite queue at `path`. */
export async function openSqliteStore(
  path: string,
  where: string,
  opts: OpenOptions = {},
): Promise<QueueStore> {
  const config: WorkerConfig = {
    path,
    where,
    create: opts.create ?? true,
    requireCurrent: opts.requireCurrent ?? true,
    lockTimeoutMs: opts.lockTimeoutMs ?? 5000,
    groupCommit: opts.groupCommit ?? true,
    commitDelayMs: opts.commitDelayMs ?? COMMIT_DELAY_MS,
    watchMs: WATCH_MS,
  };
  const { worker, counters } = await startWorker(config);
  return new StoreFront(new SqliteBackend(worker, where, { watch: opts.listen !== false, counters }));
}

class SqliteBackend implements Backend {
  readonly kind = 'sqlite';
  readonly where: string;
  readonly #worker: Worker;
  readonly #watch: boolean;
  readonly #calls = new Map<number, Call>();
  #wake: (() => void) | undefined;
  #nextId = 1;
  #closing = false;
  #failure: QueueError | undefined;
  #counters: StoreCounters;

  constructor(worker: Worker, where: string, opts: { watch: boolean; counters: StoreCounters }) {
    this.#worker = worker;
    this.where = where;
    this.#watch = opts.watch;
    this.#counters = opts.counters;
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      this.#receive(message);
    });
    worker.on('error', (err) => {
      this.#fail(`worker failed: ${describeError(err)}`);
    });
    worker.on('exit', (code) => {
      if (!this.#closing) this.#fail(`worker exited with ${code}`);
    });
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  #receive(message: FromWorker): void {
    if (message.type === 'work') {
      this.#wake?.();
      return;
    }
    if (message.type !== 'reply') return;
    const call = this.#calls.get(message.id);
    if (call === undefined) return;
    this.#calls.delete(message.id);
    if (this.#calls.size === 0) this.#worker.unref();
    this.#counters = message.counters;
    if (message.ok) call.resolve(message.value);
    else call.reject(fromWire(message.error));
  }

  #fail(why: string): void {
    this.#failure ??= new QueueError('QUEUE_ERR_STORE', `queue store ${this.where}: ${why}`);
    for (const call of this.#calls.values()) call.reject(this.#failure);
    this.#calls.clear();
  }

  #send(op: OpName | 'close', args: unknown[]): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      if (this.#calls.size === 1) this.#worker.ref();
      this.#post({ type: 'op', id, op, args });
    });
  }

  async call<K extends OpName>(op: K, args: OpArgs[K]): Promise<OpResults[K]> {
    // Structured cloning keeps `undefined` results; nothing else needs converting.
    return (await this.#send(op, args)) as OpResults[K];
  }

  counters(): StoreCounters {
    return { ...this.#counters };
  }

  listen(wake: (() => void) | undefined): void {
    this.#wake = wake;
    if (this.#watch && this.#failure === undefined) this.#post({ type: 'watch', on: wake !== undefined });
  }

  async close(): Promise<void> {
    this.#wake = undefined;
    try {
      if (this.#failure === undefined) await this.#send('close', []);
    } finally {
      this.#closing = true;
      await this.#worker.terminate();
    }
  }
}
