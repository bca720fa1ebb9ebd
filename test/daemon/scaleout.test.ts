/**
 * Issue #12, scale-out (DESIGN.md C7): three real `dane-mta serve` processes on one PostgreSQL
 * queue deliver a load over the simulated Internet. Each node takes mail in on its own intake
 * address and delivers from its own source address, so the receivers tell who delivered what;
 * duplicates are Message-IDs that landed more than once. Pinned here: everything delivered, the
 * work spread, no duplicates without a fault; a node killed with SIGKILL loses its work to the
 * others (duplicates only among the messages it held); the per-destination connection limit
 * holds across nodes, measured at the receiver; PostgreSQL restarted under load (451 while it is
 * down, nodes reconnect, nothing lost). Sizes: SCALEOUT_MESSAGES (default 2,000),
 * SCALEOUT_FAULT_MESSAGES (kill and restart, default 1,000), SCALEOUT_LIMIT_MESSAGES (600).
 * Address plan: PostgreSQL on 127.53.24.1 (N 24); one lab per test on 127.120–127.123.0.0;
 * node k of test T listens on 127.124.T.k and delivers from 127.124.T.(10+k).
 */
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { SCENARIOS, startInternet, type Internet } from '../../src/lab/index.ts';
import { addressPlan } from '../interop/index.ts';
import { postgresMissing, requirePostgres, startPostgres, type PgServer } from '../helpers/postgres.ts';
import { startCluster, tcpPortsOf, type Cluster, type ClusterNode, type ClusterOptions } from './cluster.ts';
import { until } from './harness.ts';
import {
  copies,
  landed,
  landedCount,
  loadMessages,
  submitLoad,
  type Landed,
  type Submission,
} from './load.ts';

const size = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const MESSAGES = size('SCALEOUT_MESSAGES', 2000);
const FAULT_MESSAGES = size('SCALEOUT_FAULT_MESSAGES', 1000);
const LIMIT_MESSAGES = size('SCALEOUT_LIMIT_MESSAGES', 600);
/** Generous: the machine is shared (2 cores, other test files in parallel). */
const DEADLINE_MS = 15 * 60_000;
const DANE_DOMAINS = ['ee-311', 'ee-312', 'ta-201', 'ta-211', 'ee-301', 'demo-dane'];
const scenarios = SCENARIOS.filter((s) => DANE_DOMAINS.includes(s.id));
const domains = scenarios.map((s) => s.domain);

let server: PgServer | undefined;

before(async () => {
  if (postgresMissing() === undefined)
    server = await startPostgres({ address: addressPlan(24).dns(1), label: 'scaleout' });
});
after(async () => {
  await server?.destroy();
});

interface World {
  net: Internet;
  cluster: Cluster;
  server: PgServer;
  db: { name: string; url: string };
  /** One statement on the test's database (PostgreSQL's view, not a node's). */
  sql<R>(text: string, params?: unknown[]): Promise<R[]>;
}

/** A lab, a database and three nodes for test `n`; everything is torn down after `body`. */
async function withWorld(
  t: TestContext,
  n: number,
  opts: Omit<ClusterOptions, 'queueUrl' | 'nodes'> & { scenarios?: typeof scenarios },
  body: (w: World) => Promise<void>,
): Promise<void> {
  if (!requirePostgres(t) || server === undefined) return;
  const srv = server;
  const net = await startInternet({
    scenarios: opts.scenarios ?? scenarios,
    baseAddress: `127.${String(119 + n)}.0.0`,
  });
  const db = await srv.createDatabase();
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster(net, {
      ...opts,
      queueUrl: db.url,
      nodes: [1, 2, 3].map((k) => ({
        listen: `127.124.${String(n)}.${String(k)}`,
        source: `127.124.${String(n)}.${String(10 + k)}`,
      })),
    });
    const sql = async <R>(text: string, params: unknown[] = []): Promise<R[]> =>
      (await srv.admin(text, params, db.name)).rows as R[];
    await body({ net, cluster, server: srv, db, sql });
  } finally {
    await cluster?.stop();
    await db.drop();
    await net.close();
  }
}

const intakesOf = (c: Cluster) => () => c.nodes.filter((x) => x.alive()).map((x) => x.intake);

/** Wait until every accepted message landed and the queue holds nothing open any more. */
async function settle(w: World, accepted: readonly Submission[]): Promise<Landed[]> {
  const want = new Set(accepted.map((s) => s.message.messageId));
  await until(
    () => landedCount(w.net) >= want.size && [...want].every((id) => copiesOf(w.net).has(id)),
    `${String(want.size)} accepted messages at the receivers`,
    DEADLINE_MS,
  );
  await until(
    async () => (await openRecipients(w)) === 0,
    'no recipient left queued or deferred',
    DEADLINE_MS,
  );
  return landed(w.net);
}

let cachedAt = -1;
let cached = new Map<string, Landed[]>();
function copiesOf(net: Internet): Map<string, Landed[]> {
  const n = landedCount(net);
  if (n !== cachedAt) {
    cached = copies(landed(net));
    cachedAt = n;
  }
  return cached;
}

async function openRecipients(w: World): Promise<number> {
  const [row] = await w.sql<{ n: number }>(
    "SELECT count(*)::int AS n FROM recipients WHERE state IN ('queued', 'deferred')",
  );
  return row?.n ?? -1;
}

/** Delivered recipients per node by its own log (attempt lines), and per node at the receivers. */
function perNode(
  cluster: Cluster,
  all: readonly Landed[],
): { name: string; logged: number; landed: number }[] {
  return cluster.nodes.map((node) => ({
    name: node.name,
    logged: node
      .eventsNamed('attempt')
      .filter((e) => e['outcome'] === 'delivered')
      .reduce((sum, e) => sum + (e['recipients'] as unknown[]).length, 0),
    landed: all.filter((l) => l.from === node.source).length,
  }));
}

const eventCount = (nodes: readonly ClusterNode[], name: string, op?: string): number =>
  nodes.reduce(
    (sum, n) => sum + n.eventsNamed(name).filter((e) => op === undefined || e['operation'] === op).length,
    0,
  );

test('three nodes on one database: every message delivered once, the work spread across them', async (t) => {
  await withWorld(t, 1, { lease: '10s' }, async (w) => {
    const started = Date.now();
    const subs = await submitLoad(
      intakesOf(w.cluster),
      loadMessages(MESSAGES, { domains, prefix: 'spread' }),
    );
    assert.deepEqual(
      subs.filter((s) => s.outcome !== 'accepted'),
      [],
      'every submission accepted',
    );
    const all = await settle(w, subs);
    const seconds = (Date.now() - started) / 1000;
    const by = copies(all);
    assert.equal(by.size, MESSAGES, 'every message landed');
    assert.deepEqual(
      [...by].filter(([, c]) => c.length > 1).map(([id]) => id),
      [],
      'no message landed twice',
    );
    const nodes = perNode(w.cluster, all);
    t.diagnostic(
      `${String(MESSAGES)} messages in ${seconds.toFixed(1)} s; per node (log/receivers): ${nodes.map((x) => `${x.name} ${String(x.logged)}/${String(x.landed)}`).join(', ')}`,
    );
    for (const x of nodes) {
      assert.equal(x.logged, x.landed, `${x.name}: its attempt log matches what the receivers got from it`);
      assert.ok(x.landed >= MESSAGES / 10, `${x.name} delivered at least a tenth (${String(x.landed)})`);
    }
    const [states] = await w.sql<{ delivered: number; other: number }>(
      "SELECT count(*) FILTER (WHERE state = 'delivered')::int AS delivered, count(*) FILTER (WHERE state <> 'delivered')::int AS other FROM recipients",
    );
    assert.deepEqual(states, { delivered: MESSAGES, other: 0 });
    assert.equal(eventCount(w.cluster.nodes, 'lease-lost'), 0, 'no lease lost');
  });
});

test('a node killed with SIGKILL mid-load: the others deliver its work once the lease expires', async (t) => {
  await withWorld(t, 2, { lease: '5s' }, async (w) => {
    const victim = w.cluster.nodes[0] as ClusterNode;
    const survivors = w.cluster.nodes.slice(1);
    const load = submitLoad(intakesOf(w.cluster), loadMessages(FAULT_MESSAGES, { domains, prefix: 'kill' }));
    const owner = `%:${String(victim.pid)}:%`;
    const heldByVictim = async (): Promise<number> => {
      const [row] = await w.sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM recipients WHERE lease_owner LIKE $1 AND state IN ('queued', 'deferred')",
        [owner],
      );
      return row?.n ?? 0;
    };
    await until(
      async () => landedCount(w.net) >= FAULT_MESSAGES / 3 && (await heldByVictim()) > 0,
      'a third delivered while the victim holds work',
      DEADLINE_MS,
    );
    // Its connections to PostgreSQL, so we can wait for their statements to end after the kill.
    const ports = tcpPortsOf(victim.pid);
    await w.cluster.kill(victim);
    await until(
      async () =>
        (
          await w.sql<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE client_port = ANY ($1)',
            [ports],
          )
        )[0]?.n === 0,
      "the victim's database sessions ended",
      60_000,
    );
    const orphans = (
      await w.sql<{ id: string }>(
        "SELECT DISTINCT message_id AS id FROM recipients WHERE lease_owner LIKE $1 AND state IN ('queued', 'deferred')",
        [owner],
      )
    ).map((r) => r.id);
    const subs = await load;
    const accepted = subs.filter((s) => s.outcome === 'accepted');
    const all = await settle(w, accepted);
    const by = copies(all);
    const messageIdOf = new Map(accepted.map((s) => [s.id ?? '', s.message.messageId]));
    const fromSurvivor = (l: Landed): boolean => survivors.some((s) => s.source === l.from);
    const duplicates = [...by].filter(([, c]) => c.length > 1);
    t.diagnostic(
      `killed ${victim.name} holding ${String(orphans.length)} messages after ${String(all.length - duplicates.length)} landed; ` +
        `accepted ${String(accepted.length)}/${String(FAULT_MESSAGES)}, duplicates ${String(duplicates.length)}`,
    );
    for (const s of accepted) assert.ok(by.has(s.message.messageId), `${s.message.messageId} landed`);
    const orphanIds = orphans.map((id) => messageIdOf.get(id)).filter((m) => m !== undefined);
    for (const m of orphanIds)
      assert.ok(by.get(m)?.some(fromSurvivor), `${m}, held by the victim, was delivered by a survivor`);
    for (const [m, c] of duplicates) {
      assert.ok(orphanIds.includes(m), `${m} landed twice, and the victim held it when it died`);
      assert.equal(c.length, 2, `${m}: once by the victim, once by a survivor`);
      assert.ok(c.some((l) => l.from === victim.source) && c.some(fromSurvivor));
    }
  });
});

test('the per-destination connection limit holds across three nodes, measured at the receiver', async (t) => {
  const limit = 2;
  const one = scenarios.slice(0, 1);
  // Connections carry up to 100 messages and may outlive the 3 s lease: slots must be renewed.
  const delivery = `  per_destination: ${String(limit)}\n  messages_per_connection: 100`;
  await withWorld(t, 3, { lease: '3s', delivery, scenarios: one }, async (w) => {
    const domain = one[0]?.domain ?? '';
    const subs = await submitLoad(
      intakesOf(w.cluster),
      loadMessages(LIMIT_MESSAGES, { domains: [domain], prefix: 'limit' }),
    );
    assert.equal(subs.filter((s) => s.outcome === 'accepted').length, LIMIT_MESSAGES);
    const all = await settle(w, subs);
    const [rx] = [...w.net.receivers.values()];
    assert.ok(rx !== undefined);
    const stats = rx.stats();
    const longest = Math.max(...rx.sessions.map((s) => (s.closedAt ?? s.startedAt) - s.startedAt));
    const nodes = perNode(w.cluster, all);
    t.diagnostic(
      `${rx.hostname}: ${String(stats.connections.total)} connections, peak ${String(stats.connections.peak)} (limit ${String(limit)}), longest ${String(longest)} ms; per node ${nodes.map((x) => String(x.landed)).join(', ')}; slots lost ${String(eventCount(w.cluster.nodes, 'slot-lost'))}`,
    );
    assert.ok(stats.connections.peak <= limit, `peak ${String(stats.connections.peak)} ≤ ${String(limit)}`);
    assert.equal(copies(all).size, LIMIT_MESSAGES, 'every message landed');
    assert.equal(all.length, LIMIT_MESSAGES, 'none twice: work waiting for a slot keeps its lease');
    assert.ok(nodes.filter((x) => x.landed > 0).length >= 2, 'the limit was shared by several nodes');
  });
});

test('PostgreSQL restarted under load: 451 while it is down, the nodes reconnect, nothing is lost', async (t) => {
  await withWorld(t, 4, { lease: '5s' }, async (w) => {
    const intakes = intakesOf(w.cluster);
    const load = submitLoad(intakes, loadMessages(FAULT_MESSAGES, { domains, prefix: 'restart' }));
    await until(() => landedCount(w.net) >= FAULT_MESSAGES / 4, 'a quarter delivered', DEADLINE_MS);
    await w.server.stop();
    const down = await submitLoad(
      intakes,
      loadMessages(w.cluster.nodes.length, { domains, prefix: 'down' }),
      {
        sessions: w.cluster.nodes.length,
      },
    );
    await until(
      () => w.cluster.nodes.every((n) => n.eventsNamed('store-error').length > 0),
      'every node noticed the database is gone',
      60_000,
    );
    await w.server.start();
    const before = await load;
    const afterwards = await submitLoad(intakes, loadMessages(30, { domains, prefix: 'after' }));
    const accepted = [...before, ...afterwards].filter((s) => s.outcome === 'accepted');
    const all = await settle(w, accepted);
    const by = copies(all);
    const duplicates = [...by].filter(([, c]) => c.length > 1).length;
    const failedCompletes = eventCount(w.cluster.nodes, 'store-error', 'complete');
    const refused = before.filter((s) => s.outcome === 'refused');
    t.diagnostic(
      `accepted ${String(accepted.length)}, refused ${String(refused.length)} during the outage, duplicates ${String(duplicates)}, failed completes ${String(failedCompletes)}`,
    );
    assert.deepEqual(
      down.map((s) => `${s.outcome} ${s.reply ?? ''}`),
      down.map(() => 'refused 451 4.3.0'),
      'intake answers 451 4.3.0 while the database is down',
    );
    for (const s of refused)
      assert.equal(s.reply, '451 4.3.0', `${s.message.messageId}: refused temporarily`);
    assert.deepEqual(
      afterwards.map((s) => s.outcome),
      afterwards.map(() => 'accepted'),
      'intake accepts again after the restart',
    );
    assert.ok(
      w.cluster.nodes.every((n) => n.alive()),
      'no node died',
    );
    for (const s of accepted) assert.ok(by.has(s.message.messageId), `${s.message.messageId} landed`);
    assert.ok(duplicates <= failedCompletes, 'a duplicate only where a result could not be stored');
  });
});
