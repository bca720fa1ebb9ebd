/**
 * The PostgreSQL queue's work operations — enqueue, claim, renew, complete/force, lease
 * release, body, nextDue and destination slots. Each is one statement (autocommit) where it can
 * be, so no transaction is ever open across anything but its own statements: a claim is
 * `FOR UPDATE SKIP LOCKED` plus the lease in one UPDATE, so concurrent nodes never wait for
 * each other and never get the same recipient. Enqueue, retry, release and DSNs send one
 * NOTIFY on the work channel, delivered at commit.
 * Must never read the clock: times come from the caller.
 */
import type { PgDb, Query } from './db.ts';
import { sqlState } from './db.ts';
import { WORK_CHANNEL } from './listen.ts';
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
import type { ClaimOptions, ClaimedMessage, CompleteInput, CompleteResult, NewMessage } from '../types.ts';
import { QueueError } from '../types.ts';

/** Recipients in a state that may still be delivered. */
export const OPEN = "state IN ('queued', 'deferred')";

/** The recipient columns (JSON as text) of table alias `a`. */
export function recipientColumns(a: string): string {
  return RECIPIENT_COLUMNS.split(', ')
    .map((c) => (c === 'last' ? `${a}.last::text AS last` : `${a}.${c}`))
    .join(', ');
}

/** The message columns of alias `a`, each renamed m_<column>. */
const MESSAGE_PREFIXED = MESSAGE_COLUMNS.split(', ')
  .map((c) => `m.${c} AS m_${c}`)
  .join(', ');

function messageOf(row: Record<string, unknown>): MessageRow {
  return Object.fromEntries(
    MESSAGE_COLUMNS.split(', ').map((c) => [c, row[`m_${c}`]]),
  ) as unknown as MessageRow;
}

const ENQUEUE = `
WITH m AS (
  INSERT INTO messages (${MESSAGE_COLUMNS}, changed_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
), b AS (
  INSERT INTO bodies (message_id, body) VALUES ($1, $13)
), r AS (
  INSERT INTO recipients (message_id, address, domain, notify, orcpt, state, next_attempt)
  SELECT $1, a, d, n, o, 'queued', $3
  FROM unnest($14::text[], $15::text[], $16::text[], $17::text[]) WITH ORDINALITY AS x (a, d, n, o, i)
  ORDER BY i
)
SELECT pg_notify('${WORK_CHANNEL}', '')`;

/** The statement and parameters that store one message (one NOTIFY with it). */
function enqueueValues(m: NewMessage): unknown[] {
  return [
    ...messageValues(m),
    Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength),
    m.recipients.map((r) => r.address),
    m.recipients.map((r) => r.domain),
    m.recipients.map((r) => notifyText(r.notify)),
    m.recipients.map((r) => r.orcpt ?? null),
  ];
}

function duplicate(err: unknown, m: NewMessage): never {
  if (sqlState(err) === '23505') {
    throw new QueueError('QUEUE_ERR_ARGUMENT', `queue: message id ${m.id} already exists`, { cause: err });
  }
  throw err;
}

export async function enqueue(db: PgDb, m: NewMessage): Promise<undefined> {
  await db.query(ENQUEUE, enqueueValues(m), true).catch((err: unknown) => duplicate(err, m));
  return undefined;
}

/** Enqueue inside a transaction (DSNs of complete/force). */
async function enqueueIn(query: Query, m: NewMessage): Promise<void> {
  await query(ENQUEUE, enqueueValues(m)).catch((err: unknown) => duplicate(err, m));
}

export async function claim(db: PgDb, opts: ClaimOptions): Promise<ClaimedMessage[]> {
  const rows = await db.query<Record<string, unknown>>(
    `WITH picked AS (
       SELECT rid FROM recipients
       WHERE ${OPEN} AND NOT held AND next_attempt <= $1
         AND (lease_owner IS NULL OR lease_until <= $1)
         AND ($2::text IS NULL OR domain = $2)
         AND NOT (domain = ANY ($3::text[]))
       ORDER BY next_attempt, rid
       LIMIT $4
       FOR UPDATE SKIP LOCKED
     ), leased AS (
       UPDATE recipients AS r SET lease_owner = $5, lease_until = $6
       FROM picked WHERE r.rid = picked.rid
       RETURNING r.*
     )
     SELECT ${recipientColumns('leased')}, ${MESSAGE_PREFIXED}
     FROM leased JOIN messages AS m ON m.id = leased.message_id
     ORDER BY leased.next_attempt, leased.rid`,
    [
      opts.now,
      opts.domain ?? null,
      opts.excludeDomains ?? [],
      opts.limit,
      opts.owner,
      opts.now + opts.leaseMs,
    ],
    true,
  );
  const messages = new Map(rows.map((row) => [row['message_id'] as string, messageOf(row)]));
  const groups = groupByMessage(rows.map((row) => recipientFromRow(row as unknown as RecipientRow)));
  return [...groups].map(([id, recipients]) => ({ message: messageFromRow(messages.get(id)!), recipients }));
}

export async function renew(
  db: PgDb,
  owner: string,
  rids: readonly number[],
  until: number,
): Promise<number[]> {
  const rows = await db.query<{ rid: number }>(
    `UPDATE recipients SET lease_until = $3 WHERE lease_owner = $1 AND ${OPEN} AND rid = ANY ($2::bigint[])
     RETURNING rid`,
    [owner, rids, until],
    true,
  );
  return rows.map((r) => r.rid).sort((a, b) => a - b);
}

/*
 * One statement applies every update, touches the messages (prune ages by changed_at) and logs
 * the attempt. An update applies only to an open recipient — with an owner, one whose lease
 * that owner still holds. Becoming final ends a hold (its time goes into held_ms).
 */
const COMPLETE = `
WITH u AS (
  UPDATE recipients AS r SET
    state = x.state, next_attempt = x.next, enhanced = x.enhanced, reason = x.reason, last = x.last,
    attempts = r.attempts + x.counted,
    last_attempt_at = CASE WHEN x.counted = 1 THEN $9 ELSE r.last_attempt_at END,
    delay_warned = r.delay_warned OR x.warned,
    held_ms = CASE WHEN x.state <> 'deferred' AND r.held THEN r.held_ms + greatest(0, $9 - r.held_since) ELSE r.held_ms END,
    held = CASE WHEN x.state <> 'deferred' THEN false ELSE r.held END,
    held_since = CASE WHEN x.state <> 'deferred' THEN NULL ELSE r.held_since END,
    lease_owner = NULL, lease_until = NULL
  FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::json[], $7::int[], $8::boolean[])
    AS x (rid, state, next, enhanced, reason, last, counted, warned)
  WHERE r.rid = x.rid AND r.${OPEN} AND ($10::text IS NULL OR r.lease_owner = $10)
  RETURNING r.rid, r.message_id
), t AS (
  UPDATE messages SET changed_at = $9 WHERE id IN (SELECT message_id FROM u)
), a AS (
  INSERT INTO attempts (message_id, domain, at, recipients, outcome, records, transcript)
  SELECT $11, $12, $13, $14::json, $15, $16::json, $17::json
  WHERE $11::text IS NOT NULL AND EXISTS (SELECT 1 FROM messages WHERE id = $11)
)
SELECT rid FROM u`;

function completeValues(input: CompleteInput, now: number, owner: string | null): unknown[] {
  const us = input.updates;
  const a = input.attempt;
  return [
    us.map((u) => u.rid),
    us.map((u) => u.state),
    us.map((u) => (u.state === 'deferred' ? (u.nextAttempt ?? now) : null)),
    us.map((u) => u.enhanced),
    us.map((u) => u.reason),
    us.map((u) => jsonText(u.last)),
    us.map((u) => (u.countAttempt === false ? 0 : 1)),
    us.map((u) => u.delayWarned === true),
    now,
    owner,
    a?.messageId ?? null,
    a?.domain ?? null,
    a?.at ?? null,
    a === undefined ? null : JSON.stringify(a.recipients),
    a?.outcome ?? null,
    a === undefined ? null : JSON.stringify(a.records),
    a === undefined ? null : JSON.stringify(a.transcript),
  ];
}

function result(input: CompleteInput, rows: readonly { rid: number }[]): CompleteResult {
  const done = new Set(rows.map((r) => r.rid));
  return {
    applied: input.updates.filter((u) => done.has(u.rid)).map((u) => u.rid),
    skipped: input.updates.filter((u) => !done.has(u.rid)).map((u) => u.rid),
  };
}

/** `complete` (owner) and `force` (owner null): one statement, or one transaction with DSNs. */
export async function complete(
  db: PgDb,
  input: CompleteInput,
  now: number,
  owner: string | null,
): Promise<CompleteResult> {
  const values = completeValues(input, now, owner);
  const dsns = input.enqueue ?? [];
  if (dsns.length === 0) return result(input, await db.query<{ rid: number }>(COMPLETE, values, true));
  return await db.transaction(async (query) => {
    const rows = await query<{ rid: number }>(COMPLETE, values);
    for (const m of dsns) await enqueueIn(query, m);
    return result(input, rows);
  });
}

export async function releaseLeases(db: PgDb, owner: string): Promise<undefined> {
  await db.query(
    `WITH r AS (UPDATE recipients SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1),
          s AS (DELETE FROM slots WHERE owner = $1)
     SELECT pg_notify('${WORK_CHANNEL}', '')`,
    [owner],
    true,
  );
  return undefined;
}

export async function body(db: PgDb, messageId: string): Promise<Uint8Array | undefined> {
  const [row] = await db.query<{ body: Buffer }>('SELECT body FROM bodies WHERE message_id = $1', [
    messageId,
  ]);
  return row === undefined
    ? undefined
    : new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength);
}

export async function nextDue(db: PgDb): Promise<number | undefined> {
  // Unleased recipients are due at next_attempt; leased ones when their lease expires — and
  // only leased ones due before the first unleased one can matter.
  const [row] = await db.query<{ t: number | null }>(
    `WITH free AS (
       SELECT next_attempt AS t FROM recipients
       WHERE ${OPEN} AND NOT held AND lease_owner IS NULL ORDER BY next_attempt, rid LIMIT 1
     )
     SELECT least(
       (SELECT t FROM free),
       (SELECT min(greatest(next_attempt, lease_until)) FROM recipients
        WHERE ${OPEN} AND NOT held AND lease_owner IS NOT NULL
          AND next_attempt < coalesce((SELECT t FROM free), ${Number.MAX_SAFE_INTEGER}))
     ) AS t`,
  );
  return row?.t ?? undefined;
}

/*
 * The lowest free (or expired) slot in one statement. ON CONFLICT … WHERE re-checks the
 * expiry on the row as it is after any concurrent taker committed, so two nodes can never both
 * hold a slot; when a race leaves us empty-handed while a slot is free, we try again.
 */
export async function acquireSlot(db: PgDb, key: string, req: SlotRequest): Promise<number | undefined> {
  for (let round = 0; round <= req.limit; round++) {
    const [got] = await db.query<{ slot: number }>(
      `INSERT INTO slots (key, slot, owner, until)
       SELECT $1, s, $2, $5 FROM generate_series(0, $3::int - 1) AS s
       WHERE NOT EXISTS (SELECT 1 FROM slots WHERE key = $1 AND slot = s AND until > $4)
       ORDER BY s LIMIT 1
       ON CONFLICT (key, slot) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE slots.until <= $4
       RETURNING slot`,
      [key, req.owner, req.limit, req.now, req.until],
      true,
    );
    if (got !== undefined) return got.slot;
    const [live] = await db.query<{ n: number }>(
      'SELECT count(*) AS n FROM slots WHERE key = $1 AND slot < $2 AND until > $3',
      [key, req.limit, req.now],
    );
    if ((live?.n ?? 0) >= req.limit) return undefined;
  }
  return undefined;
}

export async function renewSlot(
  db: PgDb,
  key: string,
  slot: number,
  owner: string,
  until: number,
): Promise<boolean> {
  const rows = await db.query(
    'UPDATE slots SET until = $4 WHERE key = $1 AND slot = $2 AND owner = $3 RETURNING slot',
    [key, slot, owner, until],
    true,
  );
  return rows.length > 0;
}

export async function releaseSlot(db: PgDb, key: string, slot: number, owner: string): Promise<undefined> {
  await db.query('DELETE FROM slots WHERE key = $1 AND slot = $2 AND owner = $3', [key, slot, owner], true);
  return undefined;
}
