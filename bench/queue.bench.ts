/**
 * The SQLite queue under load: enqueues per second of ~2 KB messages with 1, 10 and 100
 * concurrent callers, with group commit (the worker coalesces waiting requests into one
 * transaction, one fsync) against one transaction per message (`groupCommit: false`), measured
 * in the same run on the same disk; the main thread's event-loop delay while it runs
 * (perf_hooks.monitorEventLoopDelay, p99 and max beyond its 1 ms sampling interval); and, as
 * references for that delay, the same enqueue run synchronously on the main thread (what the
 * worker thread avoids) and an idle stretch (the machine's own noise).
 * Each run is a fresh database file under BENCH_QUEUE_DIR (default: the OS temp dir — put it
 * on the disk the queue will live on; tmpfs fsyncs cost nothing). Prints; never fails the run.
 *
 *   BENCH_QUEUE_MS       length of each run (default 3000)
 *   BENCH_QUEUE_BODY     body size in octets (default 2048)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { newQueueId, openQueueStore } from '../src/queue/index.ts';
import type { NewMessage, QueueStore } from '../src/queue/index.ts';
import { Db } from '../src/queue/sqlite/db.ts';
import { enqueue as enqueueSync } from '../src/queue/sqlite/ops-work.ts';
import { configure, migrate } from '../src/queue/sqlite/schema.ts';
import { seededRandom } from '../src/util/index.ts';
import { printRatio } from './harness.ts';

const RUN_MS = Number(process.env['BENCH_QUEUE_MS'] ?? 3000);
const BODY = Number(process.env['BENCH_QUEUE_BODY'] ?? 2048);
const DIR = process.env['BENCH_QUEUE_DIR'] ?? tmpdir();
const random = seededRandom(0x9e11e);
const body = new Uint8Array(BODY).fill(0x61);

function newMessage(now: number): NewMessage {
  return {
    id: newQueueId(now, random),
    from: 'sender@example.net',
    received: now,
    body,
    smtputf8: false,
    eightBitMime: false,
    requireTls: false,
    kind: 'normal',
    recipients: [{ address: 'rcpt@example.org', domain: 'example.org' }],
  };
}

interface RunResult {
  label: string;
  perSecond: number;
  commitsPerMessage: number;
  p99Ms: number;
  maxMs: number;
}

/** Sampling interval of the event-loop delay monitor; reported delays are what exceeds it. */
const RESOLUTION_MS = 1;

function loopDelay(): { stop: () => { p99Ms: number; maxMs: number } } {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return {
    stop: () => {
      h.disable();
      const excess = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
      return { p99Ms: excess(h.percentile(99)), maxMs: excess(h.max) };
    },
  };
}

/** The machine's own noise: the same delay measurement while the process does nothing. */
async function runIdle(): Promise<RunResult> {
  const delay = loopDelay();
  await new Promise((resolve) => setTimeout(resolve, RUN_MS));
  return { label: 'idle (noise of this machine)', perSecond: 0, commitsPerMessage: 0, ...delay.stop() };
}

/** `callers` loops that enqueue until the time is up. */
async function runStore(store: QueueStore, callers: number, label: string): Promise<RunResult> {
  let done = 0;
  const before = store.counters().commits;
  const delay = loopDelay();
  const start = performance.now();
  const deadline = start + RUN_MS;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        await store.enqueue(newMessage(Date.now()));
        done++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const { p99Ms, maxMs } = delay.stop();
  const commits = store.counters().commits - before;
  return { label, perSecond: done / seconds, commitsPerMessage: commits / done, p99Ms, maxMs };
}

/** The reference: the same enqueue, synchronously on the main thread, one transaction each. */
async function runInThread(path: string): Promise<RunResult> {
  const db = new Db(new Database(path));
  configure(db, 5000);
  migrate(db, Date.now(), path);
  let done = 0;
  const delay = loopDelay();
  const start = performance.now();
  const deadline = start + RUN_MS;
  // Yield to the event loop between messages, as a server would between requests.
  while (performance.now() < deadline) {
    db.exec('BEGIN IMMEDIATE');
    enqueueSync(db, newMessage(Date.now()));
    db.exec('COMMIT');
    done++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - start) / 1000;
  const { p99Ms, maxMs } = delay.stop();
  db.raw.close();
  return {
    label: 'in main thread, 1 tx/message',
    perSecond: done / seconds,
    commitsPerMessage: 1,
    p99Ms,
    maxMs,
  };
}

function print(r: RunResult): void {
  console.log(
    `${r.label.padEnd(40)} ${r.perSecond.toFixed(0).padStart(7)} enqueues/s  ` +
      `${r.commitsPerMessage.toFixed(3)} commits/msg  event-loop delay p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms`,
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(DIR, 'dane-mta-queue-bench-'));
  let n = 0;
  const fresh = (): string => join(dir, `q${++n}.db`);
  console.log(`queue bench: ${BODY}-octet messages, ${RUN_MS} ms per run, files in ${dir}`);
  try {
    for (const callers of [1, 10, 100]) {
      const results: RunResult[] = [];
      // Alternate which mode runs first, so both see the same machine load on average.
      const modes = callers === 10 ? [false, true] : [true, false];
      for (const grouped of modes) {
        const store = await openQueueStore(`sqlite:${fresh()}`, { groupCommit: grouped });
        const label = `${grouped ? 'group commit' : '1 tx/message'}, ${callers} caller${callers > 1 ? 's' : ''}`;
        results.push(await runStore(store, callers, label));
        await store.close();
      }
      results.sort((a, b) => a.label.localeCompare(b.label));
      results.forEach(print);
      const [single, group] = results as [RunResult, RunResult];
      const perMessageNs = (r: RunResult) => ({ name: r.label, median: 1e9 / r.perSecond, min: 0, max: 0 });
      printRatio(`time per enqueue, ${callers} callers`, perMessageNs(group), perMessageNs(single), 1);
    }
    print(await runInThread(fresh()));
    print(await runIdle());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
