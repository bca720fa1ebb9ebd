/**
 * The world of the relay benchmark (bench/relay.bench.ts), all on loopback plan 20: a signed
 * DNS tree (root by ldns, example. and bench.example. by BIND) served by NSD on port 53; Unbound
 * on port 53 as the validating resolver both senders use; Postfix receivers (TLS 1.3, TLS 1.2
 * only, and a spool for the intake and backlog runs), each the MX of one destination domain
 * with a DANE-EE (3 1 1) record; and the senders: Postfix as a DANE relay (postfix-relay.ts) and
 * `dane-mta serve` as a child process, fed over SMTP on their own addresses.
 * Must never reach anything but loopback addresses, nor leave a daemon running (every start is
 * paired with a deferred stop in the scope).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addressPlan,
  startDaemon,
  startHierarchy,
  startPostfixReceiver,
  startPostfixRelay,
  setAutogroupNice,
  startUnbound,
  threadCpuSeconds,
  treeCpuSeconds,
  statusKb,
  waitForSmtpBanner,
  waitUntilReady,
  type Daemon,
  type PostfixReceiver,
  type Scope,
} from '../test/interop/index.ts';
import { makePki, tlsaOf, writeChain } from '../test/interop/delivery/pki.ts';
import { startLatencyProxy } from './latency-proxy.ts';

/** Loopback plan 20 (test/interop/README.md). */
export const net = addressPlan(20);

/** The receiving MXs: which TLS they speak and which destination domain they serve. */
export const RECEIVERS = {
  tls13: { host: 1, domain: 'ee-tls13.bench.example', title: 'TLS 1.3 (Postfix default)', mainCf: {} },
  tls12: {
    host: 2,
    domain: 'ee-tls12.bench.example',
    title: 'TLS 1.2 only',
    mainCf: { smtpd_tls_protocols: '>=TLSv1.2, <=TLSv1.2' },
  },
  spool: { host: 3, domain: 'held.bench.example', title: 'TLS 1.3, intake and backlog runs', mainCf: {} },
} as const;
export type ReceiverName = keyof typeof RECEIVERS;

/**
 * A destination at a network distance: its MX host (mx4) is a delay proxy in front of the TLS
 * 1.3 receiver, adding DANE_MTA_BENCH_RELAY_RTT_MS (default 20) of round-trip time — where the
 * round trips of a handshake per message cost what they cost on the Internet.
 */
export const WAN = {
  host: 4,
  domain: 'ee-wan.bench.example',
  receiver: 'tls13',
  rttMs: ((): number => {
    const v = Number(process.env['DANE_MTA_BENCH_RELAY_RTT_MS'] ?? 20);
    return Number.isFinite(v) && v >= 0 && v <= 1000 ? v : 20;
  })(),
} as const;

/**
 * DANE_MTA_BENCH_RELAY_NICE=-10: the autogroup nice value of the bench's daemons and feeds. Each
 * daemon runs in a session of its own, which the kernel schedules as one group against every
 * other session on the machine (sched(7), autogroups); on a machine busy with other work a
 * negative value keeps that work from setting the pace. The same for both senders.
 */
export const NICE: number | undefined = ((): number | undefined => {
  const v = Number(process.env['DANE_MTA_BENCH_RELAY_NICE']);
  return Number.isInteger(v) && v >= -20 && v < 0 ? v : undefined;
})();

/** Gives `pid`'s session the bench's autogroup nice value (when NICE is set). */
export function boost(pid: number | undefined): void {
  if (NICE !== undefined && pid !== undefined && !setAutogroupNice(pid, NICE)) {
    throw new Error(`DANE_MTA_BENCH_RELAY_NICE: cannot set the autogroup nice value of process ${pid}`);
  }
}

/** Connections per destination for both senders: Postfix's default_destination_concurrency_limit. */
export const PER_DESTINATION = 20;

/** What a run needs from a sender, whichever it is. */
export interface Sender {
  readonly name: string;
  /** Where the feed submits. */
  readonly address: string;
  readonly port: number;
  /** CPU seconds its processes used so far (reaped children included). */
  cpuSeconds(): number;
  /** Its log so far; a run reads what was appended after a mark. */
  log(): Promise<string>;
  /** From a log segment: recipients delivered with DANE authentication, and the other outcomes. */
  verdicts(segment: string): Verdicts;
  /** Messages it accepted (250 after DATA) in a log segment. */
  accepted(segment: string): number;
  /** True once it holds none of the run's messages any more. */
  drained(segment: string, messages: number): Promise<boolean>;
  /** Peak and current resident memory in KiB (dane-mta only: one process). */
  memory?(): { hwmKb: number; rssKb: number };
  /** CPU seconds of its main thread and of its other threads (dane-mta only). */
  threads?(): { readonly main: number; readonly others: number };
  /** Write commits its queue store has made so far (dane-mta only: from GET /metrics). */
  storeCommits?(): Promise<number>;
  stop(): Promise<void>;
}

/** Outcomes a sender logged. */
export interface Verdicts {
  /** Recipients delivered over DANE-authenticated TLS. */
  readonly dane: number;
  /** Everything else (deferrals, unauthenticated TLS, …), one line each. */
  readonly other: readonly string[];
}

/** The running world. */
export interface World {
  readonly scope: Scope;
  readonly receivers: Readonly<Record<ReceiverName, PostfixReceiver>>;
  readonly resolver: string;
  readonly trustAnchorFile: string;
}

function records(tlsa: string): string {
  return [...Object.values(RECEIVERS), WAN]
    .flatMap((r) => {
      const host = `mx${r.host}.bench.example.`;
      return [
        `${r.domain}. 3600 IN MX 10 ${host}`,
        `${host} 3600 IN A ${net.smtp(r.host)}`,
        `_25._tcp.${host} 3600 IN TLSA ${tlsa}`,
      ];
    })
    .join('\n');
}

/** Starts DNS, Unbound and the receivers. */
export async function startWorld(scope: Scope): Promise<World> {
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
        records: records(tlsaOf(pki.good, { usage: 3, selector: 1, matchingType: 1 })),
      },
    ],
  });
  scope.defer(() => tree.stop());
  const trustAnchorFile = tree.trustAnchorFile ?? '';
  const unbound = await startUnbound({
    address: net.dns(53),
    port: 53,
    trustAnchorFile,
    rootHintsFile: tree.rootHintsFile,
    dir: scope.dir,
  });
  scope.defer(() => unbound.stop());
  boost(unbound.pid);
  const chain = await writeChain(pki.good, { dir: scope.dir, label: 'bench', include: 'full' });
  const receivers: Partial<Record<ReceiverName, PostfixReceiver>> = {};
  for (const [name, r] of Object.entries(RECEIVERS) as [ReceiverName, (typeof RECEIVERS)[ReceiverName]][]) {
    const rx = await startPostfixReceiver({
      address: net.smtp(r.host),
      port: 25,
      hostname: `mx${r.host}.bench.example`,
      dir: scope.dir,
      ...chain,
      // The receiver must not be what limits the run: no flow-control pauses.
      mainCf: { in_flow_delay: '0s', ...r.mainCf },
    });
    scope.defer(() => rx.stop());
    boost(rx.masterPid());
    receivers[name] = rx;
  }
  const proxy = await startLatencyProxy({
    listen: { address: net.smtp(WAN.host), port: 25 },
    target: { address: net.smtp(RECEIVERS[WAN.receiver].host), port: 25 },
    rttMs: WAN.rttMs,
  });
  scope.defer(() => proxy.close());
  return {
    scope,
    receivers: receivers as Record<ReceiverName, PostfixReceiver>,
    resolver: unbound.address,
    trustAnchorFile,
  };
}

const count = (text: string, re: RegExp): number => text.match(re)?.length ?? 0;

/**
 * Postfix as the sending relay with DANE (smtp_dns_support_level = dnssec,
 * smtp_tls_security_level = dane, Unbound's AD bit), Postfix's defaults otherwise.
 */
export async function startPostfixSender(
  world: World,
  options: {
    readonly name: string;
    readonly host: number;
    readonly mainCf?: Readonly<Record<string, string>>;
  },
): Promise<Sender> {
  const relay = await startPostfixRelay({
    address: net.smtp(options.host),
    port: 25,
    hostname: `relay${options.host}.bench.example`,
    resolver: world.resolver,
    dir: world.scope.dir,
    ...(options.mainCf === undefined ? {} : { mainCf: options.mainCf }),
  });
  world.scope.defer(() => relay.stop());
  boost(relay.masterPid());
  return {
    name: options.name,
    address: relay.address,
    port: relay.port,
    cpuSeconds: () => {
      const pid = relay.masterPid();
      return pid === undefined ? Number.NaN : treeCpuSeconds(pid);
    },
    log: () => relay.log(),
    verdicts: (segment) => {
      // With TLSA records, smtp(8) in mode dane sends only over a Verified connection.
      const bad = segment
        .split('\n')
        .filter((l) => /status=(deferred|bounced)|(Untrusted|Anonymous|Trusted) TLS connection/.test(l));
      const verified = count(segment, /Verified TLS connection (established|reused)/g);
      const sent = count(segment, /status=sent/g);
      return {
        dane: verified > 0 ? sent : 0,
        other: verified > 0 || sent === 0 ? bad : [...bad, 'no Verified TLS'],
      };
    },
    accepted: (segment) => count(segment, /cleanup\[\d+\]: [0-9A-F]+: message-id=/g),
    drained: async () => (await relay.queued()) === 0,
    stop: () => relay.stop(),
  };
}

/** The dane-mta configuration of the benchmark (YAML, DESIGN.md "The daemon (C6)"). */
export function daneMtaConfig(o: {
  readonly listen: string;
  /** IP:port of GET /metrics. */
  readonly http: string;
  readonly queueFile: string;
  readonly resolver: string;
  readonly trustAnchorFile: string;
  /** Hold the spool destination to one message a minute (intake runs); false: deliver freely. */
  readonly throttleSpool: boolean;
}): string {
  const spool = RECEIVERS.spool.domain;
  return [
    'hostname: dane-mta.bench.example',
    'listen:',
    `  - address: ${o.listen}:25`,
    '    mode: relay',
    '    networks: [127.0.0.0/8]',
    'queue:',
    `  url: sqlite:${o.queueFile}`,
    'dns:',
    '  mode: validate',
    `  resolvers: ["${o.resolver}:53"]`,
    `  trust_anchors: [${o.trustAnchorFile}]`,
    'delivery:',
    '  tls: dane',
    `  per_destination: ${PER_DESTINATION}`,
    ...(o.throttleSpool
      ? [
          '  destinations:',
          `    ${spool}: { concurrency: 1, messages_per_connection: 1, rate: { connections_per_minute: 1 } }`,
        ]
      : []),
    'http:',
    `  listen: ${o.http}`,
    'log:',
    '  format: json',
    '  level: info',
    '',
  ].join('\n');
}

interface AttemptLine {
  event?: string;
  outcome?: string;
  tls?: string | null;
  dane?: string;
  recipients?: string[];
  reason?: string;
}

function attempts(segment: string): AttemptLine[] {
  const out: AttemptLine[] = [];
  for (const line of segment.split('\n')) {
    if (!line.includes('"event":"attempt"')) continue;
    try {
      out.push(JSON.parse(line) as AttemptLine);
    } catch {
      // a line cut at the segment's start
    }
  }
  return out;
}

/** dane-mta's verdicts: its attempt log lines (DESIGN.md "Observability"). */
export function daneMtaVerdicts(segment: string): Verdicts {
  let dane = 0;
  const other: string[] = [];
  for (const a of attempts(segment)) {
    const n = a.recipients?.length ?? 1;
    if (a.outcome === 'delivered' && a.tls === 'dane' && a.dane === 'validated') dane += n;
    else other.push(`${a.outcome ?? '?'} tls=${String(a.tls)} dane=${a.dane ?? '?'}: ${a.reason ?? ''}`);
  }
  return { dane, other };
}

/** A running `dane-mta serve`, and how to rewrite its configuration and reload it (SIGHUP). */
export interface DaneMtaSender extends Sender {
  reconfigure(options: { readonly throttleSpool: boolean }): Promise<void>;
}

/** Starts `dane-mta serve --config FILE` as a child process with its own SQLite queue. */
export async function startDaneMta(
  world: World,
  options: {
    readonly name: string;
    readonly host: number;
    readonly label: string;
    readonly throttleSpool: boolean;
  },
): Promise<DaneMtaSender> {
  const dir = world.scope.dir;
  const address = net.smtp(options.host);
  const configFile = join(dir, `dane-mta-${options.label}.yaml`);
  const write = (throttleSpool: boolean): Promise<void> =>
    writeFile(
      configFile,
      daneMtaConfig({
        listen: address,
        http: `${address}:8025`,
        queueFile: join(dir, `queue-${options.label}.db`),
        resolver: world.resolver,
        trustAnchorFile: world.trustAnchorFile,
        throttleSpool,
      }),
    );
  await write(options.throttleSpool);
  const logFile = join(dir, `dane-mta-${options.label}.log`);
  const bin = fileURLToPath(new URL('../../bin/dane-mta', import.meta.url));
  // DANE_MTA_BENCH_RELAY_PROFILE=DIR: the daemon writes a V8 CPU profile there when it stops.
  const profile = process.env['DANE_MTA_BENCH_RELAY_PROFILE'];
  const nodeArgs = profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const daemon: Daemon = startDaemon(process.execPath, [...nodeArgs, bin, 'serve', '--config', configFile], {
    name: `dane-mta serve ${address}:25`,
    cwd: dir,
    logFile,
  });
  world.scope.defer(() => daemon.stop(15_000));
  boost(daemon.pid);
  await waitUntilReady(daemon, async () => (await waitForSmtpBanner(address, 25, { timeoutMs: 0 })) !== '', {
    timeoutMs: 30_000,
  });
  return {
    name: options.name,
    address,
    port: 25,
    cpuSeconds: () => treeCpuSeconds(daemon.pid),
    log: () => readFile(logFile, 'utf8'),
    verdicts: daneMtaVerdicts,
    accepted: (segment) => count(segment, /"event":"received"/g),
    drained: (segment, messages) => {
      const v = daneMtaVerdicts(segment);
      return Promise.resolve(v.dane + v.other.length >= messages);
    },
    threads: () => threadCpuSeconds(daemon.pid),
    storeCommits: async () => {
      const text = await (await fetch(`http://${address}:8025/metrics`)).text();
      const line = /^dane_mta_store_commits_total (\d+)$/m.exec(text);
      if (line === null) throw new Error(`${options.name}: no dane_mta_store_commits_total in /metrics`);
      return Number(line[1]);
    },
    memory: () => ({ hwmKb: statusKb(daemon.pid, 'VmHWM') ?? 0, rssKb: statusKb(daemon.pid, 'VmRSS') ?? 0 }),
    reconfigure: async (o) => {
      await write(o.throttleSpool);
      process.kill(daemon.pid, 'SIGHUP');
    },
    stop: () => daemon.stop(15_000),
  };
}
