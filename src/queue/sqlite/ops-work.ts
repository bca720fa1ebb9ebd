/**
 * The SQLite queue's work operations — enqueue, claim, renew, complete/force, lease release,
 * body, nextDue and destination slots — as synchronous functions over one connection. The
 * worker runs each inside the transaction of its batch (see worker.ts), so every function here
 * is atomic with respect to other processes and may assume it holds the write lock.
 * Must never open or commit a transaction itself, and never read the clock.
 */
import type { Db } from './db.ts';
import {
  MESSAGE_COLUMNS,
  RECIPIENT_COLUMNS,
  groupByMessage,
  jsonText,
  messageFromRow,
  messageValues,
  notifyText,
  recipientFromRow,
} from '../rows.ts';
import type { MessageRow, RecipientRow } from '../rows.ts';
import type { SlotRequest } from '../ops.ts';
import type {
  AttemptLogEntry,
  ClaimOptions,
  ClaimedMessage,
  CompleteInput,
  CompleteResult,
  NewMessage,
  QueuedRecipient,
  RecipientUpdate,
} from '../types.ts';
import { QueueError } from '../types.ts';

/** Recipients in a state that may still be delivered. */
export const OPEN = "state IN ('queued', 'deferred')";

export function enqueue(db: Db, m: NewMessage): void {
  try {
    db.run(
      `INSERT INTO messages (${MESSAGE_COLUMNS}, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ...messageValues(m),
    );
  } catch (err) {
    if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      throw new QueueError('QUEUE_ERR_ARGUMENT', `queue: message id ${m.id} already exists`, { cause: err });
    }
    throw err;
  }
  db.run('INSERT INTO bodies (message_id, body) VALUES (?, ?)', m.id, m.body);
  for (const r of m.recipients) {
    db.run(
      `INSERT INTO recipients (message_id, address, domain, notify, orcpt, state, next_attempt)
       VALUES (?, ?, ?, ?, ?, 'queued', ?)`,
      m.id,
      r.address,
      r.domain,
      notifyText(r.notify),
      r.orcpt ?? null,
      m.received,
    );
  }
}

/** Messages by id (for grouping claimed or listed recipients). */
export function messagesById(db: Db, ids: readonly string[]): Map<string, MessageRow> {
  const rows = db.all<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT value FROM json_each(?))`,
    JSON.stringify(ids),
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Recipients with their messages, grouped by message in the order of `recipients`. */
export function withMessages(db: Db, recipients: readonly QueuedRecipient[]): ClaimedMessage[] {
  const groups = groupByMessage(recipients);
  const messages = messagesById(db, [...groups.keys()]);
  const out: ClaimedMessage[] = [];
  for (const [id, list] of groups) {
    const row = messages.get(id);
    if (row !== undefined) out.push({ message: messageFromRow(row), recipients: list });
  }
  return out;
}

export function claim(db: Db, opts: ClaimOptions): ClaimedMessage[] {
  const filters: string[] = [];
  const params: (string | number)[] = [opts.owner, opts.now + opts.leaseMs, opts.now, opts.now];
  if (opts.domain !== undefined) {
    filters.push('AND domain = ?');
    params.push(opts.domain);
  }
  if (opts.excludeDomains !== undefined && opts.excludeDomains.length > 0) {
    filters.push('AND domain NOT IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(opts.excludeDomains));
  }
  params.push(opts.limit);
  // Oldest due first (the order of recipients_due); a lease that has expired is taken over.
  const rows = db.all<RecipientRow & { lease_until: number }>(
    `UPDATE recipients SET lease_owner = ?, lease_until = ?
     WHERE rid IN (
       SELECT rid FROM recipients INDEXED BY recipients_due
       WHERE ${OPEN} AND held = 0 AND next_attempt <= ?
         AND (lease_owner IS NULL OR lease_until <= ?) ${filters.join(' ')}
       ORDER BY next_attempt, rid LIMIT ?)
     RETURNING ${RECIPIENT_COLUMNS}`,
    ...params,
  );
  const recipients = rows
    .map(recipientFromRow)
    .sort((a, b) => (a.nextAttempt ?? 0) - (b.nextAttempt ?? 0) || a.rid - b.rid);
  return withMessages(db, recipients);
}

export function renew(db: Db, owner: string, rids: readonly number[], until: number): number[] {
  const rows = db.all<{ rid: number }>(
    `UPDATE recipients SET lease_until = ?
     WHERE lease_owner = ? AND ${OPEN} AND rid IN (SELECT value FROM json_each(?)) RETURNING rid`,
    until,
    owner,
    JSON.stringify(rids),
  );
  return rows.map((r) => r.rid).sort((a, b) => a - b);
}

/**
 * One recipient's result; resolves to its message id, or undefined when skipped (unknown row,
 * already final, or — with an `owner` — a lease the owner no longer holds). The hold ends when
 * the recipient becomes final (its time is added to held_ms); the lease is dropped.
 */
function applyUpdate(db: Db, u: RecipientUpdate, now: number, owner: string | null): string | undefined {
  const row = db.get<{ message_id: string }>(
    `UPDATE recipients SET
       state = @state, next_attempt = @next, enhanced = @enhanced, reason = @reason, last = @last,
       attempts = attempts + @counted,
       last_attempt_at = CASE WHEN @counted = 1 THEN @now ELSE last_attempt_at END,
       delay_warned = max(delay_warned, @warned),
       held_ms = CASE WHEN @final = 1 AND held = 1 THEN held_ms + max(0, @now - held_since) ELSE held_ms END,
       held = CASE WHEN @final = 1 THEN 0 ELSE held END,
       held_since = CASE WHEN @final = 1 THEN NULL ELSE held_since END,
       lease_owner = NULL, lease_until = NULL
     WHERE rid = @rid AND ${OPEN} AND (@owner IS NULL OR lease_owner = @owner)
     RETURNING message_id`,
    {
      rid: u.rid,
      state: u.state,
      next: u.state === 'deferred' ? (u.nextAttempt ?? now) : null,
      enhanced: u.enhanced,
      reason: u.reason,
      last: jsonText(u.last),
      counted: u.countAttempt === false ? 0 : 1,
      warned: u.delayWarned === true ? 1 : 0,
      final: u.state === 'deferred' ? 0 : 1,
      now,
      owner,
    },
  );
  return row?.message_id;
}

function logAttempt(db: Db, a: AttemptLogEntry): void {
  // A message deleted while it was being delivered keeps no log (and must not fail the commit).
  db.run(
    `INSERT INTO attempts (message_id, domain, at, recipients, outcome, records, transcript)
     SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?)`,
    a.messageId,
    a.domain,
    a.at,
    JSON.stringify(a.recipients),
    a.outcome,
    JSON.stringify(a.records),
    JSON.stringify(a.transcript),
    a.messageId,
  );
}

/**
 * `complete` (with the owner's lease check) and `force` (owner null): the updates, the attempt
 * log entry and the messages to enqueue, all in the caller's transaction.
 */
export function complete(db: Db, input: CompleteInput, now: number, owner: string | null): CompleteResult {
  const applied: number[] = [];
  const skipped: number[] = [];
  const touched = new Set<string>();
  for (const u of input.updates) {
    const messageId = applyUpdate(db, u, now, owner);
    if (messageId === undefined) skipped.push(u.rid);
    else {
      applied.push(u.rid);
      touched.add(messageId);
    }
  }
  if (touched.size > 0) {
    db.run(
      'UPDATE messages SET changed_at = ? WHERE id IN (SELECT value FROM json_each(?))',
      now,
      JSON.stringify([...touched]),
    );
  }
  if (input.attempt !== undefined) logAttempt(db, input.attempt);
  for (const m of input.enqueue ?? []) enqueue(db, m);
  return { applied, skipped };
}

export function releaseLeases(db: Db, owner: string): void {
  db.run('UPDATE recipients SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?', owner);
  db.run('DELETE FROM slots WHERE owner = ?', owner);
}

export function body(db: Db, messageId: string): Uint8Array | undefined {
  const value = db.value<Buffer>('SELECT body FROM bodies WHERE message_id = ?', messageId);
  return value === undefined ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export function nextDue(db: Db): number | undefined {
  // Unleased recipients are due at next_attempt: the first one in recipients_due order.
  const free = db.value<number | null>(
    `SELECT next_attempt FROM recipients INDEXED BY recipients_due
     WHERE ${OPEN} AND held = 0 AND lease_owner IS NULL ORDER BY next_attempt, rid LIMIT 1`,
  );
  // Leased ones when their lease expires; only those due before `free` can matter.
  const leased = db.value<number | null>(
    `SELECT min(max(next_attempt, lease_until)) FROM recipients INDEXED BY recipients_due
     WHERE ${OPEN} AND held = 0 AND lease_owner IS NOT NULL AND next_attempt < ?`,
    free ?? Number.MAX_SAFE_INTEGER,
  );
  const times = [free, leased].filter((t): t is number => typeof t === 'number');
  return times.length === 0 ? undefined : Math.min(...times);
}

/** The lowest slot of `key` below `limit` that is free or whose lease has expired, now the owner's. */
export function acquireSlot(db: Db, key: string, req: SlotRequest): number | undefined {
  const live = new Set(
    db
      .all<{ slot: number }>(
        'SELECT slot FROM slots WHERE key = ? AND slot < ? AND until > ?',
        key,
        req.limit,
        req.now,
      )
      .map((r) => r.slot),
  );
  for (let slot = 0; slot < req.limit; slot++) {
    if (live.has(slot)) continue;
    db.run(
      `INSERT INTO slots (key, slot, owner, until) VALUES (?, ?, ?, ?)
       ON CONFLICT (key, slot) DO UPDATE SET owner = excluded.owner, until = excluded.until`,
      key,
      slot,
      req.owner,
      req.until,
    );
    return slot;
  }
  return undefined;
}

export function renewSlot(db: Db, key: string, slot: number, owner: string, until: number): boolean {
  return (
    db.run('UPDATE slots SET until = ? WHERE key = ? AND slot = ? AND owner = ?', until, key, slot, owner) > 0
  );
}

export function releaseSlot(db: Db, key: string, slot: number, owner: string): void {
  db.run('DELETE FROM slots WHERE key = ? AND slot = ? AND owner = ?', key, slot, owner);
}
