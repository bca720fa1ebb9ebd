/**
 * The messages between a SQLite store (main thread) and its queue worker thread: requests
 * naming an operation, replies carrying a value or a serialised QueueError, and the worker's
 * start-up and wake-up notices. Data only; values must survive structured cloning.
 */
import type { OpName } from '../ops.ts';
import type { QueueErrorCode, StoreCounters } from '../types.ts';

/**
 * Every operation and how the worker batches and commits it:
 * - `durable`: a write someone is told is stored — accepted mail, a recipient's outcome, an
 *   operator's change. Its batch commits with `synchronous = FULL`: the WAL is fsync'd before
 *   any reply of the batch goes out.
 * - `lease`: a write of leases and connection slots only. They mean nothing once every process
 *   on the machine is gone (owners are per process, leases expire), and only a power loss or an
 *   OS crash could undo the commit. So a batch with no `durable` write commits with
 *   `synchronous = NORMAL`: at once visible to every process (WAL), without an fsync of its own.
 *   The next FULL commit fsyncs the WAL, and with it every frame written before.
 * - `read` joins a batch; `solo` runs alone.
 * A batch with any write begins IMMEDIATE and commits once (the group commit).
 */
export const OPS: Record<OpName | 'close', 'read' | 'lease' | 'durable' | 'solo'> = {
  enqueue: 'durable',
  claim: 'lease',
  renew: 'lease',
  complete: 'durable',
  force: 'durable',
  releaseLeases: 'lease',
  acquireSlot: 'lease',
  renewSlot: 'lease',
  releaseSlot: 'lease',
  retry: 'durable',
  setHeld: 'durable',
  delete: 'durable',
  prune: 'durable',
  checkWritable: 'durable',
  body: 'read',
  nextDue: 'read',
  list: 'read',
  show: 'read',
  stats: 'read',
  schema: 'read',
  migrate: 'solo',
  close: 'solo',
};

/**
 * Operations that may commit before `complete`s the worker holds back for a shared fsync (see
 * worker.ts): they neither read nor change what a held `complete` changes in a way its caller
 * could see — a held recipient keeps its lease, so no claim takes it. Any other operation first
 * commits every held `complete`, in the order they came.
 */
export const PASSES_HELD_COMPLETE: ReadonlySet<OpName | 'close'> = new Set([
  'claim',
  'renew',
  'acquireSlot',
  'renewSlot',
  'releaseSlot',
  'body',
  'nextDue',
  'list',
  'show',
  'stats',
  'schema',
]);

/** How the worker opens the file (workerData). */
export interface WorkerConfig {
  /** File path (absolute) or ':memory:'. */
  path: string;
  /** The store as named in messages (`sqlite:/var/lib/dane-mta/queue.db`). */
  where: string;
  create: boolean;
  requireCurrent: boolean;
  lockTimeoutMs: number;
  groupCommit: boolean;
  /**
   * With group commit: how long a `complete` may wait for others, or for an enqueue, to share
   * its fsync (ms; 0: not at all).
   */
  commitDelayMs: number;
  /** Interval of the check for other processes' commits while someone listens (ms). */
  watchMs: number;
}

export interface WireError {
  code: QueueErrorCode;
  message: string;
}

export type ToWorker =
  { type: 'op'; id: number; op: OpName | 'close'; args: unknown[] } | { type: 'watch'; on: boolean };

export type FromWorker =
  | { type: 'ready'; counters: StoreCounters }
  | { type: 'fatal'; error: WireError }
  | { type: 'work' }
  | { type: 'reply'; id: number; ok: true; value: unknown; counters: StoreCounters }
  | { type: 'reply'; id: number; ok: false; error: WireError; counters: StoreCounters };
