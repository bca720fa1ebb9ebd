/**
 * The durable queue's contract (DESIGN.md "The daemon (C6)", "Queue model"): a message —
 * envelope, DSN parameters, body stored once — with one row per recipient carrying its own
 * state, attempts, next attempt time and last attempt record. Every driver (SQLite, PostgreSQL)
 * implements `QueueStore` and passes the one store test suite under test/queue/.
 *
 * Promises every driver keeps:
 * - `enqueue` resolves only once the message and its recipients are durable (fsync'd); a
 *   failure rejects with `QueueError` code `QUEUE_ERR_STORE` and stores nothing (all or nothing).
 * - Work is claimed with a lease (owner, expiry). A recipient leased by a live owner is never
 *   handed to another; a lease that expires makes the recipient claimable again (at-least-once).
 *   `complete` applies results only for recipients whose lease the owner still holds.
 * - `complete` is atomic: recipient updates, the attempt log entry and any messages to enqueue
 *   (DSNs) commit together or not at all.
 * - Held recipients are never claimed; the time they spend held does not count towards
 *   `max_age` (`heldMs`).
 * - No method holds a transaction open across I/O of the caller (an SMTP session).
 *
 * Times are milliseconds since the Unix epoch, passed in by the caller (tests pin them); the
 * store never reads the clock except where a method says so. Must never: import anything of
 * dns/, dane/, smtp/ or delivery/ — attempt records are opaque JSON here.
 */
import { MtaError } from '../util/index.ts';

/** DESIGN.md's four recipient states. `held` is a separate flag, not a state. */
export type RecipientState = 'queued' | 'deferred' | 'delivered' | 'bounced';
export const RECIPIENT_STATES: readonly RecipientState[] = ['queued', 'deferred', 'delivered', 'bounced'];

/** A JSON value as stored (the attempt record of DESIGN.md's CLI contract, transcripts, …). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** RFC 3461 NOTIFY keywords. */
export type NotifyKeyword = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

/** A recipient as intake hands it to the queue. */
export interface NewRecipient {
  /** The address as given in RCPT TO, without angle brackets. */
  address: string;
  /**
   * Destination key: the domain in lower-case A-labels without a trailing dot, or the address
   * literal with its brackets (`[192.0.2.1]`). Recipients with the same key go out together.
   */
  domain: string;
  /** RFC 3461 §4.1 NOTIFY; absent = not given (the default behaviour applies). */
  notify?: NotifyKeyword[];
  /** RFC 3461 §4.2 ORCPT as received: `addr-type;xtext-decoded-address`, e.g. `rfc822;a@b.example`. */
  orcpt?: string;
}

/** Where a message came from (for Received:, logs and `queue show`). */
export interface MessageOrigin {
  /** Client IP address. */
  address: string;
  /** EHLO/HELO argument. */
  helo?: string;
  /** Authenticated user (submission). */
  user?: string;
  /** The listener (`IP:port`) that took it in. */
  listener?: string;
}

/** A message as intake (or the DSN generator) hands it to the queue. */
export interface NewMessage {
  /** Queue id (`newQueueId`): unique, 20 characters, sortable by arrival time. */
  id: string;
  /** Reverse path; '' for the null sender `<>`. */
  from: string;
  /** Arrival time (DSN Arrival-Date). */
  received: number;
  /** The whole message as it will be sent (our Received: header included). */
  body: Uint8Array;
  /** RFC 3461 §4.4 ENVID (xtext-decoded). */
  envid?: string;
  /** RFC 3461 §4.3 RET. */
  ret?: 'FULL' | 'HDRS';
  /** The message needs SMTPUTF8 (RFC 6531): the client used it. */
  smtputf8: boolean;
  /** BODY=8BITMIME was given (RFC 6152). */
  eightBitMime: boolean;
  /** REQUIRETLS was given on MAIL FROM (RFC 8689); recorded. */
  requireTls: boolean;
  origin?: MessageOrigin;
  /** `dsn`: a delivery status notification we generated (from `<>`; never answered with a DSN). */
  kind: 'normal' | 'dsn';
  recipients: NewRecipient[];
}

/** A message's envelope as stored (everything but the body and recipients). */
export interface MessageInfo {
  id: string;
  from: string;
  received: number;
  /** Body size in octets. */
  size: number;
  envid?: string;
  ret?: 'FULL' | 'HDRS';
  smtputf8: boolean;
  eightBitMime: boolean;
  requireTls: boolean;
  origin?: MessageOrigin;
  kind: 'normal' | 'dsn';
}

/** One recipient row. */
export interface QueuedRecipient {
  /** Row id, unique in the store. */
  rid: number;
  messageId: string;
  address: string;
  domain: string;
  notify?: NotifyKeyword[];
  orcpt?: string;
  state: RecipientState;
  /** Administratively held (`queue hold`): never claimed while true. */
  held: boolean;
  /** Total time spent in finished holds; the current hold (if any) is not included. */
  heldMs: number;
  attempts: number;
  /** When it is due (queued/deferred); null once final. */
  nextAttempt: number | null;
  /** Time of the last attempt, null before the first. */
  lastAttemptAt: number | null;
  /** A delay DSN was sent for it (at most one, DESIGN.md). */
  delayWarned: boolean;
  /** Enhanced status code and one-line reason of the last result. */
  enhanced: string | null;
  reason: string | null;
  /** The attempt record (DESIGN.md CLI contract) of the last attempt, or null. */
  last: Json | null;
}

/** A message and those of its recipients that a claim leased. */
export interface ClaimedMessage {
  message: MessageInfo;
  recipients: QueuedRecipient[];
}

export interface ClaimOptions {
  /** Lease owner (node id); unique per running process. */
  owner: string;
  now: number;
  /** Lease length; the owner renews with `renew` while it works. */
  leaseMs: number;
  /** At most this many recipients. */
  limit: number;
  /** Skip recipients of these destination keys (backed off, at their limit). */
  excludeDomains?: readonly string[];
  /** Only recipients of this destination key. */
  domain?: string;
}

/** The result of one recipient's attempt. */
export interface RecipientUpdate {
  rid: number;
  state: 'deferred' | 'delivered' | 'bounced';
  /** Required for `deferred`: when to try again. */
  nextAttempt?: number;
  enhanced: string;
  reason: string;
  /** Attempt record of the attempt that decided it (null when no connection was made). */
  last: Json | null;
  /** Set when a delay DSN for this recipient is enqueued in the same `complete`. */
  delayWarned?: boolean;
  /** Count this as an attempt (default true; false for e.g. an admin bounce). */
  countAttempt?: boolean;
}

/** One delivery attempt for a message's recipients at one destination, with its transcript. */
export interface AttemptLogEntry {
  messageId: string;
  domain: string;
  at: number;
  /** The recipients' addresses. */
  recipients: string[];
  /** `delivered`, `deferred`, `bounced` (the worst of the recipients'). */
  outcome: string;
  /** Every attempt record of this delivery (one per connection tried), as JSON. */
  records: Json;
  /** The transcript lines (DESIGN.md "Transcript"). */
  transcript: string[];
}

export interface CompleteInput {
  /** Results; applied only where `owner` still holds the recipient's lease (see `forced`). */
  updates: RecipientUpdate[];
  attempt?: AttemptLogEntry;
  /** Messages to enqueue in the same transaction (DSNs). */
  enqueue?: NewMessage[];
}

export interface CompleteResult {
  /** Row ids whose update was applied. */
  applied: number[];
  /** Row ids skipped: lease lost (expired and taken over), message deleted, already final. */
  skipped: number[];
}

/** Which messages an administrative command acts on. */
export type Selection = { id: string } | { domain: string } | { all: true };

export interface ListFilter {
  state?: RecipientState;
  /** Destination key (exact). */
  domain?: string;
  /** Only messages with at least one held recipient. */
  held?: boolean;
  limit?: number;
}

/** A message with its recipients, as `queue list` and `queue show` see it. */
export interface MessageView {
  message: MessageInfo;
  recipients: QueuedRecipient[];
}

/** `queue show`: the message view, its attempts (oldest first) and, on request, the body. */
export interface MessageDetail extends MessageView {
  attempts: AttemptLogEntry[];
}

export interface QueueStats {
  /** Recipients by state (every state present, 0 when none). */
  byState: Record<RecipientState, number>;
  /** Held recipients (any non-final state). */
  held: number;
  /** Age in ms of the oldest message with a non-final recipient, null when none. */
  oldestMs: number | null;
  /** Destinations by number of deferred recipients, most first (at most `top`). */
  topDeferred: { domain: string; deferred: number }[];
}

/** Schema state of a store, for `queue migrate` and the start-up check. */
export interface SchemaInfo {
  /** Version found in the database (0 = empty). */
  current: number;
  /** Newest version this build knows. */
  known: number;
}

/**
 * The queue store. Every method may reject with `QueueError` (`QUEUE_ERR_STORE` for I/O and
 * database failures, `QUEUE_ERR_SCHEMA` for a schema newer than this build).
 */
export interface QueueStore {
  /** `sqlite` or `postgres`. */
  readonly kind: string;

  /** Durably store a message and its recipients (state `queued`, due at `received`). */
  enqueue(message: NewMessage): Promise<void>;
  /**
   * Lease up to `limit` due recipients (state queued/deferred, not held, nextAttempt ≤ now, no
   * live lease), oldest due first, grouped by message. Several nodes may claim concurrently;
   * none gets a recipient another holds.
   */
  claim(opts: ClaimOptions): Promise<ClaimedMessage[]>;
  /** Extend the owner's leases on these rows to `until`; resolves to the rows still held. */
  renew(owner: string, rids: readonly number[], until: number): Promise<number[]>;
  /** Apply results (see CompleteInput); atomic. `now` is the commit time. */
  complete(owner: string, input: CompleteInput, now: number): Promise<CompleteResult>;
  /**
   * Drop every lease of `owner` (clean shutdown): its recipients become claimable at once, and
   * its destination slots (`acquireSlot`) are given back.
   */
  releaseLeases(owner: string): Promise<void>;
  /** The body of a message, or undefined when it is gone. */
  body(messageId: string): Promise<Uint8Array | undefined>;
  /**
   * The earliest time a non-final, non-held recipient becomes claimable, or undefined when none
   * is waiting: its nextAttempt, or for a leased recipient the later of nextAttempt and the
   * lease's expiry (so a scheduler never spins on work another owner holds).
   */
  nextDue(): Promise<number | undefined>;

  /**
   * Cross-node connection slots per destination (PostgreSQL scale-out): take one of `limit`
   * slots of `key` for `owner` until `until`; resolves to the slot number, or undefined when
   * all are taken by live leases (an expired slot lease is taken over).
   */
  acquireSlot(
    key: string,
    opts: { owner: string; limit: number; now: number; until: number },
  ): Promise<number | undefined>;
  /**
   * Extend `owner`'s lease on a slot to `until` while its connection lives on; false when the
   * slot is no longer the owner's (it expired and another owner took it over).
   */
  renewSlot(key: string, slot: number, opts: { owner: string; until: number }): Promise<boolean>;
  /** Give a slot back. */
  releaseSlot(key: string, slot: number, owner: string): Promise<void>;

  /**
   * Call `listener` when work may have become due: this process's own enqueue/retry/release,
   * and (PostgreSQL: LISTEN/NOTIFY; SQLite: a watch for other processes' commits) other nodes'
   * — the listeners are called once when that cross-process listening starts or resumes, since
   * work may have come in unheard. May be called spuriously; callers still poll.
   * Returns the unsubscribe function.
   */
  onWork(listener: () => void): () => void;

  // --- administration (`dane-mta queue …`), safe while daemons run ---
  list(filter?: ListFilter): Promise<MessageView[]>;
  show(id: string): Promise<MessageDetail | undefined>;
  stats(now: number, opts?: { top?: number }): Promise<QueueStats>;
  /** Make non-final, non-held recipients due at `now`; resolves to the number of recipients. */
  retry(sel: Selection, now: number): Promise<number>;
  /** Hold or release non-final recipients; resolves to the number changed. */
  setHeld(sel: Selection, held: boolean, now: number): Promise<number>;
  /** Remove a message entirely (any state); false when unknown. */
  delete(id: string): Promise<boolean>;
  /**
   * Apply updates to recipients without a lease check (administrative bounce) together with
   * messages to enqueue; atomic.
   */
  force(input: CompleteInput, now: number): Promise<CompleteResult>;
  /** Delete messages whose recipients are all final and whose last change is before `before`. */
  prune(before: number): Promise<number>;

  /** Prove the store is writable now (a small durable write); rejects with the reason. */
  checkWritable(now: number): Promise<void>;
  schema(): Promise<SchemaInfo>;
  /** Apply pending migrations; resolves to the versions applied. */
  migrate(): Promise<number[]>;
  /**
   * What this store instance has cost the database so far (for benchmarks and metrics: the
   * database work per delivered message). Counts of this instance only, since it was opened.
   */
  counters(): StoreCounters;
  close(): Promise<void>;
}

/** Work done by one store instance (see `QueueStore.counters`). */
export interface StoreCounters {
  /**
   * SQL statements sent to the database (transaction control — BEGIN, COMMIT, savepoints — and
   * the SQLite driver's look for other processes' commits are not counted).
   */
  queries: number;
  /**
   * Write transactions committed with a durable flush of their own (fsync / WAL flush). SQLite
   * commits transactions of leases and slots alone without one (sqlite/protocol.ts `OPS`) and
   * does not count them.
   */
  commits: number;
}

export type QueueErrorCode = 'QUEUE_ERR_STORE' | 'QUEUE_ERR_SCHEMA' | 'QUEUE_ERR_URL' | 'QUEUE_ERR_ARGUMENT';

/** An error of the queue layer; `message` is one line naming what failed. */
export class QueueError extends MtaError<QueueErrorCode> {
  constructor(code: QueueErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'QueueError';
  }
}

/** Options of `openQueueStore`. */
export interface OpenOptions {
  /**
   * Refuse to open a store whose schema is older than this build's (default true: the daemon
   * refuses to start; `queue migrate` opens with `requireCurrent: false` and migrates).
   * A schema *newer* than this build's is always refused (QUEUE_ERR_SCHEMA).
   */
  requireCurrent?: boolean;
  /** Create the database file and apply migrations when it is empty (default true). */
  create?: boolean;
  /**
   * How long a statement waits for a lock another process or node holds before it fails with
   * QUEUE_ERR_STORE (SQLite busy timeout, PostgreSQL `lock_timeout`); default 5000 ms.
   */
  lockTimeoutMs?: number;
  /**
   * Wake `onWork` listeners for other processes' work (default true). PostgreSQL: LISTEN on a
   * dedicated connection (turn it off behind a transaction-pooling proxy, which cannot LISTEN;
   * callers then rely on polling). SQLite: watch the file for other processes' commits.
   */
  listen?: boolean;
  /**
   * SQLite: coalesce the writes waiting in the queue worker into one transaction, one fsync
   * (default true). false commits each request on its own (the benchmark's reference).
   */
  groupCommit?: boolean;
  /**
   * SQLite with group commit: how long a recipient's outcome (`complete`) may wait for other
   * writes to share its fsync, in ms (default 10; 0: commit at once).
   */
  commitDelayMs?: number;
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
}
