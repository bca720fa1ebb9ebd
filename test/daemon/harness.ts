/**
 * Test support for the daemon: a configuration file for a running simulated Internet (the lab's
 * validating-resolver settings and trust anchor, its SMTP port, short retries and leases), the
 * daemon started in-process (startDaemon) or as a real `dane-mta serve` child process, SMTP
 * submission with our own client, and waits on queue events or store state with a deadline so
 * a broken daemon fails a test instead of hanging it. Test support only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon, type DaemonOptions } from '../../src/daemon/daemon.ts';
import { queueEventChannel, type QueueEvent } from '../../src/daemon/events.ts';
import type { Internet } from '../../src/lab/index.ts';
import { openQueueStore, type QueueStore } from '../../src/queue/index.ts';
import type { Clock } from '../../src/util/index.ts';
import { runTransaction, uniformTimeouts, type TransactionResult } from '../../src/smtp/client/index.ts';
import { onEmergencyExit } from '../interop/index.ts';

export interface ConfigOptions {
  /** Loopback address the intake listens on. */
  listen: string;
  /** Intake port (default 0: chosen by the system; fix it for a daemon that restarts). */
  listenPort?: number;
  /** `delivery.port` (default: the lab's SMTP port). */
  port?: number;
  /** `shutdown.grace` (default 5s). */
  grace?: string;
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
  /** The queue's URL with a relative SQLite path made absolute (for `openWorldStore`). */
  readonly queueUrl: string;
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
      `  - address: ${o.listen}:${o.listenPort ?? 0}`,
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
      `  port: ${o.port ?? net.smtpPort}`,
      '  helo: mta.daemon.test',
      '  timeout: 5s',
      ...(o.delivery === undefined ? [] : [o.delivery]),
      ...(o.http === true ? ['http:', `  listen: ${o.listen}:0`] : []),
      'shutdown:',
      `  grace: ${o.grace ?? '5s'}`,
      ...(o.extra === undefined ? [] : [o.extra]),
      '',
    ];
    await writeFile(configFile, lines.join('\n'));
  };
  await write(opts);
  return {
    dir,
    configFile,
    get queueUrl() {
      const url = current.queueUrl ?? 'sqlite:queue.db';
      const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
      return path === undefined || path.startsWith('/') || path === ':memory:'
        ? url
        : `sqlite:${join(dir, path)}`;
    },
    rewrite: async (o) => {
      current = { ...current, ...o };
      await write(current);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * The system clock moved forward on request: a daemon started with it (`startInProcess(world,
 * { clock })`) sees hours pass at once — retries fall due, delay notices and max_age come —
 * while the lab's signatures (valid for days around real time) stay valid.
 */
export class ShiftedClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
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

/** Open the world's store from outside the daemon (as `dane-mta queue` does). */
export function openWorldStore(world: DaemonWorld, url = world.queueUrl): Promise<QueueStore> {
  return openQueueStore(url, { listen: false });
}

/** A JSON log line of the daemon (pino: level, time, pid, msg and the event's fields). */
export type LogLine = Record<string, unknown> & { event?: string; msg?: string };

/** A real `dane-mta serve` child process. */
export interface ServeProcess {
  child: ChildProcess;
  /** Every line of standard output, and standard error lines prefixed `stderr: `. */
  stdout: string[];
  /** Standard error as written. */
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /**
   * Resolves with the first JSON log line at index `from` or later (default 0) of `stdout`
   * that `match` accepts, as lines arrive — never by polling; rejects after `deadlineMs`, or
   * when the process exits first, naming what was awaited and quoting the last lines.
   */
  logLine(
    match: (e: LogLine) => boolean,
    what: string,
    opts?: { from?: number; deadlineMs?: number },
  ): Promise<LogLine>;
}

/** The line parsed as a JSON object, or undefined. */
export function parseLogLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

interface LineWaiter {
  match: (e: LogLine) => boolean;
  from: number;
  resolve: (e: LogLine) => void;
  reject: (e: Error) => void;
}

/** Child daemons still running (killed by `killServes` and if the test process ends first). */
const liveServes = new Set<ChildProcess>();

/** SIGKILL every child daemon still running (a test's `after`, so a failed test leaves none). */
export function killServes(): void {
  for (const c of liveServes) c.kill('SIGKILL');
}

export function spawnServe(world: DaemonWorld, args: string[] = []): ServeProcess {
  const main = new URL('../../src/cli/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, 'serve', '--config', world.configFile, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveServes.add(child);
  const forget = onEmergencyExit(() => child.kill('SIGKILL'));
  child.on('exit', () => {
    liveServes.delete(child);
    forget();
  });
  const stdout: string[] = [];
  let stderr = '';
  const waiters = new Set<LineWaiter>();
  const offer = (from: number): void => {
    for (const w of waiters) {
      for (let i = Math.max(from, w.from); i < stdout.length; i++) {
        const e = parseLogLine(stdout[i] ?? '');
        if (e !== undefined && w.match(e)) {
          waiters.delete(w);
          w.resolve(e);
          break;
        }
      }
    }
  };
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    const from = stdout.length;
    stdout.push(...lines);
    offer(from);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    stdout.push(`stderr: ${chunk.toString('utf8').trim()}`);
  });
  let code: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (c, signal) => {
      code = c ?? signal ?? -1;
      resolve(code);
    });
  });
  const tail = (): string => stdout.slice(-5).join(' | ');
  // Lines still in the pipe when the process exits arrive before 'close'.
  let closed = false;
  child.on('close', () => {
    closed = true;
    for (const w of waiters) w.reject(new Error(`daemon exited (${String(code)}) first: ${tail()}`));
    waiters.clear();
  });
  return {
    child,
    stdout,
    stderr: () => stderr,
    exited,
    logLine: (match, what, opts = {}) =>
      new Promise<LogLine>((resolve, reject) => {
        const deadlineMs = opts.deadlineMs ?? 30_000;
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no log line ${what} within ${deadlineMs} ms: ${tail()}`));
        }, deadlineMs);
        const w: LineWaiter = {
          match,
          from: opts.from ?? 0,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        if (closed) {
          // Already gone: look at what it wrote, once.
          waiters.add(w);
          offer(0);
          if (waiters.delete(w)) w.reject(new Error(`daemon exited (${String(code)}) first: ${tail()}`));
          return;
        }
        waiters.add(w);
        offer(0);
      }),
  };
}

/** The intake listener a child daemon logged at start (`{"event":"started",…,"listeners":[…]}`). */
export async function childIntake(
  p: ServeProcess,
  deadlineMs = 30_000,
): Promise<{ address: string; port: number }> {
  const started = await p.logLine((e) => e.event === 'started', 'of the daemon starting', { deadlineMs });
  const listeners = started['listeners'];
  const name = Array.isArray(listeners) && typeof listeners[0] === 'string' ? listeners[0] : '';
  const i = name.lastIndexOf(':');
  return { address: name.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(name.slice(i + 1)) };
}

/**
 * The daemon's clock: real time plus what the test skipped. Skipping stands for time passing
 * (a cached record's TTL running out), so nothing waits for it; the store, the scheduler and the
 * resolver's cache all read it, and `queue` commands (the system clock) see the daemon ahead.
 */
export interface SkipClock extends Clock {
  skip(ms: number): void;
}

export function skipClock(): SkipClock {
  let skipped = 0;
  return {
    now: () => Date.now() + skipped,
    skip: (ms) => {
      skipped += ms;
    },
  };
}

/** What `runDaneMta` saw of one `dane-mta …` process. */
export interface CommandRun {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Run `dane-mta ARGS…` (the built CLI) to its end. */
export function runDaneMta(args: readonly string[], deadlineMs = 60_000): Promise<CommandRun> {
  const main = new URL('../../src/cli/main.js', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    liveServes.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dane-mta ${args.join(' ')} did not end within ${deadlineMs} ms: ${stdout}${stderr}`));
    }, deadlineMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      liveServes.delete(child);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    });
  });
}

/**
 * A receiving MX that holds the reply to the final dot until the test releases it: a delivery
 * stays in flight for exactly as long as the test wants, without sleeping. Plain SMTP (no
 * STARTTLS), one message per session; every line the client sent is recorded.
 */
export interface HeldMx {
  port: number;
  /** Lines received, in order (the message body excluded). */
  lines: string[];
  /** Resolves when a client has sent a whole message and waits for our reply. */
  held: Promise<void>;
  /** Answer the held message (and every later one at once) with 250. */
  release(): void;
  close(): Promise<void>;
}

export async function startHeldMx(address: string): Promise<HeldMx> {
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    socket.write('220 held.daemon.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          reached();
          void released.then(() => socket.write('250 2.0.0 held message accepted\r\n'));
          continue;
        }
        lines.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 held.daemon.test\r\n');
        else if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET') socket.write('250 2.0.0 ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 2.0.0 bye\r\n');
        else socket.write('502 5.5.2 not here\r\n');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    lines,
    held,
    release,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
