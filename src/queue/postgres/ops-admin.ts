/**
 * The PostgreSQL queue's administrative operations (`dane-mta queue …` and the daemon's
 * metrics): list, show, stats, retry, hold/release, delete, prune and the writability probe.
 * Each is one statement, safe while nodes run; a change is visible to every node's next claim,
 * and retry/release wake the nodes (NOTIFY). Must never read the clock.
 */
import type { PgDb } from './db.ts';
import { WORK_CHANNEL } from './listen.ts';
import { OPEN, recipientColumns } from './ops-work.ts';
import {
  MESSAGE_COLUMNS,
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

async function recipientsOf(
  db: PgDb,
  ids: readonly string[],
): Promise<Map<string, ReturnType<typeof recipientFromRow>[]>> {
  const rows = await db.query<RecipientRow>(
    `SELECT ${recipientColumns('r')} FROM recipients AS r WHERE r.message_id = ANY ($1::text[]) ORDER BY r.message_id, r.rid`,
    [ids],
  );
  return groupByMessage(rows.map(recipientFromRow));
}

const M = MESSAGE_COLUMNS.split(', ')
  .map((c) => `m.${c}`)
  .join(', ');

/** Messages with at least one recipient matching the filter, in arrival order, with all recipients. */
export async function list(db: PgDb, filter: ListFilter): Promise<MessageView[]> {
  const messages = await db.query<MessageRow>(
    `SELECT ${M} FROM messages AS m
     WHERE ($1::text IS NULL AND $2::text IS NULL
            OR EXISTS (SELECT 1 FROM recipients AS r WHERE r.message_id = m.id
                       AND ($1::text IS NULL OR r.state = $1) AND ($2::text IS NULL OR r.domain = $2)))
       AND ($3::boolean IS NULL
            OR $3 = EXISTS (SELECT 1 FROM recipients AS h WHERE h.message_id = m.id AND h.held))
     ORDER BY m.received, m.id
     LIMIT $4`,
    [filter.state ?? null, filter.domain ?? null, filter.held ?? null, filter.limit ?? null],
  );
  const recipients = await recipientsOf(
    db,
    messages.map((m) => m.id),
  );
  return messages.map((m) => ({ message: messageFromRow(m), recipients: recipients.get(m.id) ?? [] }));
}

export async function show(db: PgDb, id: string): Promise<MessageDetail | undefined> {
  const [row] = await db.query<MessageRow>(`SELECT ${M} FROM messages AS m WHERE m.id = $1`, [id]);
  if (row === undefined) return undefined;
  const attempts = await db.query<AttemptRow>(
    `SELECT message_id, domain, at, recipients::text AS recipients, outcome, records::text AS records,
            transcript::text AS transcript
     FROM attempts WHERE message_id = $1 ORDER BY id`,
    [id],
  );
  return {
    message: messageFromRow(row),
    recipients: (await recipientsOf(db, [id])).get(id) ?? [],
    attempts: attempts.map(attemptFromRow),
  };
}

export async function stats(db: PgDb, now: number, top: number): Promise<QueueStats> {
  const byState = Object.fromEntries(RECIPIENT_STATES.map((s) => [s, 0])) as Record<RecipientState, number>;
  const states = await db.query<{ state: RecipientState; n: number }>(
    'SELECT state, count(*) AS n FROM recipients GROUP BY state',
  );
  for (const row of states) byState[row.state] = row.n;
  const [summary] = await db.query<{ held: number; oldest: number | null }>(
    `SELECT (SELECT count(*) FROM recipients WHERE held AND ${OPEN}) AS held,
            (SELECT received FROM messages AS m
             WHERE EXISTS (SELECT 1 FROM recipients AS r WHERE r.message_id = m.id AND r.${OPEN})
             ORDER BY received LIMIT 1) AS oldest`,
  );
  const topDeferred = await db.query<{ domain: string; deferred: number }>(
    `SELECT domain, count(*) AS deferred FROM recipients WHERE state = 'deferred'
     GROUP BY domain ORDER BY deferred DESC, domain LIMIT $1`,
    [top],
  );
  const oldest = summary?.oldest ?? null;
  return {
    byState,
    held: summary?.held ?? 0,
    oldestMs: oldest === null ? null : Math.max(0, now - oldest),
    topDeferred,
  };
}

/** The condition of a selection over `recipients` with its parameter at $n. */
function selected(sel: Selection, n: number): [string, unknown[]] {
  if ('id' in sel) return [`message_id = $${n}`, [sel.id]];
  if ('domain' in sel) return [`domain = $${n}`, [sel.domain]];
  return ['true', []];
}

/** Runs an UPDATE (as CTE `u`), counts its rows and, when `notify` and any changed, sends a NOTIFY. */
async function counted(db: PgDb, update: string, values: unknown[], notify: boolean): Promise<number> {
  const wake = notify
    ? `, CASE WHEN n > 0 THEN (SELECT 1 FROM (SELECT pg_notify('${WORK_CHANNEL}', '')) AS s) END`
    : '';
  const [row] = await db.query<{ n: number }>(
    `WITH u AS (${update} RETURNING 1), c AS (SELECT count(*) AS n FROM u) SELECT n${wake} FROM c`,
    values,
    true,
  );
  return row?.n ?? 0;
}

export function retry(db: PgDb, sel: Selection, now: number): Promise<number> {
  const [cond, params] = selected(sel, 2);
  return counted(
    db,
    `UPDATE recipients SET next_attempt = $1 WHERE ${OPEN} AND NOT held AND ${cond}`,
    [now, ...params],
    true,
  );
}

export function setHeld(db: PgDb, sel: Selection, held: boolean, now: number): Promise<number> {
  const [cond, params] = selected(sel, 2);
  if (held) {
    return counted(
      db,
      `UPDATE recipients SET held = true, held_since = $1 WHERE ${OPEN} AND NOT held AND ${cond}`,
      [now, ...params],
      false,
    );
  }
  // The hold's time is added to held_ms (it does not count towards max_age).
  return counted(
    db,
    `UPDATE recipients SET held = false, held_ms = held_ms + greatest(0, $1 - coalesce(held_since, $1)), held_since = NULL
     WHERE ${OPEN} AND held AND ${cond}`,
    [now, ...params],
    true,
  );
}

export async function remove(db: PgDb, id: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM messages WHERE id = $1 RETURNING id', [id], true);
  return rows.length > 0;
}

/** Messages all of whose recipients are final and that last changed before `before`. */
export async function prune(db: PgDb, before: number): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `WITH d AS (
       DELETE FROM messages AS m WHERE changed_at < $1
         AND NOT EXISTS (SELECT 1 FROM recipients AS r WHERE r.message_id = m.id AND r.${OPEN})
       RETURNING 1)
     SELECT count(*) AS n FROM d`,
    [before],
    true,
  );
  return row?.n ?? 0;
}

export async function checkWritable(db: PgDb, now: number): Promise<undefined> {
  await db.query(
    'INSERT INTO health (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
    [now],
    true,
  );
  return undefined;
}
