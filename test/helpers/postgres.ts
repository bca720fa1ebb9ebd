/**
 * A PostgreSQL server of the tests' own: Debian's binaries (/usr/lib/postgresql/N/bin, newest
 * N), a cluster made by initdb in a temporary directory (as the `postgres` user when we are
 * root — initdb refuses root), listening only on the loopback address the caller's address
 * plan gives it, on a free port, with its socket in the temporary directory. Nothing
 * system-wide is started or touched. Each test gets a database of its own (`createDatabase`),
 * dropped at the end; `stop()` and `start()` let a test restart the server under a live pool.
 *
 * Skip rule (test/interop/README.md): without the binaries (or, as root, without a `postgres`
 * user and setpriv) `requirePostgres` skips the test and says why; with DANE_MTA_INTEROP=1 it
 * fails it. Test support only; must never listen on anything but loopback, and never leave a
 * server running (the process group is killed if the test process exits first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import {
  InteropError,
  InteropErrorCode,
  assertLoopback,
  assertPortFree,
  findTool,
  freePort,
  interopRequired,
  isRoot,
  runCommand,
  startDaemon,
  tailLines,
  waitUntilReady,
} from '../interop/index.ts';
import type { Daemon } from '../interop/index.ts';

const PG_ROOT = '/usr/lib/postgresql';

/** The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or undefined. */
export function findPostgresBin(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(PG_ROOT, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], 'bin');
}

/** uid and gid of the `postgres` user, or undefined. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** Why PostgreSQL cannot run here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  if (findPostgresBin() === undefined)
    return `PostgreSQL not installed (Debian package postgresql; looked in ${PG_ROOT})`;
  if (isRoot()) {
    if (postgresUser() === undefined) return 'running as root, but there is no postgres user for initdb';
    if (findTool('setpriv') === undefined) return 'running as root, but setpriv (util-linux) is missing';
  }
  return undefined;
}

/**
 * The skip/fail rule for tests that need PostgreSQL: true when it can run; otherwise skips `t`
 * (saying why) and returns false, or throws under DANE_MTA_INTEROP=1.
 */
export function requirePostgres(t: TestContext): boolean {
  const why = postgresMissing();
  if (why === undefined) return true;
  if (interopRequired()) {
    throw new InteropError(InteropErrorCode.TOOL_MISSING, `${why}; DANE_MTA_INTEROP=1 requires it`);
  }
  t.skip(why);
  return false;
}

/** A database of one test. */
export interface TestDatabase {
  readonly name: string;
  /** postgres://postgres@HOST:PORT/NAME */
  readonly url: string;
  drop(): Promise<void>;
}

export interface PgServer {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** URL of database `name` as the superuser `postgres` (trust authentication on loopback). */
  url(name: string): string;
  /** A fresh, empty database. */
  createDatabase(): Promise<TestDatabase>;
  /** One statement as superuser in database `db` (default `postgres`). */
  admin(sql: string, params?: unknown[], db?: string): Promise<pg.QueryResult>;
  /** Fast shutdown (SIGINT): sessions are ended, clients see their connections drop. */
  stop(): Promise<void>;
  /** Start the stopped server again (same data, address and port). */
  start(): Promise<void>;
  /** Stop for good and remove the cluster. */
  destroy(): Promise<void>;
}

let databases = 0;

/** Runs `bin/name args` as the postgres user when we are root. */
function asPostgres(bin: string, name: string, args: string[]): [string, string[]] {
  const file = join(bin, name);
  if (!isRoot()) return [file, args];
  const setpriv = findTool('setpriv') ?? 'setpriv';
  return [setpriv, ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', file, ...args]];
}

/** Starts a private PostgreSQL on `address` (a loopback address of the caller's plan). */
export async function startPostgres(opts: { address: string; label: string }): Promise<PgServer> {
  assertLoopback(opts.address);
  const bin = findPostgresBin();
  if (bin === undefined) throw new InteropError(InteropErrorCode.TOOL_MISSING, 'PostgreSQL not installed');
  const dir = await mkdtemp(join(tmpdir(), `dane-mta-pg-${opts.label}-`));
  const data = join(dir, 'data');
  await mkdir(data, { mode: 0o700 });
  const user = isRoot() ? postgresUser() : undefined;
  if (user !== undefined) {
    await chown(dir, user.uid, user.gid);
    await chown(data, user.uid, user.gid);
  }
  const [initdb, initArgs] = asPostgres(bin, 'initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  await runCommand(initdb, initArgs, { timeoutMs: 120_000 });
  // initdb trusts 127.0.0.1 only; the tests connect from the address plan's 127.53.N.x.
  await appendFile(join(data, 'pg_hba.conf'), `host all all ${opts.address}/32 trust\n`);
  const port = await freePort(opts.address);
  const host = opts.address;
  let daemon: Daemon | undefined;

  const admin = async (sql: string, params: unknown[] = [], db = 'postgres'): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: `postgres://postgres@${host}:${port}/${db}` });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };

  const start = async (): Promise<void> => {
    await assertPortFree(host, port);
    const [file, args] = asPostgres(bin, 'postgres', [
      '-D',
      data,
      '-h',
      host,
      '-p',
      String(port),
      '-k',
      dir,
      // Test speed, not durability: the tests never cut the power. Production keeps the defaults.
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=32MB',
    ]);
    const started = startDaemon(file, args, { name: `postgres ${host}:${port}` });
    daemon = started;
    await waitUntilReady(
      started,
      async () => {
        await admin('SELECT 1');
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  };

  const stop = async (): Promise<void> => {
    const running = daemon;
    daemon = undefined;
    if (running === undefined || running.hasExited()) return;
    try {
      process.kill(running.pid, 'SIGINT'); // fast shutdown of the postmaster alone
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      void running.stop(0);
    }, 20_000);
    await running.exited;
    clearTimeout(timer);
    await running.stop(0);
  };

  await start();
  return {
    host,
    port,
    dir,
    url: (name) => `postgres://postgres@${host}:${port}/${name}`,
    createDatabase: async () => {
      const name = `dane_mta_${process.pid}_${++databases}`;
      await admin(`CREATE DATABASE ${name}`);
      return {
        name,
        url: `postgres://postgres@${host}:${port}/${name}`,
        drop: async () => {
          await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
    admin,
    stop,
    start,
    destroy: async () => {
      const last = daemon?.output() ?? '';
      await stop();
      if (process.env['DANE_MTA_INTEROP_KEEP'] === '1') {
        process.stderr.write(`postgres: kept ${dir} (${tailLines(last, 2)})\n`);
        return;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
