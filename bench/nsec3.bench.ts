/**
 * CPU cost of one lookup under NSEC3 hashing amplification (the CVE-2023-50868 class), in CPU
 * milliseconds measured with process.cpuUsage, against an ordinary lookup in the same run:
 * - attack: the hostile zone of test/resolver/nsec3-flood.ts (150 iterations, three parameter
 *   sets, a signer 100 labels deep) — a cold lookup that the work limits must end quickly;
 * - ordinary: a cold NXDOMAIN lookup proven with NSEC3 (150 iterations) in the same zone.
 * Every sample is a fresh resolver (empty caches); samples of the two alternate so both see the
 * same machine load. The simulated servers' own work (finding and hashing names to answer) is
 * not the resolver's: their replies are recorded once, as wire octets, and every sample decodes
 * them afresh — the CPU measured is the resolver's (decoding, proofs, hashes, signatures).
 * Reports the median and the worst sample per lookup. Target: the worst attack lookup under
 * 100 ms of CPU. Prints; never fails the run. No network: the world is answered in-process.
 */
import {
  DEFAULT_CRYPTO,
  IterativeUpstream,
  Resolver,
  type DnsExchange,
  type DnssecCrypto,
} from '../src/dns/resolver/index.ts';
import { decodeMessage, encodeMessage, RRType } from '../src/dns/wire/index.ts';
import { formatServer, seededRandom } from '../src/util/index.ts';
import { FLOOD_QUESTION, nsec3FloodWorld } from '../test/resolver/nsec3-flood.ts';
import type { World } from '../test/resolver/world.ts';

const SAMPLES = Number(process.env['DANE_MTA_BENCH_SAMPLES'] ?? 25);
const TARGET_MS = 100;

interface Sample {
  cpuMs: number;
  hashes: number;
  outcome: string;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? NaN;
}

/**
 * The world's authoritative answers, recorded the first time as wire octets and decoded from
 * them afterwards (the servers' lookup work is then out of the measurement).
 */
function replayingNet(world: World): DnsExchange {
  const tape = new Map<string, { wire: Uint8Array; server: { address: string; port: number } }>();
  return {
    async exchange(query, servers) {
      const q = query.questions[0];
      const key = `${servers.map(formatServer).join(' ')}|${q?.name.key() ?? ''}|${q?.type ?? 0}`;
      const hit = tape.get(key);
      if (hit !== undefined)
        return { ok: true, message: { ...decodeMessage(hit.wire), id: query.id }, server: hit.server };
      const res = await world.net.exchange(query, servers);
      if (res.ok) tape.set(key, { wire: encodeMessage(res.message), server: res.server });
      return res;
    },
  };
}

async function sample(world: World, net: DnsExchange, q: { name: string; type: number }): Promise<Sample> {
  let hashes = 0;
  const crypto: DnssecCrypto = {
    ...DEFAULT_CRYPTO,
    nsec3Hash: (name, salt, iterations) => {
      hashes++;
      return DEFAULT_CRYPTO.nsec3Hash(name, salt, iterations);
    },
  };
  const random = seededRandom(42);
  const upstream = new IterativeUpstream(world.hints, net, { clock: world.clock, random });
  const resolver = new Resolver({
    upstream,
    mode: 'recursive',
    anchors: world.anchors(),
    clock: world.clock,
    crypto,
  });
  const before = process.cpuUsage();
  const a = await resolver.lookup(q.name, q.type);
  const used = process.cpuUsage(before);
  return {
    cpuMs: (used.user + used.system) / 1000,
    hashes,
    outcome: `${a.kind} ${a.status}${a.reason === undefined ? '' : ` (${a.reason})`}`,
  };
}

function report(label: string, samples: readonly Sample[]): { median: number; worst: number } {
  const cpu = samples.map((s) => s.cpuMs);
  const m = median(cpu);
  const worst = Math.max(...cpu);
  console.log(
    `${label.padEnd(34)} median ${m.toFixed(1).padStart(7)} ms CPU, worst ${worst.toFixed(1).padStart(7)} ms, ` +
      `${median(samples.map((s) => s.hashes))} NSEC3 hashes; ${samples[0]?.outcome ?? ''}`,
  );
  return { median: m, worst };
}

async function main(): Promise<void> {
  const world = nsec3FloodWorld();
  const net = replayingNet(world);
  const attackQ = { name: FLOOD_QUESTION.name.toString(), type: FLOOD_QUESTION.type };
  const ordinaryQ = { name: 'nope.example.test.', type: RRType.A };
  // Warm-up: the JIT and the key objects, outside the measured samples.
  await sample(world, net, ordinaryQ);
  await sample(world, net, attackQ);
  const attack: Sample[] = [];
  const ordinary: Sample[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (i % 2 === 0) {
      attack.push(await sample(world, net, attackQ));
      ordinary.push(await sample(world, net, ordinaryQ));
    } else {
      ordinary.push(await sample(world, net, ordinaryQ));
      attack.push(await sample(world, net, attackQ));
    }
  }
  console.log(`NSEC3 hash flood, one cold lookup each, ${SAMPLES} samples (process.cpuUsage):`);
  const o = report('ordinary NSEC3 NXDOMAIN lookup', ordinary);
  const a = report('hash-flood lookup (attack)', attack);
  console.log(`attack/ordinary (median CPU): ${(a.median / o.median).toFixed(2)}`);
  const verdict = a.worst < TARGET_MS ? 'PASS' : 'NOTE';
  console.log(`${verdict}: worst attack lookup ${a.worst.toFixed(1)} ms CPU (target < ${TARGET_MS} ms)`);
}

await main();
