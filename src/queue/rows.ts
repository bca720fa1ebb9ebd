/**
 * The row shapes both drivers select (same column names, JSON as text, flags as 0/1 or
 * booleans, times and counts as numbers — the PostgreSQL driver parses BIGINT to number) and their mapping to the contract's types, so that SQLite and
 * PostgreSQL hand out identical objects. Pure; no I/O.
 */
import type {
  AttemptLogEntry,
  Json,
  MessageInfo,
  MessageOrigin,
  NewMessage,
  NotifyKeyword,
  QueuedRecipient,
  RecipientState,
} from './types.ts';

/** A row of `messages` (without the body). */
export interface MessageRow {
  id: string;
  sender: string;
  received: number;
  size: number;
  envid: string | null;
  ret: string | null;
  smtputf8: number | boolean;
  eight_bit_mime: number | boolean;
  require_tls: number | boolean;
  origin: string | null;
  kind: string;
}

/** A row of `recipients`. */
export interface RecipientRow {
  rid: number;
  message_id: string;
  address: string;
  domain: string;
  notify: string | null;
  orcpt: string | null;
  state: string;
  held: number | boolean;
  held_ms: number;
  attempts: number;
  next_attempt: number | null;
  last_attempt_at: number | null;
  delay_warned: number | boolean;
  enhanced: string | null;
  reason: string | null;
  last: string | null;
}

/** A row of `attempts`. */
export interface AttemptRow {
  message_id: string;
  domain: string;
  at: number;
  recipients: string;
  outcome: string;
  records: string;
  transcript: string;
}

/** The columns of `recipients` the drivers select, in this order. */
export const RECIPIENT_COLUMNS =
  'rid, message_id, address, domain, notify, orcpt, state, held, held_ms, attempts, next_attempt, ' +
  'last_attempt_at, delay_warned, enhanced, reason, last';

/** The columns of `messages` the drivers select (not the body). */
export const MESSAGE_COLUMNS =
  'id, sender, received, size, envid, ret, smtputf8, eight_bit_mime, require_tls, origin, kind';

export function messageFromRow(row: MessageRow): MessageInfo {
  const info: MessageInfo = {
    id: row.id,
    from: row.sender,
    received: row.received,
    size: row.size,
    smtputf8: Boolean(row.smtputf8),
    eightBitMime: Boolean(row.eight_bit_mime),
    requireTls: Boolean(row.require_tls),
    kind: row.kind === 'dsn' ? 'dsn' : 'normal',
  };
  if (row.envid !== null) info.envid = row.envid;
  if (row.ret === 'FULL' || row.ret === 'HDRS') info.ret = row.ret;
  if (row.origin !== null) info.origin = JSON.parse(row.origin) as MessageOrigin;
  return info;
}

export function recipientFromRow(row: RecipientRow): QueuedRecipient {
  const r: QueuedRecipient = {
    rid: row.rid,
    messageId: row.message_id,
    address: row.address,
    domain: row.domain,
    state: row.state as RecipientState,
    held: Boolean(row.held),
    heldMs: row.held_ms,
    attempts: row.attempts,
    nextAttempt: row.next_attempt,
    lastAttemptAt: row.last_attempt_at,
    delayWarned: Boolean(row.delay_warned),
    enhanced: row.enhanced,
    reason: row.reason,
    last: row.last === null ? null : (JSON.parse(row.last) as Json),
  };
  if (row.notify !== null) r.notify = row.notify === '' ? [] : (row.notify.split(',') as NotifyKeyword[]);
  if (row.orcpt !== null) r.orcpt = row.orcpt;
  return r;
}

export function attemptFromRow(row: AttemptRow): AttemptLogEntry {
  return {
    messageId: row.message_id,
    domain: row.domain,
    at: row.at,
    recipients: JSON.parse(row.recipients) as string[],
    outcome: row.outcome,
    records: JSON.parse(row.records) as Json,
    transcript: JSON.parse(row.transcript) as string[],
  };
}

/** NOTIFY keywords as stored: comma-separated, NULL when not given. */
export function notifyText(notify: readonly NotifyKeyword[] | undefined): string | null {
  return notify === undefined ? null : notify.join(',');
}

/** A JSON value as stored text; null stays SQL NULL. */
export function jsonText(value: Json | null | undefined): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** The envelope columns of a new message, in MESSAGE_COLUMNS order plus `changed_at`. */
export function messageValues(m: NewMessage): (string | number | null)[] {
  return [
    m.id,
    m.from,
    m.received,
    m.body.byteLength,
    m.envid ?? null,
    m.ret ?? null,
    m.smtputf8 ? 1 : 0,
    m.eightBitMime ? 1 : 0,
    m.requireTls ? 1 : 0,
    m.origin === undefined ? null : JSON.stringify(m.origin),
    m.kind,
    m.received,
  ];
}

/** Group recipient rows by message, keeping the order in which messages first appear. */
export function groupByMessage<T extends { messageId: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(item.messageId);
    if (list === undefined) groups.set(item.messageId, [item]);
    else list.push(item);
  }
  return groups;
}
