/**
 * Delivery to one destination domain, by RFC 7672 §2: MX lookup → hosts by preference →
 * addresses before TLSA → TLSA base domain and records → per-host TLS policy → connect, verify,
 * transmit. One message (`deliverToDomain`) or several for the same destination
 * (`deliverJobs`, the daemon's batches): the DNS side is done once and a connection to an address
 * carries up to `messagesPerConnection` messages (RSET between them). This module walks hosts and
 * addresses within the profile's limits and asks policy/classify.ts what every fact means — it
 * decides nothing itself. Also recipient verification (no DATA), like Halon's smtp_lookup_rcpt.
 * Must never: throw for a network or DNS condition; connect after the delivery's limits or
 * deadline; send anything to a host the host policy skipped; mix destinations on a connection.
 */
import { isIP } from 'node:net';
import { lookupMx, type DaneResolver } from '../dane/index.ts';
import type { Proof } from '../dns/dnssec/index.ts';
import {
  decideExhausted,
  decideHostSkip,
  missingDisposition,
  orderMxHosts,
  type DestinationFact,
  type Disposition,
} from '../policy/index.ts';
import { openSession } from '../smtp/client/index.ts';
import type { DsnRequest, RecipientDsn } from '../smtp/protocol/index.ts';
import type { Clock, Random } from '../util/index.ts';
import { deliveryLogChannel } from './channels.ts';
import { connect, type Connection, type OpenSession, type TransactionOutcome } from './connection.ts';
import { oneLine, toALabels, uniqueHosts, wireAddress } from './names.ts';
import { planHost, planLiteral, type HostPlan, type PlanStep } from './plan.ts';
import { limitsOf, messagesPerConnectionOf, type DeliveryLimits, type TransportProfile } from './profile.ts';
import { destinationFinal, finish, fromFinal, noAttempt, transaction, verifying } from './results.ts';
import type { AttemptRecord, DeliveryResult } from './types.ts';

export interface DeliverOptions {
  resolver: DaneResolver;
  /** How mail goes out: TLS mode, insecure-MX policy, port, HELO, timeouts, limits. */
  profile: TransportProfile;
  clock: Clock;
  random: Random;
  /** Opens SMTP sessions (default: smtp/client's openSession); a test seam. */
  open?: OpenSession;
  /** Each transcript line as it happens (once, whatever the number of messages). */
  onLog?: (line: string) => void;
}

export interface DomainJob {
  /** Destination domain as written (U-labels allowed); converted to A-labels here. */
  domain: string;
  from: string;
  recipients: string[];
  /** The message; absent for recipient verification. */
  message?: Uint8Array;
  /** Address literal target (`[192.0.2.1]`): connect there directly, no MX, no DANE. */
  literal?: string;
  /** RFC 3461 DSN request (sent only when the server offers DSN). */
  dsn?: DsnRequest;
  /**
   * Relayed recipients' own NOTIFY/ORCPT (RFC 3461 §5.2.1), by address; they replace the
   * envelope-wide NOTIFY of `dsn` for those recipients.
   */
  rcptDsn?: ReadonlyMap<string, RecipientDsn>;
  /** The message needs SMTPUTF8 even with ASCII addresses (it arrived with SMTPUTF8). */
  smtputf8?: boolean;
}

/** One message's progress through a delivery. */
export interface JobState {
  job: DomainJob;
  log: string[];
  attempts: AttemptRecord[];
  /** Why the last host or address failed this message, when one did. */
  lastSite?: Disposition;
  result?: DeliveryResult;
}

/** The state of one delivery while its hosts are walked (plan.ts reads it too). */
export interface Ctx {
  opts: DeliverOptions;
  limits: DeliveryLimits;
  started: number;
  jobs: JobState[];
  /** Say a line to these messages' transcripts (default: every unfinished one). */
  say: (line: string, to?: readonly JobState[]) => void;
  /** Hosts whose A and AAAA records are both proven absent. */
  hostsWithoutAddress: number;
  /** Addresses connected to (the plaintext retry and further connections to one address not counted). */
  addressesTried: number;
  mxStatus: Proof | null;
  /** Called as soon as a message's result is known. */
  onResult?: ResultListener;
  more?: MoreJobs;
}

/** Facts about a result that are not part of the CLI contract's JSON. */
export interface ResultFacts {
  /** The server that decided the result offered DSN (RFC 3461): it reports success itself. */
  remoteDsn: boolean;
}

export type ResultListener = (index: number, result: DeliveryResult, facts: ResultFacts) => void;

/**
 * More messages for a connection that has sent all of its own and could carry `room` more (the
 * daemon's connection cache): resolves to jobs for the same destination, or to none to end the
 * connection. The jobs are appended to the delivery (their results' indexes follow the first
 * jobs') and go out on that connection first, then, if it fails them, on to the next addresses
 * and hosts like the others.
 */
export type MoreJobs = (room: number) => Promise<readonly DomainJob[]>;

/** deliverJobs' options: a listener for each result as it is known, and the connection cache. */
export interface DeliverJobsOptions extends DeliverOptions {
  onResult?: ResultListener;
  more?: MoreJobs;
}

const pending = (ctx: Ctx): JobState[] => ctx.jobs.filter((j) => j.result === undefined);

function newCtx(jobs: readonly DomainJob[], opts: DeliverOptions): Ctx {
  const states: JobState[] = jobs.map((job) => ({ job, log: [], attempts: [] }));
  const domain = jobs[0]?.domain ?? '';
  const ctx: Ctx = {
    opts,
    limits: limitsOf(opts.profile),
    started: opts.clock.now(),
    jobs: states,
    hostsWithoutAddress: 0,
    addressesTried: 0,
    mxStatus: null,
    say: (text, to) => {
      const line = oneLine(text);
      for (const j of to ?? pending(ctx)) j.log.push(line);
      deliveryLogChannel.publish({ domain, line });
      opts.onLog?.(line);
    },
  };
  return ctx;
}

/** Deliver (or verify) one domain's recipients. Never throws for network or DNS conditions. */
export async function deliverToDomain(job: DomainJob, opts: DeliverOptions): Promise<DeliveryResult> {
  const [result] = await deliverJobs([job], opts);
  if (result === undefined) throw new TypeError('deliverToDomain: no result');
  return result;
}

/**
 * Deliver several messages to one destination (every job has the same `domain`, or the same
 * `literal`); results in the jobs' order, each also passed to `onResult` as soon as it is known.
 */
export async function deliverJobs(
  jobs: readonly DomainJob[],
  opts: DeliverJobsOptions,
): Promise<DeliveryResult[]> {
  const first = jobs[0];
  if (first === undefined) return [];
  const ctx = newCtx(jobs, opts);
  if (opts.onResult !== undefined) ctx.onResult = opts.onResult;
  if (opts.more !== undefined) ctx.more = opts.more;
  await run(ctx, first);
  return ctx.jobs.map((j) => j.result ?? finish(ctx, j, missingDisposition()));
}

async function run(ctx: Ctx, first: DomainJob): Promise<void> {
  if (first.literal !== undefined) {
    if (isIP(first.literal) === 0) {
      destinationFinal(ctx, { kind: 'general-literal', literal: first.literal });
      return;
    }
    return walkHosts(ctx, [planLiteral(ctx, first.literal)]);
  }
  const domain = toALabels(first.domain);
  if (domain === undefined) {
    destinationFinal(ctx, { kind: 'invalid-domain', domain: first.domain });
    return;
  }
  const name = domain.toString().replace(/\.$/, '');
  const mx = await lookupMx(domain, ctx.opts.resolver);
  ctx.mxStatus = mx.status;
  if (mx.kind === 'failed') ctx.say(`DNS: MX lookup for ${domain.toString()} failed: ${mx.reason}`);
  const fact: DestinationFact =
    mx.kind === 'failed'
      ? { kind: 'mx-failed', domain: domain.toString(), status: mx.status, reason: mx.reason }
      : mx.kind === 'nxdomain'
        ? { kind: 'nxdomain', domain: domain.toString(), status: mx.status }
        : mx.kind === 'null-mx'
          ? { kind: 'null-mx', domain: domain.toString() }
          : { kind: 'hosts' };
  if (mx.kind !== 'hosts') {
    destinationFinal(ctx, fact);
    return;
  }
  const hosts = orderMxHosts(uniqueHosts(mx.hosts), { random: ctx.opts.random, limit: ctx.limits.maxHosts });
  return walkHosts(
    ctx,
    hosts.map((h) => () => planHost(ctx, { domain: name, host: h.name, mxStatus: mx.status })),
  );
}

function deadlinePassed(ctx: Ctx): string | undefined {
  const elapsed = ctx.opts.clock.now() - ctx.started;
  if (elapsed < ctx.limits.deadlineMs) return undefined;
  return `delivery deadline of ${Math.round(ctx.limits.deadlineMs / 1000)} s reached`;
}

/** Walk the hosts and their addresses until every message is final; then ask what exhaustion means. */
async function walkHosts(ctx: Ctx, steps: PlanStep[]): Promise<void> {
  let lastSite: Disposition | undefined;
  let limitReached: string | undefined;
  hosts: for (const step of steps) {
    if (pending(ctx).length === 0) return;
    limitReached = deadlinePassed(ctx);
    if (limitReached !== undefined) break;
    const plan = typeof step === 'function' ? await step() : step;
    if (plan.kind === 'skip') {
      if (plan.skip.kind === 'no-address') ctx.hostsWithoutAddress++;
      if (plan.policyLine) ctx.say(`Skipping ${plan.mx}: ${plan.skip.reason}`);
      for (const j of pending(ctx)) j.attempts.push(noAttempt(plan));
      lastSite = decideHostSkip(plan.skip).site;
      continue;
    }
    for (const address of plan.addresses.slice(0, ctx.limits.maxAddressesPerHost)) {
      if (pending(ctx).length === 0) return;
      limitReached =
        ctx.addressesTried >= ctx.limits.maxAddresses
          ? `limit of ${ctx.limits.maxAddresses} addresses per delivery reached`
          : deadlinePassed(ctx);
      if (limitReached !== undefined) break hosts;
      ctx.addressesTried++;
      lastSite = (await tryAddress(ctx, plan, address)) ?? lastSite;
    }
  }
  const left = pending(ctx);
  if (left.length === 0) return;
  if (limitReached !== undefined) ctx.say(`Stopping: ${limitReached}`);
  for (const j of left) {
    const site = j.lastSite ?? lastSite;
    const d = decideExhausted({
      hosts: steps.length,
      hostsWithoutAddress: ctx.hostsWithoutAddress,
      ...(site === undefined ? {} : { lastSite: site }),
      ...(limitReached === undefined ? {} : { limitReached }),
    });
    finish(ctx, j, d);
  }
}

/**
 * Connections to one address until every unfinished message was tried there once: each carries
 * up to `messagesPerConnection` of them; a session that cannot be opened, or that breaks, ends the
 * address (the rest go to the next one). A connection that sent all of its messages asks for more
 * (`ctx.more`, same destination) before it closes. Resolves to the address's site failure, if any.
 */
async function tryAddress(
  ctx: Ctx,
  plan: HostPlan & { kind: 'connect' },
  address: string,
): Promise<Disposition | undefined> {
  const perConnection = messagesPerConnectionOf(ctx.opts.profile);
  let untried = pending(ctx);
  let site: Disposition | undefined;
  for (let connections = 0; untried.length > 0; connections++) {
    if (connections > 0 && deadlinePassed(ctx) !== undefined) return site;
    const batch = untried.slice(0, perConnection);
    const conn = await open(ctx, plan, address, batch);
    if (conn.failed) {
      for (const j of batch)
        site = record(ctx, j, conn.openFailure(j.job.recipients.map(wireAddress), verifying(j)));
      return site;
    }
    const sent = new Set<JobState>();
    let queue = batch;
    const extra: JobState[] = [];
    let closedWhileIdle = false;
    for (;;) {
      for (const j of queue) {
        if (!conn.session.usable) break;
        sent.add(j);
        site = record(ctx, j, await conn.send(transaction(j.job))) ?? site;
      }
      if (queue.some((j) => !sent.has(j)) || sent.size >= perConnection) break;
      queue = await moreJobs(ctx, conn, perConnection - sent.size, sent.size);
      if (queue.length === 0) break;
      extra.push(...queue);
      // The server closed the connection while it waited: nothing failed, the new messages get
      // a connection of their own to this address.
      closedWhileIdle = !conn.session.usable;
      if (closedWhileIdle) break;
    }
    await conn.close();
    const broke = !closedWhileIdle && [...batch, ...extra].some((j) => !sent.has(j));
    untried = [...untried, ...extra].filter((j) => !sent.has(j) && j.result === undefined);
    if (broke) return site; // the session broke under a message: the rest go to the next address
  }
  return site;
}

/** Messages the connection cache hands an idle connection, added to the delivery. */
async function moreJobs(ctx: Ctx, conn: Connection, room: number, carried: number): Promise<JobState[]> {
  if (ctx.more === undefined || !conn.session.usable || deadlinePassed(ctx) !== undefined) return [];
  const jobs = await ctx.more(room);
  const states: JobState[] = jobs.map((job) => ({ job, log: [], attempts: [] }));
  ctx.jobs.push(...states);
  if (states.length > 0)
    ctx.say(
      `Reusing the connection to ${conn.peer} (${conn.level === 'none' ? 'no TLS' : `TLS: ${conn.level}`}; ` +
        `${carried} message${carried === 1 ? '' : 's'} sent on it before)`,
      states,
    );
  return states;
}

/** Open a connection for a batch, with the optional-TLS plaintext retry after a failed handshake. */
async function open(
  ctx: Ctx,
  plan: HostPlan & { kind: 'connect' },
  address: string,
  batch: JobState[],
): Promise<Connection> {
  const o = ctx.opts;
  const input = {
    target: {
      domain: batch[0]?.job.domain ?? '',
      mx: plan.mx,
      address,
      dnssec: plan.dnssecOf(address),
      tlsa: plan.tlsa,
    },
    policy: plan.policy,
    profile: o.profile,
    now: () => o.clock.now(),
    open: o.open ?? openSession,
    log: (line: string) => {
      ctx.say(line, batch);
    },
  };
  const conn = await connect(input);
  if (!conn.retryPlaintext) return conn;
  // The failed TLS attempt is part of every message's record.
  for (const j of batch)
    j.attempts.push(conn.openFailure(j.job.recipients.map(wireAddress), verifying(j)).record);
  const why =
    conn.session.facts.failure?.code === 'SMTP_ERR_STARTTLS_REFUSED'
      ? 'STARTTLS refused'
      : 'handshake failed';
  ctx.say(`Retrying ${plan.mx} [${address}] without TLS (optional TLS, ${why})`, batch);
  return connect(input, { plaintext: true });
}

/** Keep one message's attempt; finish it when the verdict is final. Returns its site failure. */
function record(ctx: Ctx, j: JobState, out: TransactionOutcome): Disposition | undefined {
  j.attempts.push(out.record);
  if (out.line !== undefined) ctx.say(out.line, [j]);
  if (out.verdict.kind === 'final') {
    fromFinal(ctx, j, out);
    return undefined;
  }
  j.lastSite = out.verdict.site;
  return out.verdict.site;
}
