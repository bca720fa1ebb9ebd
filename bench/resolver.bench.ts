/**
 * Benchmark of the validating resolver against Unbound, both measured in this run on the same
 * signed tree (BIND/ldns-signed zones served by NSD on loopback):
 * (1) cold: resolve and validate 500+ names over 20+ signed zones in mode recursive from an
 *     empty cache, with C concurrent lookups, vs a fresh Unbound asked the same names with the
 *     same concurrency from a Node UDP client → ours/Unbound (target ≤ 1.5, goal ≤ 1.0);
 * (2) warm: cached validated lookups per second in-process vs one UDP round trip to a warm
 *     Unbound → Unbound/ours (in-process should be at least 10× faster).
 * Run with `npm run bench` (or `node dist/bench/resolver.bench.js`); skipped with a message when
 * NSD, Unbound or the signers are missing. Not a test: it prints, never fails on noise.
 * Must never reach anything but loopback addresses (test-file id 12: 127.53.12.x).
 */
import { IterativeUpstream, Resolver, TrustAnchors, type Answer } from '../src/dns/resolver/index.ts';
import { parseTrustAnchors } from '../src/dns/dnssec/index.ts';
import { createExchange, query } from '../src/dns/transport/index.ts';
import { Name, RRType } from '../src/dns/wire/index.ts';
import { cryptoRandom, systemClock } from '../src/util/index.ts';
import {
  addressPlan,
  createScope,
  freePort,
  isRoot,
  missingTools,
  startHierarchy,
  startUnbound,
  writeRootHints,
  type HierarchyZone,
} from '../test/interop/index.ts';
import { formatNs } from './harness.ts';

const net = addressPlan(12);
const ZONES = Number(process.env['BENCH_ZONES'] ?? 20);
const NAMES_PER_ZONE = Number(process.env['BENCH_NAMES'] ?? 26);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const TOOLS = [
  'nsd',
  'nsd-checkconf',
  'unbound',
  'unbound-checkconf',
  'dnssec-keygen',
  'dnssec-signzone',
  'dnssec-dsfromkey',
  'ldns-keygen',
  'ldns-signzone',
  'ldns-key2ds',
];

function tree(): HierarchyZone[] {
  const zones: HierarchyZone[] = [
    { name: '.', address: net.dns(1), signer: 'bind', algorithm: 13 },
    {
      name: 'bench.',
      address: net.dns(2),
      signer: 'bind',
      algorithm: 13,
      nsec3: { iterations: 0, salt: '-' },
    },
  ];
  for (let i = 0; i < ZONES; i++) {
    const records = Array.from(
      { length: NAMES_PER_ZONE },
      (_, k) => `h${k} IN A 192.0.2.${(k % 250) + 1}`,
    ).join('\n');
    zones.push({
      name: `z${i}.bench.`,
      address: net.dns(10 + i),
      signer: i % 2 === 0 ? 'bind' : 'ldns',
      algorithm: i % 5 === 4 ? 15 : 13,
      ...(i % 3 === 0 ? { nsec3: { iterations: 0, salt: '-' } } : {}),
      records: `${records}\n`,
    });
  }
  return zones;
}

function names(): string[] {
  const out: string[] = [];
  for (let k = 0; k < NAMES_PER_ZONE; k++) for (let i = 0; i < ZONES; i++) out.push(`h${k}.z${i}.bench.`);
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1] ?? 0;
}

/** Run `fn` over `items` with at most `limit` in flight; resolves to the elapsed nanoseconds. */
async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return Number(process.hrtime.bigint() - start);
}

async function askUnbound(server: { address: string; port: number }, name: string): Promise<boolean> {
  const res = await query(
    { name: Name.parse(name), type: RRType.A, class: 1 },
    { servers: [server], timeoutMs: 3000, attempts: 1, dnssecOk: true },
  );
  return res.ok && res.message.flags.ad;
}

async function main(): Promise<void> {
  const missing = missingTools(TOOLS);
  if (missing.length > 0) {
    console.log(`resolver bench skipped: ${missing.join(', ')} not installed`);
    return;
  }
  const scope = await createScope('resolver-bench');
  try {
    const port = isRoot() ? 53 : await freePort(net.dns(1));
    console.log(
      `resolver bench: ${ZONES} signed zones, ${ZONES * NAMES_PER_ZONE} names, concurrency ${CONCURRENCY}, NSD on port ${port}`,
    );
    const t0 = Date.now();
    const running = await startHierarchy({ dir: scope.dir, port, zones: tree() });
    scope.defer(() => running.stop());
    console.log(`  signed and started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const hints = `${scope.dir}/bench.hints`;
    await writeRootHints(hints, [{ name: 'a.root-servers.', address: net.dns(1) }]);
    const anchors = new TrustAnchors(parseTrustAnchors(running.trustAnchors.join('\n')));
    const list = names();

    // (1) cold: ours. "Cold" is the cache: a throwaway resolver runs the list once first, so the
    // measured ones (fresh instances, empty caches) run JIT-compiled code, as in a daemon.
    const exchange = createExchange({ timeoutMs: 3000, attempts: 2 });
    const fresh = (): Resolver =>
      new Resolver({
        upstream: new IterativeUpstream(
          [{ name: Name.parse('a.root-servers.'), addresses: [net.dns(1)] }],
          exchange,
          { clock: systemClock, random: cryptoRandom, port },
        ),
        mode: 'recursive',
        anchors,
        clock: systemClock,
      });
    for (let pass = 0; pass < 3; pass++) {
      const warmup = fresh();
      await pool(list, CONCURRENCY, (n) => warmup.lookup(n, RRType.A));
    }
    const oursRuns: number[] = [];
    let ours = fresh();
    let secure = 0;
    for (let run = 0; run < RUNS; run++) {
      const r = fresh();
      ours = r;
      const answers: Answer[] = [];
      oursRuns.push(await pool(list, CONCURRENCY, async (n) => answers.push(await r.lookup(n, RRType.A))));
      secure = answers.filter((a) => a.status === 'secure' && a.kind === 'answer').length;
    }

    // (1) cold: a fresh Unbound process per run, asked with the same concurrency.
    const unboundRuns: number[] = [];
    let ad = 0;
    let server = { address: net.dns(53), port: 53 };
    for (let run = 0; run < RUNS; run++) {
      const address = net.dns(53 + run);
      const unboundPort = isRoot() ? 53 : await freePort(address);
      const unbound = await startUnbound({
        address,
        port: unboundPort,
        trustAnchorFile: running.trustAnchorFile ?? '',
        dir: scope.dir,
        extraServerLines: ['num-queries-per-thread: 1024', 'outgoing-range: 1024'],
        ...(port === 53 ? { rootHintsFile: hints } : { stubZones: running.stubZones }),
      });
      scope.defer(() => unbound.stop());
      const target = { address, port: unboundPort };
      server = target;
      ad = 0;
      unboundRuns.push(
        await pool(list, CONCURRENCY, async (n) => {
          if (await askUnbound(target, n)) ad++;
        }),
      );
    }
    const oursNs = median(oursRuns);
    const unboundNs = median(unboundRuns);
    console.log(
      `  cold, ours:    ${oursRuns.map(formatNs).join(', ')} (median of ${RUNS}; ${secure}/${list.length} secure)`,
    );
    console.log(
      `  cold, Unbound: ${unboundRuns.map(formatNs).join(', ')} (median of ${RUNS}; ${ad}/${list.length} with AD)`,
    );
    const ratio = oursNs / unboundNs;
    console.log(
      `${ratio <= 1.5 ? 'PASS' : 'NOTE'}: cold resolve+validate ours/Unbound = ${ratio.toFixed(2)} (target ≤ 1.50, goal ≤ 1.00)`,
    );

    // (2) warm: cached lookups in-process vs one UDP round trip to the warm Unbound.
    const warmIterations = 200_000;
    const startWarm = process.hrtime.bigint();
    const parsed = list.map((n) => Name.parse(n));
    for (let i = 0; i < warmIterations; i++) await ours.lookup(parsed[i % parsed.length] as Name, RRType.A);
    const warmNs = Number(process.hrtime.bigint() - startWarm) / warmIterations;
    const trips = 500;
    const startTrip = process.hrtime.bigint();
    for (let i = 0; i < trips; i++) await askUnbound(server, list[i % list.length] as string);
    const tripNs = Number(process.hrtime.bigint() - startTrip) / trips;
    console.log(
      `  warm, ours in-process: ${formatNs(warmNs)}/lookup (${Math.round(1e9 / warmNs)} lookups/s)`,
    );
    console.log(
      `  warm, Unbound UDP round trip: ${formatNs(tripNs)}/query (${Math.round(1e9 / tripNs)} queries/s)`,
    );
    const speedup = tripNs / warmNs;
    console.log(
      `${speedup >= 10 ? 'PASS' : 'NOTE'}: warm cached lookup is ${speedup.toFixed(1)}× faster than a round trip to Unbound (target ≥ 10×)`,
    );
  } finally {
    await scope.close();
  }
}

main().catch((e: unknown) => {
  console.log(`resolver bench failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
