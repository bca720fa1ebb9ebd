/**
 * The MTA side of the demo's fourth act (src/lab/demo-queue.ts): `dane-mta serve` started in this
 * process from a configuration file written to a temporary directory (a relay listener on the
 * lab's loopback /16, an SQLite queue beside it, retries 10 minutes apart, DNS validated against
 * the lab's root key), SMTP submission with our own client, the daemon's attempts from its queue
 * events, and the operator's commands as they run from the shell: `queue list`, `queue retry`
 * (the real command, on its own store connection) and `check` (a fresh resolver: the receiving
 * operator's own view). The daemon's clock can be moved on, so the demo does not wait for a TTL.
 * Offline, no root: loopback only, high ports. Must never leave the daemon running or the
 * directory behind (`close`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { checkDomain, parseCheckDomain, reportText } from '../check/index.ts';
import { queueEventChannel, startDaemon, type AttemptEvent, type Daemon } from '../daemon/index.ts';
import type { DemoQueueAttempt, DemoQueueMessage, DemoQueueSide, Internet } from '../lab/index.ts';
import { createResolver } from '../mta/index.ts';
import { runTransaction, uniformTimeouts } from '../smtp/client/index.ts';
import { systemClock, type Clock } from '../util/index.ts';
import { parseCommandArgs, type CommandIo } from './command.ts';
import { queueCommand } from './commands/queue.ts';

/** Every wait of the act on the daemon: all servers are on loopback. */
const WAIT_MS = 20_000;
const SENDER = 'demo@client.lab';
const HELO = 'client.lab';

/** A clock that runs with real time and can be moved on (the demo's time-lapse). */
function movableClock(): Clock & { move(ms: number): void } {
  let moved = 0;
  return {
    now: () => Date.now() + moved,
    move: (ms) => {
      moved += ms;
    },
  };
}

function configText(net: Internet, listen: string): string {
  const dns = net.dnsSettings('validate');
  const resolver = dns.mode === 'validate' ? (dns.resolvers[0] ?? '') : '';
  return [
    '# dane-mta demo: the daemon of the fourth act',
    'hostname: mta.demo.lab',
    'listen:',
    `  - address: ${listen}:0`,
    '    mode: relay',
    'queue:',
    '  url: sqlite:queue.db',
    '  retry: [10m]',
    '  delay_warning: off',
    'dns:',
    '  mode: validate',
    `  resolvers: ["${resolver}"]`,
    `  trust_anchors: [${JSON.stringify(net.files.trustAnchor)}]`,
    '  timeout: 1s',
    'delivery:',
    `  port: ${net.smtpPort}`,
    `  helo: ${HELO}`,
    '  timeout: 5s',
    'log:',
    '  level: warn',
    'shutdown:',
    '  grace: 2s',
    '',
  ].join('\n');
}

/** Run a `dane-mta queue …` command as the shell would; its standard output. */
async function queueCli(argv: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    stdin: Readable.from([]),
    env: {},
  };
  const code = await queueCommand.run(parseCommandArgs(queueCommand, argv), io);
  if (code !== 0) throw new Error(`dane-mta queue ${argv[0] ?? ''} exited ${code}: ${stderr.trim()}`);
  return stdout;
}

/** The daemon's attempts per message, and waits for the n-th. */
function attemptLog(): { wait(id: string, n: number): Promise<AttemptEvent>; close(): void } {
  const seen = new Map<string, AttemptEvent[]>();
  const waiters = new Set<() => void>();
  const stop = queueEventChannel.subscribe((e) => {
    if (e.event !== 'attempt') return;
    seen.set(e.id, [...(seen.get(e.id) ?? []), e]);
    for (const w of [...waiters]) w();
  });
  const wait = (id: string, n: number): Promise<AttemptEvent> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const e = seen.get(id)?.[n - 1];
        if (e === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(e);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no attempt ${n} of ${id} within ${WAIT_MS / 1000} s`));
      }, WAIT_MS);
      waiters.add(check);
      check();
    });
  return { wait, close: stop };
}

const toAttempt = (e: AttemptEvent): DemoQueueAttempt => ({
  outcome: e.outcome,
  enhanced: e.enhanced,
  reason: e.reason,
  tls: e.tls,
  reply: e.reply,
  log: e.transcript,
});

/** The daemon of the fourth act, running; `close` stops it and removes its directory. */
export interface DemoDaemon {
  readonly side: DemoQueueSide;
  close(): Promise<void>;
}

/** Start the daemon for `net`, its listener on `prefix`.25.1 (the lab's /16). */
export async function startDemoDaemon(net: Internet, prefix: string): Promise<DemoDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'dane-mta-demo-'));
  const configFile = join(dir, 'dane-mta.yaml');
  const clock = movableClock();
  const attempts = attemptLog();
  let daemon: Daemon;
  try {
    await writeFile(configFile, configText(net, `${prefix}.25.1`));
    daemon = await startDaemon({ configFile, clock, write: () => undefined });
  } catch (e) {
    attempts.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const listener = daemon.listeners[0] ?? '';
  const at = listener.lastIndexOf(':');
  const config = ['--config', configFile];
  const side: DemoQueueSide = {
    serve: {
      command: `dane-mta serve --config ${configFile}`,
      details: [
        `relay listener ${listener}, queue sqlite:${join(dir, 'queue.db')}, retries 10 minutes apart`,
        `DNS: validated from the lab's root key, asking ${net.allZonesAddress}:${net.dnsPort}`,
      ],
    },
    submit: async (recipient) => {
      const r = await runTransaction({
        address: listener.slice(0, at),
        port: Number(listener.slice(at + 1)),
        helo: HELO,
        starttls: 'never',
        from: SENDER,
        recipients: [{ address: recipient }],
        message: new TextEncoder().encode(
          `From: ${SENDER}\r\nTo: ${recipient}\r\nSubject: Hello from the dane-mta demo\r\n\r\nThis message waited in a queue.\r\n`,
        ),
        timeouts: uniformTimeouts(WAIT_MS),
      });
      const reply = r.data === undefined ? null : `${r.data.code} ${r.data.enhanced ?? ''} ${r.data.text}`;
      const id = /queued as ([0-9A-Z]{20})/.exec(r.data?.text ?? '')?.[1];
      if (id === undefined)
        throw new Error(`the daemon did not queue the message: ${reply ?? r.failure?.message ?? '?'}`);
      return { id, reply: (reply ?? '').replace(/\s+/g, ' ') };
    },
    attempt: async (id, n) => toAttempt(await attempts.wait(id, n)),
    list: async () => ({
      text: await queueCli(['list', ...config]),
      // What `queue list --json` shows, read through the daemon's own store connection.
      messages: (await daemon.store.list()).map((v): DemoQueueMessage => ({
        id: v.message.id,
        recipients: v.recipients.map((r) => ({ address: r.address, state: r.state, reason: r.reason })),
      })),
    }),
    retry: (domain) => queueCli(['retry', '--domain', domain, ...config]),
    check: async (domain) => {
      const resolver = createResolver({ ...net.dnsSettings('validate'), timeoutMs: 1000 });
      const report = await checkDomain(parseCheckDomain(domain), {
        resolver,
        clock: systemClock,
        port: net.smtpPort,
        helo: HELO,
        timeoutMs: 5000,
      });
      return { text: reportText(report), verdict: report.verdict, findings: report.findings };
    },
    passTime: (ms) => {
      clock.move(ms);
    },
  };
  return {
    side,
    close: async () => {
      attempts.close();
      await daemon.stop('demo');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
