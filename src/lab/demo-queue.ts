/**
 * The demo's fourth act (issues #10 and #13): the botched renewal again, this time through the
 * MTA daemon. The message is taken in over SMTP and stored; its first attempt fails DANE
 * (RFC 7672 §2.2: defer, never plaintext), so it waits in the queue, deferred with the DANE
 * reason; the receiving operator runs `dane-mta check`, which names the record to publish
 * (RFC 7671 §8.1: "publish TLSA records for the new key"); the operator publishes exactly that
 * record (`Internet.publishTlsa`); once caches have dropped the stale record (its TTL), `queue
 * retry` delivers the message over DANE. The queue turns a DANE failure into a delay, not a loss.
 * The daemon side is passed in (the lab plays the Internet, not the MTA); this module prints the
 * act and checks every outcome, so the demo stays a smoke test. Never throws for an MTA that
 * misbehaves: it reports the problem and stops the act.
 */
import { deliveredDane } from './scenarios/kit.ts';
import { LAB_TTL } from './scenarios/build.ts';
import { deliveryProblems, recipientOf, type ObservedDelivery } from './scenarios/check.ts';
import type { TlsaPublication, TlsaRecordSpec } from './scenarios/publish.ts';
import type { Scenario } from './scenarios/types.ts';
import type { Internet } from './internet.ts';
import { MtaError } from '../util/index.ts';

/** One delivery attempt of the daemon (its `attempt` queue event). */
export interface DemoQueueAttempt extends ObservedDelivery {
  readonly enhanced: string;
  readonly reason: string;
  /** The reply that decided it (the final 250 of a delivery), if any. */
  readonly reply: { code: number; enhanced: string | null; text: string } | null;
}

/** A message as `queue list --json` shows it (the fields the act reads). */
export interface DemoQueueMessage {
  readonly id: string;
  readonly recipients: readonly { address: string; state: string; reason: string | null }[];
}

/** A finding of `dane-mta check` (the fields the act reads). */
export interface DemoCheckFinding {
  readonly severity: string;
  readonly code: string;
  readonly fix: string | null;
}

/** The daemon and the operator's commands, wired by the caller. */
export interface DemoQueueSide {
  /** How the daemon was started: the `serve` command line and what it listens on. */
  readonly serve: { readonly command: string; readonly details: readonly string[] };
  /** Submit one message over SMTP to the daemon's listener: the queue id and the 250 reply. */
  submit(recipient: string): Promise<{ id: string; reply: string }>;
  /** The `n`-th delivery attempt (1-based) of message `id`, when it has happened. */
  attempt(id: string, n: number): Promise<DemoQueueAttempt>;
  /** `dane-mta queue list`: its text, and its JSON. */
  list(): Promise<{ text: string; messages: readonly DemoQueueMessage[] }>;
  /** `dane-mta check DOMAIN`: its text, verdict and findings. */
  check(domain: string): Promise<{ text: string; verdict: string; findings: readonly DemoCheckFinding[] }>;
  /** `dane-mta queue retry --domain DOMAIN`: its output. */
  retry(domain: string): Promise<string>;
  /** Let `ms` pass for the daemon (its clock moves on; its DNS cache ages). */
  passTime(ms: number): void;
}

/** What the act needs from the script around it. */
export interface QueueActContext {
  readonly internet: Internet;
  readonly scenario: Scenario;
  /** The host and record the operator publishes (DEMO_RENEWAL_FIX). */
  readonly fix: { readonly host: string; readonly tlsa: readonly TlsaRecordSpec[] };
  readonly side: DemoQueueSide;
  readonly out: (text: string) => void;
}

/** An outcome that is not the expected one: the act stops there and reports it. */
class ActStop extends MtaError<'LAB_ERR_DEMO_ACT'> {
  constructor(message: string) {
    super('LAB_ERR_DEMO_ACT', message);
  }
}

const indent = (text: string): string =>
  text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => (l === '' ? '   |' : `   | ${l}`))
    .join('\n');

/** The explanation printed before the act. */
export const QUEUE_ACT_EXPLAIN: readonly string[] = [
  'The same domain through the MTA daemon (dane-mta serve): the message is stored before the',
  'client hears 250, and a DANE failure only delays it. The operator of the domain runs the',
  'checker, publishes the record it names, and the next try delivers over DANE.',
];

/** Check the message's recipient states in `queue list`. */
function listed(messages: readonly DemoQueueMessage[], id: string, state: string): void {
  const m = messages.find((x) => x.id === id);
  const states = m?.recipients.map((r) => r.state) ?? [];
  if (states.length === 0 || states.some((s) => s !== state)) {
    throw new ActStop(`queue list shows ${id} as ${states.join(', ') || 'missing'}, expected ${state}`);
  }
}

function attemptProblems(ctx: QueueActContext, a: DemoQueueAttempt, scenario: Scenario): void {
  const net = ctx.internet;
  const problems = deliveryProblems(a, scenario, {
    port: net.smtpPort,
    addressOf: (h) => net.addressOf(h),
  });
  if (problems.length > 0) throw new ActStop(problems.join('; '));
}

function printAttempt(out: (t: string) => void, a: DemoQueueAttempt): void {
  for (const line of a.log) out(`   | ${line}\n`);
  const tls = a.tls === null ? '' : ` (TLS: ${a.tls})`;
  const why =
    a.outcome === 'delivered' && a.reply !== null
      ? `${a.reply.code} ${a.reply.enhanced ?? ''} ${a.reply.text}`.replace(/\s+/g, ' ')
      : `${a.enhanced} ${a.reason}`;
  out(`   → ${a.outcome}${tls}: ${why}\n`);
}

/** The published record, as the checker's fix must name it. */
function publishedLine(p: TlsaPublication): string {
  return `${p.owner} IN TLSA ${p.records.join(' ')}`;
}

async function deferAndCheck(ctx: QueueActContext): Promise<string> {
  const { side, out, scenario } = ctx;
  out(`   $ ${side.serve.command}\n${side.serve.details.map((d) => `   | ${d}\n`).join('')}`);
  const rcpt = recipientOf(scenario);
  const { id, reply } = await side.submit(rcpt);
  out(`   SMTP to the daemon: MAIL FROM:<demo@client.lab> RCPT TO:<${rcpt}> DATA → ${reply}\n`);
  out('   The first attempt:\n');
  const first = await side.attempt(id, 1);
  printAttempt(out, first);
  attemptProblems(ctx, first, scenario);
  out('   $ dane-mta queue list\n');
  const before = await side.list();
  out(`${indent(before.text)}\n`);
  listed(before.messages, id, 'deferred');
  return id;
}

/** The checker's verdict and the record it says to publish. */
async function checkAndFix(ctx: QueueActContext): Promise<void> {
  const { side, out, scenario, internet } = ctx;
  out(`   The operator of ${scenario.domain} asks what is wrong:\n`);
  out(`   $ dane-mta check ${scenario.domain}\n`);
  const report = await side.check(scenario.domain);
  out(`${indent(report.text)}\n`);
  const noMatch = report.findings.find((f) => f.code === 'tlsa-no-match');
  if (report.verdict !== 'error' || noMatch?.fix == null) {
    throw new ActStop(`check says ${report.verdict} without a tlsa-no-match fix`);
  }
  const published = internet.publishTlsa(ctx.fix.host, ctx.fix.tlsa);
  const line = publishedLine(published);
  out(
    `   The operator publishes that record (zone ${published.zone} re-signed, serial ${published.serial}):\n`,
  );
  out(`   | ${line}\n`);
  if (!noMatch.fix.toLowerCase().includes(line.toLowerCase())) {
    throw new ActStop(`the checker's fix does not name the published record ${line}`);
  }
}

async function retryAndDeliver(ctx: QueueActContext, id: string): Promise<void> {
  const { side, out, scenario } = ctx;
  side.passTime(LAB_TTL * 1000);
  out(
    `   Caches keep the stale record for its TTL (${LAB_TTL} s): the demo moves the daemon's clock on by that much.\n`,
  );
  out('   Rather than wait for the next scheduled try, the operator asks for one now:\n');
  out(`   $ dane-mta queue retry --domain ${scenario.domain}\n`);
  out(`${indent(await side.retry(scenario.domain))}\n`);
  out('   The next attempt, at once:\n');
  const second = await side.attempt(id, 2);
  printAttempt(out, second);
  const host = ctx.fix.host;
  attemptProblems(ctx, second, { ...scenario, expect: deliveredDane(host) });
  out('   $ dane-mta queue list\n');
  const after = await side.list();
  out(`${indent(after.text)}\n`);
  listed(after.messages, id, 'delivered');
  const rx = ctx.internet.receivers.get(host.toLowerCase());
  if (!rx?.messages.some((m) => Buffer.from(m.data).toString('latin1').includes(id))) {
    throw new ActStop(`${host} did not receive message ${id}`);
  }
}

/** The act ends as the operator would: the checker again, now without an error. */
async function checkAgain(ctx: QueueActContext): Promise<void> {
  const { side, out, scenario } = ctx;
  out(`   $ dane-mta check ${scenario.domain}\n`);
  const report = await side.check(scenario.domain);
  const keep = report.text
    .split('\n')
    .filter((l, i) => i === 0 || /^ {2}(ERROR|WARNING|INFO) /.test(l) || /^ +fix: /.test(l));
  out(`${indent(keep.join('\n'))}\n`);
  if (report.verdict === 'error' || report.findings.some((f) => f.code === 'tlsa-no-match')) {
    throw new ActStop(`after the fix check still says ${report.verdict}`);
  }
}

/** Run the fourth act; resolves to its problems (none when every outcome was the expected one). */
export async function runQueueAct(ctx: QueueActContext): Promise<string[]> {
  try {
    const id = await deferAndCheck(ctx);
    await checkAndFix(ctx);
    await retryAndDeliver(ctx, id);
    await checkAgain(ctx);
    return [];
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return [e instanceof ActStop ? why : `the act failed to run: ${why}`];
  }
}
