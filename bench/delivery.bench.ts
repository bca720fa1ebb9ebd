/**
 * The cost of DANE per SMTP transaction (RFC 7672 §3: TLSA × peer chain), against a real
 * Postfix on loopback with a warm DNS cache: `lookup-rcpt` (EHLO, STARTTLS, MAIL, RCPT, QUIT)
 * and `send` (… DATA) to a host with DANE-EE (3 1 1) records and to one with DANE-TA (2 0 1)
 * records, compared in the same run, interleaved, with the same transaction in TLS mode
 * `require` to the same host (STARTTLS, no certificate verification). Zones are signed by BIND
 * and ldns and served by NSD on port 53; one recursive Resolver is reused, warmed first.
 * Prints ms/transaction (median of N ≥ 50 after warm-up) and the DANE overhead (target < 10 %),
 * then the TLS 1.3 stall: the same transaction to Postfix with TLS 1.3 and with TLS 1.2, and
 * with TLS 1.3 when the client does not wait for the session ticket (src/smtp/client/
 * session-ticket.ts explains the ~40 ms that wait saves).
 * Needs root and NSD, the BIND/ldns signers and Postfix; without them it prints SKIP and exits 0.
 * Must never reach anything but loopback addresses, nor leave a daemon running.
 */
import {
  deliver,
  lookupRcpt,
  type DeliverOptions,
  type DeliveryResult,
  type OpenSession,
} from '../src/delivery/index.ts';
import { openSession } from '../src/smtp/client/index.ts';
import type { TlsMode } from '../src/policy/index.ts';
import { cryptoRandom, describeError, systemClock } from '../src/util/index.ts';
import {
  addressPlan,
  createScope,
  isRoot,
  missingTools,
  startHierarchy,
  startPostfixReceiver,
  type Scope,
} from '../test/interop/index.ts';
import { makePki, tlsaOf, writeChain, type Pki } from '../test/interop/delivery/pki.ts';
import { recursiveResolver } from '../test/interop/delivery/world.ts';
import { formatNs, printRatio, type Measurement } from './harness.ts';

/** Loopback plan 11 (the delivery interop test uses 10). */
const net = addressPlan(11);
const SAMPLES = Number(process.env['DANE_MTA_BENCH_SAMPLES'] ?? 60);
const WARMUP = 10;
const TOOLS = [
  'nsd',
  'dnssec-keygen',
  'dnssec-signzone',
  'dnssec-dsfromkey',
  'ldns-keygen',
  'ldns-signzone',
  'ldns-key2ds',
  'postfix',
];

/**
 * The Postfix receivers. TLS 1.3 is Postfix's default; the TLS 1.2-only one shows the cost of
 * the transaction itself. With TLS 1.3, Postfix sends its session tickets and then, Nagle
 * holding its next write until they are acknowledged, waits out the client's delayed ACK
 * (about 40 ms on Linux loopback) before its reply to the EHLO after STARTTLS — unless the
 * client sends that EHLO after the tickets arrived (it does; `no ticket wait` shows the stall).
 */
const RECEIVERS = [
  { label: 'tls13', host: 1, title: 'Postfix, TLS 1.3 (default)', mainCf: {} },
  {
    label: 'tls12',
    host: 2,
    title: 'Postfix, TLS 1.2 only',
    mainCf: { smtpd_tls_protocols: '>=TLSv1.2, <=TLSv1.2' },
  },
] as const;

/** One kind of transaction measured: which destination, which TLS mode. */
interface Variant {
  readonly name: string;
  readonly domain: string;
  readonly tlsMode: TlsMode;
  /** The TLS level the transaction must reach (else the measurement is meaningless). */
  readonly tls: 'dane' | 'encrypted';
  /** The SMTP client, when not the default one. */
  readonly open?: OpenSession;
}

/** The client as it was before it waited for the TLS 1.3 session ticket. */
const noTicketWait: OpenSession = (o) => openSession({ ...o, awaitSessionTicket: false });

/** DANE-EE, DANE-TA, and the baseline (mode require to the DANE-EE host, no verification). */
function variantsFor(label: string): Variant[] {
  return [
    { name: 'dane-ee (3 1 1)', domain: `ee-${label}.bench.example`, tlsMode: 'dane', tls: 'dane' },
    { name: 'dane-ta (2 0 1)', domain: `ta-${label}.bench.example`, tlsMode: 'dane', tls: 'dane' },
    { name: 'require, no verify', domain: `ee-${label}.bench.example`, tlsMode: 'require', tls: 'encrypted' },
  ];
}

/** The TLS 1.3 stall: `require` to each receiver, and to the TLS 1.3 one without the ticket wait. */
const STALL_VARIANTS: readonly Variant[] = [
  { name: 'TLS 1.3', domain: 'ee-tls13.bench.example', tlsMode: 'require', tls: 'encrypted' },
  {
    name: 'TLS 1.3, no ticket wait',
    domain: 'ee-tls13.bench.example',
    tlsMode: 'require',
    tls: 'encrypted',
    open: noTicketWait,
  },
  { name: 'TLS 1.2', domain: 'ee-tls12.bench.example', tlsMode: 'require', tls: 'encrypted' },
];

function benchRecords(pki: Pki): string {
  const ee = tlsaOf(pki.good, { usage: 3, selector: 1, matchingType: 1 });
  const ta = tlsaOf(pki.root, { usage: 2, selector: 0, matchingType: 1 });
  return RECEIVERS.flatMap((r) =>
    [
      ['ee', ee],
      ['ta', ta],
    ].flatMap(([kind, tlsa]) => {
      const host = `h-${kind ?? ''}-${r.label}.bench.example.`;
      return [
        `${kind ?? ''}-${r.label}.bench.example. 3600 IN MX 10 ${host}`,
        `${host} 3600 IN A ${net.smtp(r.host)}`,
        `_25._tcp.${host} 3600 IN TLSA ${tlsa ?? ''}`,
      ];
    }),
  ).join('\n');
}

type BenchOptions = DeliverOptions;

async function startWorld(scope: Scope): Promise<BenchOptions> {
  const pki = makePki(Date.now());
  const tree = await startHierarchy({
    dir: scope.dir,
    port: 53,
    zones: [
      { name: '.', address: net.dns(1), signer: 'ldns', algorithm: 13 },
      { name: 'example.', address: net.dns(2), signer: 'bind', algorithm: 13 },
      {
        name: 'bench.example.',
        address: net.dns(3),
        signer: 'bind',
        algorithm: 13,
        records: benchRecords(pki),
      },
    ],
  });
  scope.defer(() => tree.stop());
  const chain = await writeChain(pki.good, { dir: scope.dir, label: 'bench', include: 'full' });
  for (const r of RECEIVERS) {
    const rx = await startPostfixReceiver({
      address: net.smtp(r.host),
      port: 25,
      hostname: `mx-${r.label}.bench.example`,
      dir: scope.dir,
      ...chain,
      // Recipient verification aborts every transaction; Postfix's flow control (in_flow_delay)
      // would then pause each new one for a second once its tokens run out.
      mainCf: { in_flow_delay: '0s', ...r.mainCf },
    });
    scope.defer(() => rx.stop());
  }
  return {
    resolver: await recursiveResolver(tree.rootHintsFile, tree.trustAnchorFile ?? ''),
    profile: { tlsMode: 'dane', insecureMx: 'dane', port: 25, helo: 'bench.sender.example' },
    clock: systemClock,
    random: cryptoRandom,
  };
}

const MESSAGE = new TextEncoder().encode(
  'From: <bench@sender.example>\r\nSubject: dane-mta delivery benchmark\r\n\r\nbenchmark message\r\n',
);

type Op = 'lookup-rcpt' | 'send';

/** One transaction; returns its duration in ns, or throws when it did not reach the TLS level. */
async function once(op: Op, v: Variant, options: BenchOptions): Promise<number> {
  const opts = {
    ...options,
    profile: { ...options.profile, tlsMode: v.tlsMode },
    ...(v.open === undefined ? {} : { open: v.open }),
  };
  const to = `user@${v.domain}`;
  const start = process.hrtime.bigint();
  const res: DeliveryResult =
    op === 'send'
      ? await deliver({ from: 'bench@sender.example', to: [to] }, MESSAGE, opts)
      : await lookupRcpt(to, opts);
  const ns = Number(process.hrtime.bigint() - start);
  const ok = op === 'send' ? 'delivered' : 'accepted';
  if (res.outcome !== ok || res.tls !== v.tls) {
    throw new Error(
      `${op} ${v.name}: ${res.outcome} (tls ${String(res.tls)}): ${res.reason} ${res.log.join(' | ')}`,
    );
  }
  return ns;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Warm-up, then SAMPLES rounds; each round runs every variant once, in a rotating order, so that
 * all variants see the same machine load. Returns one Measurement (ns) per variant.
 */
async function measureOp(
  op: Op,
  variants: readonly Variant[],
  options: BenchOptions,
): Promise<Measurement[]> {
  for (let i = 0; i < WARMUP; i++) for (const v of variants) await once(op, v, options);
  const times: number[][] = variants.map(() => []);
  for (let r = 0; r < SAMPLES; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      times[i]?.push(await once(op, variants[i] as Variant, options));
    }
  }
  return variants.map((v, i) => {
    const t = times[i] ?? [];
    return { name: v.name, median: median(t), min: Math.min(...t), max: Math.max(...t) };
  });
}

function report(title: string, ms: readonly Measurement[]): void {
  console.log(`\n${title}`);
  for (const m of ms) {
    console.log(
      `  ${m.name.padEnd(20)} ${(m.median / 1e6).toFixed(2).padStart(7)} ms/transaction ` +
        `(min ${formatNs(m.min)}, max ${formatNs(m.max)}; median of ${SAMPLES})`,
    );
  }
  const ref = ms.at(-1);
  if (ref === undefined) return;
  for (const m of ms.slice(0, -1)) {
    const ratio = printRatio(`${m.name} vs ${ref.name}`, m, ref, 1.1);
    const extra = ((m.median - ref.median) / 1e6).toFixed(2);
    console.log(`  DANE overhead: ${((ratio - 1) * 100).toFixed(1)} % (${extra} ms; goal < 10 %)`);
  }
}

/** The TLS 1.3 stall: both TLS versions, and TLS 1.3 without the ticket wait, as ratios to TLS 1.2. */
function reportStall(op: Op, ms: readonly Measurement[]): void {
  console.log(`\nTLS 1.3 stall, ${op} (mode require) to Postfix:`);
  const ref = ms.at(-1);
  for (const m of ms) {
    const ratio = ref === undefined ? '' : ` = ${(m.median / ref.median).toFixed(2)} × TLS 1.2`;
    console.log(`  ${m.name.padEnd(24)} ${(m.median / 1e6).toFixed(2).padStart(7)} ms/transaction${ratio}`);
  }
}

async function main(): Promise<void> {
  const missing = missingTools(TOOLS);
  if (missing.length > 0 || !isRoot()) {
    const why = missing.length > 0 ? `${missing.join(', ')} not installed` : 'needs root (port 53, Postfix)';
    console.log(`SKIP: delivery benchmark: ${why}`);
    return;
  }
  const scope = await createScope('delivery-bench');
  try {
    const options = await startWorld(scope);
    for (const r of RECEIVERS) {
      for (const op of ['lookup-rcpt', 'send'] as const) {
        const ms = await measureOp(op, variantsFor(r.label), options);
        report(`${op} to ${r.title}, warm DNS cache:`, ms);
      }
    }
    for (const op of ['lookup-rcpt', 'send'] as const)
      reportStall(op, await measureOp(op, STALL_VARIANTS, options));
  } finally {
    await scope.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`delivery benchmark failed: ${describeError(err)}`);
    process.exit(1);
  },
);
