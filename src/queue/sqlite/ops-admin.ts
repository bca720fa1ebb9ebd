/**
 * The SQLite queue's administrative operations (`dane-mta queue …` and the daemon's metrics):
 * list, show, stats, retry, hold/release, delete, prune and the writability probe, as
 * synchronous functions run by the worker inside its batch transaction. Safe while daemons
 * run: each is one transaction, and a change is visible to every process's next claim.
 * Must never open or commit a transaction itself, and never read the clock.
 */
import type { Db, Param } from './db.ts';
import { OPEN, messagesById } from './ops-work.ts';
import {
  MESSAGE_COLUMNS,
  RECIPIENT_COLUMNS,
  attemptFromRow,
  groupByMessage,
  messageFromRow,
  recipientFromRow,
} from '../rows.ts';
import type { AttemptRow, MessageRow, RecipientRow } from '../rows.ts';
import type {
  ListFilter,
  MessageDetail,
  MessageView,
  QueueStats,
  RecipientState,
  Selection,
} from '../types.ts';
import { RECIPIENT_STATES } from '../types.ts';

function recipientsOf(db: Db, ids: readonly string[]): Map<string, ReturnType<typeof recipientFromRow>[]> {
  const rows = db.all<RecipientRow>(
    `SELECT ${RECIPIENT_COLUMNS} FROM recipients
     WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, rid`,
    JSON.stringify(ids),
  );
  return groupByMessage(rows.map(recipientFromRow));
}

/** Messages with at least one recipient matching the filter, in arrival order, with all recipients. */
export function list(db: Db, filter: ListFilter): MessageView[] {
  const conditions: string[] = [];
  const params: Param[] = [];
  if (filter.state !== undefined) {
    conditions.push('r.state = ?');
    params.push(filter.state);
  }
  if (filter.domain !== undefined) {
    conditions.push('r.domain = ?');
    params.push(filter.domain);
  }
  let where = '';
  if (conditions.length > 0) {
    where = `WHERE EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND ${conditions.join(' AND ')})`;
  }
  if (filter.held !== undefined) {
    const held = `EXISTS (SELECT 1 FROM recipients h WHERE h.message_id = m.id AND h.held = 1)`;
    const clause = filter.held ? held : `NOT ${held}`;
    where = where === '' ? `WHERE ${clause}` : `${where} AND ${clause}`;
  }
  params.push(filter.limit ?? -1);
  const messages = db.all<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ')} FROM messages m ${where} ORDER BY m.received, m.id LIMIT ?`,
    ...params,
  );
  const recipients = recipientsOf(
    db,
    messages.map((m) => m.id),
  );
  return messages.map((m) => ({ message: messageFromRow(m), recipients: recipients.get(m.id) ?? [] }));
}

export function show(db: Db, id: string): MessageDetail | undefined {
  const row = messagesById(db, [id]).get(id);
  if (row === undefined) return undefined;
  const attempts = db.all<AttemptRow>(
    'SELECT message_id, domain, at, recipients, outcome, records, transcript FROM attempts WHERE message_id = ? ORDER BY id',
    id,
  );
  return {
    message: messageFromRow(row),
    recipients: recipientsOf(db, [id]).get(id) ?? [],
    attempts: attempts.map(attemptFromRow),
  };
}

export function stats(db: Db, now: number, top: number): QueueStats {
  const byState = Object.fromEntries(RECIPIENT_STATES.map((s) => [s, 0])) as Record<RecipientState, number>;
  for (const row of db.all<{ state: RecipientState; n: number }>(
    'SELECT state, count(*) AS n FROM recipients GROUP BY state',
  )) {
    byState[row.state] = row.n;
  }
  const held = db.value<number>(`SELECT count(*) FROM recipients WHERE held = 1 AND ${OPEN}`) ?? 0;
  const oldest = db.value<number>(
    `SELECT received FROM messages m
     WHERE EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.${OPEN})
     ORDER BY received LIMIT 1`,
  );
  const topDeferred = db.all<{ domain: string; deferred: number }>(
    `SELECT domain, count(*) AS deferred FROM recipients WHERE state = 'deferred'
     GROUP BY domain ORDER BY deferred DESC, domain LIMIT ?`,
    top,
  );
  return { byState, held, oldestMs: oldest === undefined ? null : Math.max(0, now - oldest), topDeferred };
}

/** The SQL condition and parameter of a selection over `recipients`. */
function selected(sel: Selection): [string, Param[]] {
  if ('id' in sel) return ['message_id = ?', [sel.id]];
  if ('domain' in sel) return ['domain = ?', [sel.domain]];
  return ['1 = 1', []];
}

export function retry(db: Db, sel: Selection, now: number): number {
  const [cond, params] = selected(sel);
  return db.run(
    `UPDATE recipients SET next_attempt = ? WHERE ${OPEN} AND held = 0 AND ${cond}`,
    now,
    ...params,
  );
}

export function setHeld(db: Db, sel: Selection, held: boolean, now: number): number {
  const [cond, params] = selected(sel);
  if (held) {
    return db.run(
      `UPDATE recipients SET held = 1, held_since = ? WHERE ${OPEN} AND held = 0 AND ${cond}`,
      now,
      ...params,
    );
  }
  // The hold's time is added to held_ms (it does not count towards max_age).
  return db.run(
    `UPDATE recipients SET held = 0, held_ms = held_ms + max(0, ? - coalesce(held_since, ?)), held_since = NULL
     WHERE ${OPEN} AND held = 1 AND ${cond}`,
    now,
    now,
    ...params,
  );
}

export function remove(db: Db, id: string): boolean {
  return db.run('DELETE FROM messages WHERE id = ?', id) > 0;
}

/** Messages all of whose recipients are final and that last changed before `before`. */
export function prune(db: Db, before: number): number {
  return db.run(
    `DELETE FROM messages WHERE changed_at < ?
       AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = messages.id AND r.${OPEN})`,
    before,
  );
}

export function checkWritable(db: Db, now: number): void {
  db.run('INSERT INTO health (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', now);
}
