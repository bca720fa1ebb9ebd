/**
 * The PostgreSQL queue's schema as versioned migrations (same versions and meaning as the
 * SQLite ones), and the version check: a schema newer than this build is refused. Migrations
 * run in a transaction holding an advisory lock, so nodes that start together apply each step
 * once. Must never change a released migration: add one.
 */
import type { PgDb } from './db.ts';
import { QueueError } from '../types.ts';

interface Migration {
  version: number;
  description: string;
  sql: string;
}

/*
 * Version 1, with the settings a queue table needs:
 * - `recipients` is updated all the time (claim, renew, complete) and its rows die young
 *   (pruned once final). fillfactor 80 leaves room on each page so that updates which touch
 *   no indexed column — the lease columns, which are deliberately not indexed — stay HOT
 *   (heap-only: no index writes, cleaned up by page pruning without VACUUM). Autovacuum runs
 *   after 1% of the rows changed (default 20%), without cost-based sleeping, so dead rows do
 *   not pile up in front of `recipients_due` and slow every claim.
 * - `recipients_due` is partial: only claimable rows (queued/deferred, not held), ordered as a
 *   claim reads them, so delivered rows waiting for `prune` cost claims nothing.
 * - `slots` is tiny and rewritten on every connection: fillfactor 50 and aggressive autovacuum.
 * - JSON is `json`, not `jsonb`: it is only stored and shown, and `json` keeps what a hostile
 *   server sent (a \u0000 escape in a transcript) where jsonb would refuse the row.
 * - Bodies live in their own table (TOASTed, compressed): scans of `messages` never read them.
 */
const V1 = `
CREATE TABLE schema_version (
  version integer PRIMARY KEY,
  applied_at bigint NOT NULL,
  description text NOT NULL
);
CREATE TABLE messages (
  id text PRIMARY KEY,
  sender text NOT NULL,
  received bigint NOT NULL,
  size integer NOT NULL,
  envid text,
  ret text CHECK (ret IN ('FULL', 'HDRS')),
  smtputf8 boolean NOT NULL,
  eight_bit_mime boolean NOT NULL,
  require_tls boolean NOT NULL,
  origin text,
  kind text NOT NULL CHECK (kind IN ('normal', 'dsn')),
  changed_at bigint NOT NULL
);
CREATE INDEX messages_received ON messages (received, id);
CREATE INDEX messages_changed ON messages (changed_at);
CREATE TABLE bodies (
  message_id text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  body bytea NOT NULL
);
CREATE TABLE recipients (
  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  address text NOT NULL,
  domain text NOT NULL,
  notify text,
  orcpt text,
  state text NOT NULL CHECK (state IN ('queued', 'deferred', 'delivered', 'bounced')),
  held boolean NOT NULL DEFAULT false,
  held_since bigint,
  held_ms bigint NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt bigint,
  last_attempt_at bigint,
  delay_warned boolean NOT NULL DEFAULT false,
  enhanced text,
  reason text,
  last json,
  lease_owner text,
  lease_until bigint
) WITH (
  fillfactor = 80,
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_vacuum_cost_delay = 0
);
CREATE INDEX recipients_due ON recipients (next_attempt, rid)
  WHERE state IN ('queued', 'deferred') AND NOT held;
CREATE INDEX recipients_message ON recipients (message_id, rid);
CREATE INDEX recipients_domain ON recipients (domain, state);
CREATE TABLE attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  domain text NOT NULL,
  at bigint NOT NULL,
  recipients json NOT NULL,
  outcome text NOT NULL,
  records json NOT NULL,
  transcript json NOT NULL
);
CREATE INDEX attempts_message ON attempts (message_id, id);
CREATE TABLE slots (
  key text NOT NULL,
  slot integer NOT NULL,
  owner text NOT NULL,
  until bigint NOT NULL,
  PRIMARY KEY (key, slot)
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 0);
CREATE TABLE health (
  id integer PRIMARY KEY CHECK (id = 1),
  at bigint NOT NULL
);
`;

/** Every migration, oldest first; the last one's version is this build's schema version. */
export const MIGRATIONS: readonly Migration[] = [{ version: 1, description: 'queue tables', sql: V1 }];

/** The newest schema version this build knows. */
export const KNOWN_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Key of the advisory lock migrations hold ("dane" in ASCII). */
const MIGRATION_LOCK = 0x64616e65;

type Query = <R extends object>(text: string, values?: unknown[]) => Promise<R[]>;

async function versionWith(query: Query): Promise<number> {
  const [table] = await query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t");
  if (table?.t === null || table === undefined) return 0;
  const [row] = await query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  return row?.v ?? 0;
}

/** The schema version of the database (0 when it has no queue tables yet). */
export function currentVersion(db: PgDb): Promise<number> {
  return versionWith((text, values) => db.query(text, values));
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
export async function migrate(db: PgDb, now: number): Promise<number[]> {
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    const done = await db.transaction(
      async (query) => {
        await query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        const current = await versionWith(query);
        refuseNewer(current, db.where);
        if (current >= m.version) return false;
        await query(m.sql);
        await query('INSERT INTO schema_version (version, applied_at, description) VALUES ($1, $2, $3)', [
          m.version,
          now,
          m.description,
        ]);
        return true;
      },
      (wrote) => wrote,
    );
    if (done) applied.push(m.version);
  }
  return applied;
}
