/**
 * The scale-out benchmark (issue #12): relay throughput of 1, 2 and 3 `dane-mta serve` nodes on
 * one PostgreSQL queue against one node on SQLite — the reference, measured in the same run,
 * with the same receivers (the simulated Internet's DANE domains, every delivery over DANE).
 * BENCH_SCALEOUT_MESSAGES one-recipient messages (default 1,500) are submitted over SMTP to the
 * nodes' intakes, 6 sessions spread over the nodes; a run is timed from the first submission
 * until the last message is at a receiver. On 2 cores the nodes compete with one another, with
 * PostgreSQL and with the lab for the CPU, so msg/s alone hides the scaling: printed too are CPU
 * seconds per 1,000 messages of the nodes and of PostgreSQL (its postmaster and backends), and
 * the database's cost per delivered message — SQL statements and write commits, from the
 * nodes' own /metrics (`dane_mta_store_statements_total`, `dane_mta_store_commits_total`).
 * PostgreSQL runs with its durability on (fsync), like SQLite's `synchronous=FULL`.
 * Needs Debian's PostgreSQL; without it prints SKIP and exits 0. Loopback only: PostgreSQL on
 * 127.53.25.1 (interop N 25), the lab of run r on 127.(164+r).0.0, node k of run r listens on
 * 127.168.r.k and delivers from 127.168.r.(10+k). Never leaves a daemon or a server running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS, startInternet } from '../src/lab/index.ts';
import { describeError } from '../src/util/index.ts';
import { startCluster, cpuSeconds, treeCpuSeconds, type Cluster } from '../test/daemon/cluster.ts';
import { until } from '../test/daemon/harness.ts';
import { landedCount, loadMessages, submitLoad } from '../test/daemon/load.ts';
import { postgresMissing, startPostgres, type PgServer } from '../test/helpers/postgres.ts';
import { addressPlan } from '../test/interop/index.ts';

const MESSAGES = Number(process.env['BENCH_SCALEOUT_MESSAGES'] ?? 1500);
const DANE_DOMAINS = ['ee-311', 'ee-312', 'ta-201', 'ta-211', 'ee-301', 'demo-dane'];
const scenarios = SCENARIOS.filter((s) => DANE_DOMAINS.includes(s.id));
const domains = scenarios.map((s) => s.domain);

interface Run {
  label: string;
  nodes: number;
  seconds: number;
  delivered: number;
  nodeCpu: number;
  dbCpu: number;
  statements: number;
  commits: number;
}

/** A counter's value in Prometheus text (0 when absent). */
function counter(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

async function storeCost(cluster: Cluster): Promise<{ statements: number; commits: number }> {
  let statements = 0;
  let commits = 0;
  for (const node of cluster.nodes) {
    if (node.http === undefined) continue;
    const text = await (await fetch(`http://${node.http}/metrics`)).text();
    statements += counter(text, 'dane_mta_store_statements_total');
    commits += counter(text, 'dane_mta_store_commits_total');
  }
  return { statements, commits };
}

async function runOnce(
  r: number,
  label: string,
  nodes: number,
  queueUrl: string,
  pg: PgServer | undefined,
): Promise<Run> {
  const net = await startInternet({ scenarios, baseAddress: `127.${String(164 + r)}.0.0` });
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster(net, {
      queueUrl,
      lease: '30s',
      http: true,
      nodes: Array.from({ length: nodes }, (_, i) => ({
        listen: `127.168.${String(r)}.${String(i + 1)}`,
        source: `127.168.${String(r)}.${String(11 + i)}`,
      })),
    });
    const c = cluster;
    const messages = loadMessages(MESSAGES, { domains, prefix: `bench${String(r)}` });
    const cpu0 = c.nodes.reduce((s, n) => s + cpuSeconds(n.pid), 0);
    const pgPid = pg?.pid();
    const db0 = pgPid === undefined ? 0 : treeCpuSeconds(pgPid);
    const cost0 = await storeCost(c);
    const t0 = performance.now();
    const submitted = await submitLoad(() => c.nodes.map((n) => n.intake), messages, { sessions: 6 });
    const accepted = submitted.filter((s) => s.outcome === 'accepted').length;
    await until(
      () => landedCount(net) >= accepted,
      `${String(accepted)} messages at the receivers`,
      20 * 60_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    const cost1 = await storeCost(c);
    return {
      label,
      nodes,
      seconds,
      delivered: landedCount(net),
      nodeCpu: c.nodes.reduce((s, n) => s + cpuSeconds(n.pid), 0) - cpu0,
      dbCpu: pgPid === undefined ? 0 : treeCpuSeconds(pgPid) - db0,
      statements: cost1.statements - cost0.statements,
      commits: cost1.commits - cost0.commits,
    };
  } finally {
    await cluster?.stop();
    await net.close();
  }
}

function print(runs: readonly Run[]): void {
  const ref = runs[0];
  console.log(
    `\n${'run'.padEnd(22)}${'msg/s'.padStart(8)}${'ratio'.padStart(8)}${'node CPU s/1k'.padStart(15)}${'DB CPU s/1k'.padStart(13)}${'stmts/msg'.padStart(11)}${'commits/msg'.padStart(13)}`,
  );
  for (const x of runs) {
    const rate = x.delivered / x.seconds;
    const k = x.delivered / 1000;
    console.log(
      `${x.label.padEnd(22)}${rate.toFixed(1).padStart(8)}${(ref === undefined ? 1 : rate / (ref.delivered / ref.seconds)).toFixed(2).padStart(8)}${(x.nodeCpu / k).toFixed(2).padStart(15)}${(x.dbCpu / k).toFixed(2).padStart(13)}${(x.statements / x.delivered).toFixed(1).padStart(11)}${(x.commits / x.delivered).toFixed(2).padStart(13)}`,
    );
  }
  console.log(
    '\nratio: msg/s against one node on SQLite. On 2 cores the nodes share the CPU with PostgreSQL and the lab: more nodes add throughput only while a core is idle; CPU seconds per 1,000 messages show what each node costs.',
  );
}

async function main(): Promise<void> {
  const missing = postgresMissing();
  if (missing !== undefined) {
    console.log(`SKIP scaleout: ${missing}`);
    return;
  }
  console.log(`scale-out: ${String(MESSAGES)} messages to ${String(domains.length)} DANE domains per run`);
  const dir = mkdtempSync(join(tmpdir(), 'dane-mta-bench-scaleout-'));
  const pg = await startPostgres({ address: addressPlan(25).dns(1), label: 'bench', durable: true });
  const runs: Run[] = [];
  try {
    runs.push(await runOnce(0, '1 node, SQLite', 1, `sqlite:${join(dir, 'queue.db')}`, undefined));
    for (const n of [1, 2, 3]) {
      const db = await pg.createDatabase();
      try {
        runs.push(await runOnce(n, `${String(n)} node(s), PostgreSQL`, n, db.url, pg));
      } finally {
        await db.drop();
      }
    }
  } finally {
    await pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  print(runs);
}

main().catch((e: unknown) => {
  console.error(`scaleout bench: ${describeError(e)}`);
  process.exitCode = 1;
});
