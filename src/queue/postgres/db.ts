/**
 * The PostgreSQL connection pool of one store: BIGINT read as a JS number (times in ms, row
 * ids), statements and commits counted for `counters()`, short transactions on one pooled
 * client, and every failure — refused connection, server restart, lock timeout — turned into a
 * one-line QueueError naming the store. The pool survives a server restart: broken connections
 * are dropped and the next call connects anew.
 * Must never keep a transaction open across anything but its own statements.
 */
import pg from 'pg';
import { describeError } from '../../util/index.ts';
import type { StoreCounters } from '../types.ts';
import { QueueError } from '../types.ts';

/** OID of int8 (BIGINT): our times and ids stay far below 2^53. */
const INT8 = 20;

/** pg's own parsers, looked up by plain OID. */
const builtins = pg.types as unknown as {
  getTypeParser(oid: number, format?: string): (value: string) => unknown;
};

/** The type parsers of our connections: pg's, except BIGINT → number (pg.types stays untouched). */
const types = {
  getTypeParser: (oid: number, format?: string): ((value: string) => unknown) => {
    if (oid === INT8 && format !== 'binary') return (value: string) => Number(value);
    return builtins.getTypeParser(oid, format);
  },
};

/** What a transaction body gets: `query` on the transaction's own connection. */
export type Query = <R extends object>(text: string, values?: unknown[]) => Promise<R[]>;

export interface PoolOptions {
  poolSize: number;
  lockTimeoutMs: number;
}

export class PgDb {
  readonly where: string;
  readonly pool: pg.Pool;
  readonly #url: string;
  readonly #lockTimeoutMs: number;
  queries = 0;
  commits = 0;

  constructor(url: string, where: string, opts: PoolOptions) {
    this.#url = url;
    this.where = where;
    this.#lockTimeoutMs = opts.lockTimeoutMs;
    this.pool = new pg.Pool({
      ...this.clientConfig(),
      max: opts.poolSize,
      idleTimeoutMillis: 10_000,
      // An idle store does not keep the process alive (as the SQLite worker does not).
      allowExitOnIdle: true,
    });
    // An idle connection that breaks (server restart) is dropped; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Connection settings shared by the pool and the LISTEN connection. */
  clientConfig(): pg.ClientConfig {
    return {
      connectionString: this.#url,
      application_name: 'dane-mta',
      // A server that does not answer fails the call instead of hanging it; TCP keepalive
      // notices a server that vanished without closing (the LISTEN connection idles for long).
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      lock_timeout: this.#lockTimeoutMs,
      // A node that stalls inside a transaction loses it instead of blocking the others.
      idle_in_transaction_session_timeout: 60_000,
      types,
    };
  }

  /** A QueueError naming the store for any failure (QueueErrors pass through). */
  error(err: unknown): QueueError {
    if (err instanceof QueueError) return err;
    return new QueueError('QUEUE_ERR_STORE', `queue store ${this.where}: ${describeError(err)}`, {
      cause: err,
    });
  }

  counters(): StoreCounters {
    return { queries: this.queries, commits: this.commits };
  }

  /** One statement on any pooled connection (autocommit); `write` counts its commit. */
  async query<R extends object>(text: string, values: unknown[] = [], write = false): Promise<R[]> {
    this.queries++;
    try {
      const result = await this.pool.query<R>(text, values);
      if (write) this.commits++;
      return result.rows;
    } catch (err) {
      throw this.error(err);
    }
  }

  /**
   * Runs `body` in one transaction on one connection; COMMIT on success, ROLLBACK otherwise.
   * `wrote` says whether the committed transaction wrote anything (default: it did).
   */
  async transaction<T>(
    body: (query: Query) => Promise<T>,
    wrote: (value: T) => boolean = () => true,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.error(err);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const query: Query = async <R extends object>(text: string, values: unknown[] = []) => {
        this.queries++;
        return (await client.query<R>(text, values)).rows;
      };
      const value = await body(query);
      await client.query('COMMIT');
      if (wrote(value)) this.commits++;
      return value;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr; // the connection is gone: the pool must not reuse it
      }
      throw this.error(err);
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const cause = err instanceof QueueError ? err.cause : err;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
