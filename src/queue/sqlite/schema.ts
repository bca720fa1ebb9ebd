/**
 * The SQLite queue's schema as versioned migrations, the connection settings every process
 * applies, and the version check (a schema newer than this build is refused). Migrations run in
 * `BEGIN IMMEDIATE` transactions, so two processes that migrate at once apply each step once.
 * Runs in the queue worker thread only. Must never change a migration once released: add one.
 */
import type { Db } from './db.ts';
import { QueueError } from '../types.ts';

interface Migration {
  version: number;
  description: string;
  sql: string;
}

/*
 * Version 1. Notes beside the DDL:
 * - The body lives in its own table, stored once per message, so that scans of `messages`
 *   (list, prune, claims joining envelopes) never page through message bodies.
 * - `recipients` is the hot table: one row per recipient with its own state, lease and last
 *   result. `recipients_due` is a partial index over exactly the claimable states, ordered as
 *   `claim` reads them (next_attempt, rid), so final rows (until pruned) cost nothing there.
 * - `messages.changed_at` (the last change of any recipient) is what `prune` ages by.
 * - `auto_vacuum = INCREMENTAL` is set before the first table exists (it cannot change later
 *   without a full VACUUM); `prune` then returns freed pages with `incremental_vacuum`.
 */
const V1 = `
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL,
  description TEXT NOT NULL
);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  received INTEGER NOT NULL,
  size INTEGER NOT NULL,
  envid TEXT,
  ret TEXT CHECK (ret IN ('FULL', 'HDRS')),
  smtputf8 INTEGER NOT NULL,
  eight_bit_mime INTEGER NOT NULL,
  require_tls INTEGER NOT NULL,
  origin TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('normal', 'dsn')),
  changed_at INTEGER NOT NULL
);
CREATE INDEX messages_received ON messages (received, id);
CREATE INDEX messages_changed ON messages (changed_at);
CREATE TABLE bodies (
  message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  body BLOB NOT NULL
);
CREATE TABLE recipients (
  rid INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  notify TEXT,
  orcpt TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'deferred', 'delivered', 'bounced')),
  held INTEGER NOT NULL DEFAULT 0,
  held_since INTEGER,
  held_ms INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER,
  last_attempt_at INTEGER,
  delay_warned INTEGER NOT NULL DEFAULT 0,
  enhanced TEXT,
  reason TEXT,
  last TEXT,
  lease_owner TEXT,
  lease_until INTEGER
);
CREATE INDEX recipients_due ON recipients (next_attempt, rid)
  WHERE state IN ('queued', 'deferred') AND held = 0;
CREATE INDEX recipients_message ON recipients (message_id, rid);
CREATE INDEX recipients_domain ON recipients (domain, state);
CREATE INDEX recipients_leased ON recipients (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  at INTEGER NOT NULL,
  recipients TEXT NOT NULL,
  outcome TEXT NOT NULL,
  records TEXT NOT NULL,
  transcript TEXT NOT NULL
);
CREATE INDEX attempts_message ON attempts (message_id, id);
CREATE TABLE slots (
  key TEXT NOT NULL,
  slot INTEGER NOT NULL,
  owner TEXT NOT NULL,
  until INTEGER NOT NULL,
  PRIMARY KEY (key, slot)
) WITHOUT ROWID;
CREATE TABLE health (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
);
`;

/** Every migration, oldest first; the last one's version is this build's schema version. */
export const MIGRATIONS: readonly Migration[] = [{ version: 1, description: 'queue tables', sql: V1 }];

/** The newest schema version this build knows. */
export const KNOWN_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Connection settings of every process that opens the queue file. */
export function configure(db: Db, lockTimeoutMs: number): void {
  // A new, empty file: incremental auto-vacuum must be chosen before WAL and the first table.
  if (db.value<number>('PRAGMA page_count') === 0) db.exec('PRAGMA auto_vacuum = INCREMENTAL');
  // WAL: readers (admin commands) never block the writer and vice versa; FULL: every commit is
  // fsync'd before `enqueue` resolves (DESIGN.md: 250 only once the message is durable).
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(lockTimeoutMs)}`);
  db.exec('PRAGMA foreign_keys = ON');
}

/** The schema version of the database (0 when it has no queue tables yet). */
export function currentVersion(db: Db): number {
  const table = db.value<string>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
  );
  if (table === undefined) return 0;
  return db.value<number>('SELECT max(version) FROM schema_version') ?? 0;
}

/** QUEUE_ERR_SCHEMA unless `current` is a version this build can work with. */
export function refuseNewer(current: number, where: string): void {
  if (current > KNOWN_VERSION) {
    throw new QueueError(
      'QUEUE_ERR_SCHEMA',
      `queue store ${where} has schema version ${current}, newer than this build knows (${KNOWN_VERSION}); upgrade dane-mta`,
    );
  }
}

/** Apply the pending migrations, each in its own transaction; resolves to the versions applied. */
export function migrate(db: Db, now: number, where: string): number[] {
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const current = currentVersion(db);
      refuseNewer(current, where);
      if (current < m.version) {
        db.exec(m.sql);
        db.run(
          'INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)',
          m.version,
          now,
          m.description,
        );
        applied.push(m.version);
      }
      db.exec('COMMIT');
      if (current < m.version) db.commits++;
    } catch (err) {
      if (db.raw.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
  return applied;
}
