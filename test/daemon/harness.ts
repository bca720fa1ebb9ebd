/**
 * Test support for the daemon: a configuration file for a running simulated Internet (the lab's
 * validating-resolver settings and trust anchor, its SMTP port, short retries and leases), the
 * daemon started in-process (startDaemon) or as a real `dane-mta serve` child process, SMTP
 * submission with our own client, and waits on queue events or store state with a deadline so
 * a broken daemon fails a test instead of hanging it. Test support only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon, type DaemonOptions } from '../../src/daemon/daemon.ts';
import { queueEventChannel, type QueueEvent } from '../../src/daemon/events.ts';
import type { Internet } from '../../src/lab/index.ts';
import { openQueueStore, type QueueStore } from '../../src/queue/index.ts';
import { runTransaction, uniformTimeouts, type TransactionResult } from '../../src/smtp/client/index.ts';

export interface ConfigOptions {
  /** Loopback address the intake listens on (port chosen by the system). */
  listen: string;
  /** Extra YAML appended under `delivery:` (indented by the caller, 2 spaces). */
  delivery?: string;
  /** Extra top-level YAML. */
  extra?: string;
  /** `queue.url` (default: an SQLite file in the directory). */
  queueUrl?: string;
  retry?: string;
  maxAge?: string;
  delayWarning?: string;
  lease?: string;
  http?: boolean;
  /** `ADDR:PORT` of the resolver (default: the lab's address serving every zone). */
  resolver?: string;
}

export interface DaemonWorld {
  dir: string;
  configFile: string;
  /** Write a new configuration (e.g. before SIGHUP). */
  rewrite(opts: Partial<ConfigOptions>): Promise<void>;
  close(): Promise<void>;
}

/** A directory with a trust anchor and a configuration for the lab `net`. */
export async function daemonWorld(net: Internet, opts: ConfigOptions): Promise<DaemonWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'dane-mta-daemon-'));
  const dns = net.dnsSettings('validate');
  if (dns.mode !== 'validate') throw new Error('unreachable');
  await writeFile(join(dir, 'anchor.ds'), dns.trustAnchors);
  const configFile = join(dir, 'dane-mta.yaml');
  let current = opts;
  const write = async (o: ConfigOptions): Promise<void> => {
    const lines = [
      'hostname: mta.daemon.test',
      'listen:',
      `  - address: ${o.listen}:0`,
      '    mode: relay',
      'queue:',
      `  url: ${o.queueUrl ?? 'sqlite:queue.db'}`,
      `  retry: [${o.retry ?? '1s, 2s'}]`,
      `  max_age: ${o.maxAge ?? '1h'}`,
      `  delay_warning: ${o.delayWarning ?? 'off'}`,
      `  lease: ${o.lease ?? '10s'}`,
      'dns:',
      '  mode: validate',
      `  resolvers: ["${o.resolver ?? dns.resolvers[0] ?? ''}"]`,
      '  trust_anchors: [anchor.ds]',
      '  timeout: 1s',
      'delivery:',
      `  port: ${net.smtpPort}`,
      '  helo: mta.daemon.test',
      '  timeout: 5s',
      ...(o.delivery === undefined ? [] : [o.delivery]),
      ...(o.http === true ? ['http:', `  listen: ${o.listen}:0`] : []),
      'shutdown:',
      '  grace: 5s',
      ...(o.extra === undefined ? [] : [o.extra]),
      '',
    ];
    await writeFile(configFile, lines.join('\n'));
  };
  await write(opts);
  return {
    dir,
    configFile,
    rewrite: async (o) => {
      current = { ...current, ...o };
      await write(current);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Start the daemon in this process; log lines are collected. */
export async function startInProcess(
  world: DaemonWorld,
  extra: Partial<DaemonOptions> = {},
): Promise<{ daemon: Daemon; logs: string[] }> {
  const logs: string[] = [];
  const daemon = await startDaemon({
    configFile: world.configFile,
    write: (line) => logs.push(line),
    pollMs: 200,
    ...extra,
  });
  return { daemon, logs };
}

/** `host:port` of the first intake listener. */
export function intakeOf(daemon: Daemon): { address: string; port: number } {
  const name = daemon.listeners[0] ?? '';
  const i = name.lastIndexOf(':');
  return { address: name.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(name.slice(i + 1)) };
}

/** Submit one message over SMTP to `intake`. */
export function submit(
  intake: { address: string; port: number },
  env: { from: string; to: string[]; body: string; mailParams?: string[]; rcptParams?: string[] },
): Promise<TransactionResult> {
  return runTransaction({
    address: intake.address,
    port: intake.port,
    helo: 'client.daemon.test',
    starttls: 'never',
    from: env.from,
    ...(env.mailParams === undefined ? {} : { mailParams: env.mailParams }),
    recipients: env.to.map((address) =>
      env.rcptParams === undefined ? { address } : { address, params: env.rcptParams },
    ),
    message: new TextEncoder().encode(env.body),
    timeouts: uniformTimeouts(10_000),
  });
}

/** The queue id from a `250 2.0.0 Ok: queued as ID` reply. */
export function queuedId(r: TransactionResult): string {
  const m = /queued as ([0-9A-Z]{20})/.exec(r.data?.text ?? '');
  if (m === null) throw new Error(`not queued: ${JSON.stringify(r.data ?? r.failure)}`);
  return m[1] ?? '';
}

/**
 * Resolve with the first queue event `match` accepts (events published in this process), or
 * reject after `deadlineMs` naming what was awaited — so a broken daemon fails, never hangs.
 */
export function nextEvent<E extends QueueEvent>(
  match: (e: QueueEvent) => e is E,
  what: string,
  deadlineMs = 30_000,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${what} within ${deadlineMs} ms`));
    }, deadlineMs);
    const stop = queueEventChannel.subscribe((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}

/** Poll `check` (store state, a receiver) every 100 ms until it holds, or reject after the deadline. */
export async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  deadlineMs = 30_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`${what}: not reached within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Open the world's SQLite store from outside the daemon (as `dane-mta queue` does). */
export function openWorldStore(
  world: DaemonWorld,
  url = `sqlite:${join(world.dir, 'queue.db')}`,
): Promise<QueueStore> {
  return openQueueStore(url, { listen: false });
}

/** A real `dane-mta serve` child process. */
export interface ServeProcess {
  child: ChildProcess;
  stdout: string[];
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

export function spawnServe(world: DaemonWorld, args: string[] = []): ServeProcess {
  const main = new URL('../../src/cli/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, 'serve', '--config', world.configFile, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    stdout.push(...lines);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stdout.push(`stderr: ${chunk.toString('utf8').trim()}`);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
    });
  });
  return { child, stdout, exited };
}

/** The intake listener a child daemon logged at start (`{"event":"started",…,"listeners":[…]}`). */
export async function childIntake(
  p: ServeProcess,
  deadlineMs = 30_000,
): Promise<{ address: string; port: number }> {
  let found: string | undefined;
  await until(
    () => {
      for (const line of p.stdout) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { event?: string; listeners?: string[] };
        if (e.event === 'started') found = e.listeners?.[0];
      }
      return found !== undefined;
    },
    `daemon start (${p.stdout.slice(-3).join(' | ')})`,
    deadlineMs,
  );
  const name = found ?? '';
  const i = name.lastIndexOf(':');
  return { address: name.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(name.slice(i + 1)) };
}
