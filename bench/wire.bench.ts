/**
 * Benchmark of the DNS wire decoder (src/dns/wire) against dns-packet, both run in this process
 * on the same octets: signed responses captured from NSD (test/fixtures/wire/golden), the main one
 * a ~1,200-octet DNSKEY answer with two RSA keys and two RRSIGs. Both decoders decode every
 * record of every section (dns-packet eagerly decodes all rdata too; ours additionally keeps each
 * record's raw rdata and validates every length). Prints median ns/op, the ratio ours/dns-packet
 * and PASS/NOTE for the target "at least as fast as dns-packet". Run with `npm run bench`.
 * Must never fail the run on noise, or touch the network.
 */
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { decodeMessage } from '../src/dns/wire/index.ts';
import { measurePair, printRatio } from './harness.ts';

const GOLDEN = new URL('../../test/fixtures/wire/golden/', import.meta.url);

interface Case {
  readonly file: string;
  readonly what: string;
  /** The case the target is judged on. */
  readonly main: boolean;
}

const CASES: readonly Case[] = [
  { file: 'nsec-dnskey', what: 'DNSKEY ×2 + RRSIG ×2 (RSASHA256)', main: true },
  { file: 'nsec-mx', what: 'MX ×3, NS ×2, A + RRSIG ×3', main: false },
  { file: 'nsec-nxdomain', what: 'NXDOMAIN: SOA, NSEC ×2 + RRSIG ×3', main: false },
  { file: 'nsec3-mx', what: 'MX ×2 + A/AAAA + NSEC3 (ECDSA)', main: false },
];

function load(file: string): Buffer {
  const hex = readFileSync(new URL(`${file}.hex`, GOLDEN), 'utf8').replace(/\s/g, '');
  return Buffer.from(hex, 'hex');
}

function recordCount(m: {
  answers?: unknown[] | undefined;
  authorities?: unknown[] | undefined;
  additionals?: unknown[] | undefined;
}): number {
  return (m.answers?.length ?? 0) + (m.authorities?.length ?? 0) + (m.additionals?.length ?? 0);
}

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 11);
const iterations = Number(process.env['BENCH_ITERATIONS'] ?? 20_000);
console.log(
  `wire decode vs dns-packet (Node ${process.version}): median of ${rounds} rounds × ${iterations} decodes`,
);
for (const c of CASES) {
  const packet = load(c.file);
  // Fairness check: both decoders see the same records (ours keeps OPT apart, as edns).
  const ours = decodeMessage(packet);
  const ref = dnsPacket.decode(packet);
  const oursCount = recordCount(ours) + (ours.edns === undefined ? 0 : 1);
  if (oursCount !== recordCount(ref)) {
    console.log(`NOTE: ${c.file}: record counts differ (ours ${oursCount}, dns-packet ${recordCount(ref)})`);
  }
  console.log(`\n${c.file} (${packet.length} octets, ${oursCount} records): ${c.what}`);
  const [a, b] = measurePair(
    { name: 'dane-mta decodeMessage', fn: () => decodeMessage(packet) },
    { name: 'dns-packet', fn: () => dnsPacket.decode(packet) },
    { rounds, iterations },
  );
  printRatio(`${c.main ? 'target ' : ''}decode ${c.file}`, a, b, 1);
}
