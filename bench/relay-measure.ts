/**
 * The measurements of the relay benchmark: a delivery run (smtp-source submits N messages to a
 * sender, timed from the first submission until the N-th message is in the receiving Maildir;
 * the sender's CPU until it holds nothing more; the TLS handshakes and sessions the receiver
 * logged; proof that every message went over DANE-authenticated TLS), and an intake run (N
 * messages, S sessions, timed until smtp-source has every 250). Runs are checked, not trusted:
 * a run whose messages did not all arrive over TLS, or that the sender did not log as
 * DANE-authenticated, throws instead of printing a number.
 * Must never reach anything but loopback addresses.
 */
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  clockTicksPerSecond,
  countMaildir,
  parseProcStat,
  runSmtpSource,
  treeCpuSeconds,
  sleep,
  type PostfixReceiver,
  type SmtpSourceResult,
} from '../test/interop/index.ts';
import { boost, type Sender, type Verdicts } from './relay-world.ts';

/** Where the feed's messages come from; the body length (smtp-source -l, headers not included). */
export const FROM = 'bench@sender.example';
export const BODY_BYTES = 2048;

/** What one delivery run found. */
export interface DeliveryMeasurement {
  readonly sender: string;
  readonly messages: number;
  /** First submission to the N-th message in the Maildir. */
  readonly seconds: number;
  /** First submission to the feed's last 250 (smtp-source exits): the sender's intake. */
  readonly fedSeconds: number;
  readonly perSecond: number;
  /** Sender CPU from the first submission until it was drained, per 1,000 messages. */
  readonly cpuPer1000: number;
  /** The receiving Postfix's CPU over the same stretch, per 1,000 messages. */
  readonly receiverCpuPer1000: number;
  /** smtp-source's CPU, per 1,000 messages (it is reaped by this process). */
  readonly feedCpuPer1000: number;
  /** The sender's main thread: CPU per 1,000 messages and share of the run's wall time (dane-mta). */
  readonly mainThread?: { readonly per1000: number; readonly busy: number; readonly othersPer1000: number };
  /** Write commits (each one fsync'd or not, see the SQLite worker) of the sender's queue, per message. */
  readonly commitsPerMessage?: number;
  /** The machine's 1-minute load average when the run ended (other work shares the cores). */
  readonly load: number;
  /** TLS handshakes / SMTP sessions the receiver logged, per message. */
  readonly handshakesPerMessage: number;
  readonly sessionsPerMessage: number;
  /** TLS versions of the delivered messages (Received: header), e.g. { TLSv1.3: 2000 }. */
  readonly protocols: Readonly<Record<string, number>>;
  readonly verdicts: Verdicts;
}

/** What one intake run found. */
export interface IntakeMeasurement {
  readonly sender: string;
  readonly messages: number;
  readonly sessions: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly cpuPer1000: number;
}

const count = (text: string, re: RegExp): number => text.match(re)?.length ?? 0;

/** CPU of this process's reaped children (smtp-source, during a run), from /proc/self/stat. */
function reapedCpuSeconds(): number {
  const stat = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
  return stat === undefined ? Number.NaN : (stat.cutime + stat.cstime) / clockTicksPerSecond();
}

/** Removes every delivered message (the receiver runs as root's postfix user; we are root). */
export async function emptyMaildir(maildir: string): Promise<void> {
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(maildir, sub)).catch(() => [] as string[]);
    await Promise.all(names.map((n) => rm(join(maildir, sub, n), { force: true })));
  }
}

/**
 * Polls `check` every `everyMs` until it returns true; fails when it has not changed `progress`
 * for `stallMs` (a sender that stopped), so a broken run fails instead of hanging.
 */
async function until(
  what: string,
  check: () => Promise<{ done: boolean; progress: number }>,
  options: { readonly everyMs?: number; readonly stallMs?: number } = {},
): Promise<void> {
  const stallMs = options.stallMs ?? 60_000;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { done, progress } = await check();
    if (done) return;
    if (progress !== last) {
      last = progress;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(`${what}: stuck at ${progress} for ${stallMs / 1000} s`);
    }
    await sleep(options.everyMs ?? 20);
  }
}

/** The TLS protocols of the Maildir's messages, from the receiver's Received: header. */
async function protocolsOf(rx: PostfixReceiver, to: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of await rx.readMessages()) {
    const key =
      m.deliveredTo !== to ? `wrong recipient ${String(m.deliveredTo)}` : (m.tlsProtocol ?? 'plaintext');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Options of {@link measureDelivery}. */
export interface DeliveryRun {
  readonly sender: Sender;
  readonly receiver: PostfixReceiver;
  /** The recipient (its domain is the receiver's DANE-EE destination). */
  readonly to: string;
  readonly messages: number;
  /** Parallel feed sessions. */
  readonly sessions: number;
}

/** One delivery run, checked (see the file header). */
export async function measureDelivery(run: DeliveryRun): Promise<DeliveryMeasurement> {
  const { sender, receiver: rx, messages } = run;
  await emptyMaildir(rx.maildir);
  const senderMark = (await sender.log()).length;
  const rxMark = (await rx.log()).length;
  const rxCpu = (): number => {
    const pid = rx.masterPid();
    return pid === undefined ? Number.NaN : treeCpuSeconds(pid);
  };
  const cpu0 = sender.cpuSeconds();
  const feed0 = reapedCpuSeconds();
  const threads0 = sender.threads?.();
  const commits0 = await sender.storeCommits?.();
  const rxCpu0 = rxCpu();
  const start = process.hrtime.bigint();
  const feed = runSmtpSource({
    server: sender.address,
    port: sender.port,
    from: FROM,
    to: run.to,
    messages,
    sessions: run.sessions,
    length: BODY_BYTES,
    onSpawn: boost,
  });
  let fed: SmtpSourceResult | Error | undefined;
  let fedAt = Number.NaN;
  feed.then(
    (r) => {
      fedAt = Number(process.hrtime.bigint() - start) / 1e9;
      fed = r;
    },
    (e: unknown) => (fed = e instanceof Error ? e : new Error(String(e))),
  );
  await until(`${sender.name}: messages in ${rx.hostname}'s Maildir`, async () => {
    if (fed instanceof Error) throw fed;
    const n = await countMaildir(rx.maildir);
    return { done: n >= messages, progress: n };
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await feed;
  const segment = async (): Promise<string> => (await sender.log()).slice(senderMark);
  await until(`${sender.name}: drained`, async () => {
    const s = await segment();
    // A deferral would only be retried minutes later: say so now instead of waiting.
    const other = sender.verdicts(s).other;
    if (other.length > 0)
      throw new Error(`${sender.name}: ${other.length} not delivered with DANE: ${other[0] ?? ''}`);
    return { done: await sender.drained(s, messages), progress: s.length };
  });
  const cpu = sender.cpuSeconds() - cpu0;
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const threads1 = sender.threads?.();
  const commits1 = await sender.storeCommits?.();
  const mainThread =
    threads0 === undefined || threads1 === undefined
      ? undefined
      : {
          per1000: ((threads1.main - threads0.main) * 1000) / messages,
          busy: (threads1.main - threads0.main) / wall,
          othersPer1000: ((threads1.others - threads0.others) * 1000) / messages,
        };
  // The receiver logs each delivery after its handshake: once all are logged, so are those.
  let rxLog = '';
  await until(`${rx.hostname}: delivery log lines`, async () => {
    rxLog = (await rx.log()).slice(rxMark);
    const n = count(rxLog, /virtual\[\d+\]: .*status=sent/g);
    return { done: n >= messages, progress: n };
  });
  const rxCpuUsed = rxCpu() - rxCpu0;
  const verdicts = sender.verdicts(await segment());
  const protocols = await protocolsOf(rx, run.to);
  const tls = Object.entries(protocols).filter(([p]) => /^TLSv1\.[23]$/.test(p));
  const overTls = tls.reduce((n, [, c]) => n + c, 0);
  if (verdicts.dane !== messages || verdicts.other.length > 0 || overTls !== messages) {
    throw new Error(
      `${sender.name}: ${verdicts.dane} of ${messages} logged as DANE-authenticated, ` +
        `${overTls} arrived over TLS (${JSON.stringify(protocols)}); other: ${verdicts.other.slice(0, 3).join(' | ')}`,
    );
  }
  return {
    sender: sender.name,
    messages,
    seconds,
    fedSeconds: fedAt,
    perSecond: messages / seconds,
    cpuPer1000: (cpu * 1000) / messages,
    receiverCpuPer1000: (rxCpuUsed * 1000) / messages,
    feedCpuPer1000: ((reapedCpuSeconds() - feed0) * 1000) / messages,
    ...(mainThread === undefined ? {} : { mainThread }),
    ...(commits0 === undefined || commits1 === undefined
      ? {}
      : { commitsPerMessage: (commits1 - commits0) / messages }),
    load: loadavg()[0] ?? Number.NaN,
    handshakesPerMessage: count(rxLog, /smtpd\[\d+\]: \w+ TLS connection established from/g) / messages,
    sessionsPerMessage: count(rxLog, /smtpd\[\d+\]: connect from/g) / messages,
    protocols,
    verdicts,
  };
}

/** One intake run: N messages over S sessions into `sender`, which delivers none of them now. */
export async function measureIntake(
  sender: Sender,
  run: { readonly to: string; readonly messages: number; readonly sessions: number },
): Promise<IntakeMeasurement> {
  const mark = (await sender.log()).length;
  const cpu0 = sender.cpuSeconds();
  const fed = await runSmtpSource({
    server: sender.address,
    port: sender.port,
    from: FROM,
    to: run.to,
    messages: run.messages,
    sessions: run.sessions,
    length: BODY_BYTES,
    onSpawn: boost,
  });
  const cpu = sender.cpuSeconds() - cpu0;
  // smtp-source exits 0 only after a 250 for every message; the log must agree.
  let accepted = 0;
  await until(
    `${sender.name}: accepted messages in the log`,
    async () => {
      accepted = sender.accepted((await sender.log()).slice(mark));
      return { done: accepted >= run.messages, progress: accepted };
    },
    { stallMs: 10_000 },
  );
  const seconds = fed.ns / 1e9;
  return {
    sender: sender.name,
    messages: run.messages,
    sessions: run.sessions,
    seconds,
    perSecond: run.messages / seconds,
    cpuPer1000: (cpu * 1000) / run.messages,
  };
}

/** Waits until `sender` has logged `n` accepted messages since `mark` (for fills without timing). */
export async function waitAccepted(sender: Sender, mark: number, n: number): Promise<void> {
  await until(`${sender.name}: accepted`, async () => {
    const got = sender.accepted((await sender.log()).slice(mark));
    return { done: got >= n, progress: got };
  });
}

/**
 * The receiver's own ceiling: smtp-source straight into it (plaintext, no relay), timed until the
 * N-th message is in its Maildir. No sender can deliver faster than this on the same machine.
 */
export async function measureCeiling(
  rx: PostfixReceiver,
  run: { readonly to: string; readonly messages: number; readonly sessions: number },
): Promise<{ readonly perSecond: number; readonly seconds: number }> {
  await emptyMaildir(rx.maildir);
  const start = process.hrtime.bigint();
  await runSmtpSource({
    server: rx.address,
    port: rx.port,
    from: FROM,
    to: run.to,
    messages: run.messages,
    sessions: run.sessions,
    length: BODY_BYTES,
    onSpawn: boost,
  });
  await until(`${rx.hostname}: messages in the Maildir`, async () => {
    const n = await countMaildir(rx.maildir);
    return { done: n >= run.messages, progress: n };
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSecond: run.messages / seconds, seconds };
}
