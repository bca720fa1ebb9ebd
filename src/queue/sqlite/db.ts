/**
 * A thin layer over one better-sqlite3 connection for the queue worker: prepared statements
 * cached by their text, and the counters of `QueueStore.counters()` (every statement counted;
 * transaction control is not). Runs inside the worker thread only; must never be used from the
 * main thread, where a synchronous statement would block the event loop.
 */
import type Database from 'better-sqlite3';

/** A bound parameter value. */
export type Param = string | number | bigint | Buffer | Uint8Array | null;
/** Positional parameters, or one object of named ones (`@name` in the SQL). */
export type Params = Param[] | [Record<string, Param>];

export class Db {
  readonly raw: Database.Database;
  queries = 0;
  commits = 0;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(raw: Database.Database) {
    this.raw = raw;
  }

  #prepare(sql: string, raw = false): Database.Statement {
    const key = raw ? `raw:${sql}` : sql;
    let stmt = this.#statements.get(key);
    if (stmt === undefined) {
      stmt = this.raw.prepare(sql);
      if (raw) stmt.raw(true);
      this.#statements.set(key, stmt);
    }
    this.queries++;
    return stmt;
  }

  /** Every row of a query. */
  all<T>(sql: string, ...params: Params): T[] {
    return this.#prepare(sql).all(...params) as T[];
  }

  /** The first row of a query, or undefined (T: the row shape the SQL selects). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the row type
  get<T>(sql: string, ...params: Params): T | undefined {
    return this.#prepare(sql).get(...params) as T | undefined;
  }

  /** Run a statement; resolves to the number of rows changed. */
  run(sql: string, ...params: Params): number {
    return this.#prepare(sql).run(...params).changes;
  }

  /** The single value of a one-column query's first row (undefined when there is no row). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the value type
  value<T>(sql: string, ...params: Params): T | undefined {
    const row = this.#prepare(sql, true).get(...params) as unknown[] | undefined;
    return row === undefined ? undefined : (row[0] as T);
  }

  /** Transaction control and DDL: not counted as queries. */
  exec(sql: string): void {
    this.raw.exec(sql);
  }
}
