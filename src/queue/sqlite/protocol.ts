/**
 * The messages between a SQLite store (main thread) and its queue worker thread: requests
 * naming an operation, replies carrying a value or a serialised QueueError, and the worker's
 * start-up and wake-up notices. Data only; values must survive structured cloning.
 */
import type { OpName } from '../ops.ts';
import type { QueueErrorCode, StoreCounters } from '../types.ts';

/**
 * Every operation and how the worker batches it: `read` and `write` join a batch transaction
 * (a batch with a write begins IMMEDIATE and commits once — the group commit); `solo` runs alone.
 */
export const OPS: Record<OpName | 'close', 'read' | 'write' | 'solo'> = {
  enqueue: 'write',
  claim: 'write',
  renew: 'write',
  complete: 'write',
  force: 'write',
  releaseLeases: 'write',
  acquireSlot: 'write',
  renewSlot: 'write',
  releaseSlot: 'write',
  retry: 'write',
  setHeld: 'write',
  delete: 'write',
  prune: 'write',
  checkWritable: 'write',
  body: 'read',
  nextDue: 'read',
  list: 'read',
  show: 'read',
  stats: 'read',
  schema: 'read',
  migrate: 'solo',
  close: 'solo',
};

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
