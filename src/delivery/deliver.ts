/**
 * One delivery to one destination domain, by RFC 7672 §2: MX lookup → hosts by preference →
 * addresses before TLSA → TLSA base domain and records → per-host TLS policy → connect, verify,
 * transmit. This module walks the steps within the profile's limits and asks policy/classify.ts
 * what every fact means — it decides nothing itself. Also recipient verification (no DATA), like
 * Halon's smtp_lookup_rcpt.
 * Must never: throw for a network or DNS condition; try an address after the delivery's limits
 * or deadline; send anything to a host the host policy skipped.
 */
import { isIP } from 'node:net';
import { lookupMx, type DaneResolver } from '../dane/index.ts';
import type { Proof } from '../dns/dnssec/index.ts';
import {
  decideDestination,
  decideExhausted,
  decideHostSkip,
  missingDisposition,
  outcomeOf,
  orderMxHosts,
  worstIndex,
  type DestinationFact,
  type Disposition,
} from '../policy/index.ts';
import { dsnMailParams, dsnRcptParams, type DsnRequest } from '../smtp/protocol/index.ts';
import type { Clock, Random } from '../util/index.ts';
import { runAttempt, type AttemptOutput, type Transact, type WireEnvelope } from './attempt.ts';
import { deliveryLogChannel } from './channels.ts';
import { planHost, planLiteral, type HostPlan, type PlanStep } from './plan.ts';
import { limitsOf, type DeliveryLimits, type TransportProfile } from './profile.ts';
import { oneLine, toALabels, uniqueHosts, wireAddress } from './names.ts';
import { replyJson, type AttemptRecord, type DeliveryResult, type RecipientResult } from './types.ts';

export interface DeliverOptions {
  resolver: DaneResolver;
  /** How mail goes out: TLS mode, insecure-MX policy, port, HELO, timeouts, limits. */
  profile: TransportProfile;
  clock: Clock;
  random: Random;
  transact: Transact;
  /** Each transcript line as it happens. */
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
}

/** The state of one delivery while its hosts are walked. */
export interface Ctx {
  job: DomainJob;
  opts: DeliverOptions;
  limits: DeliveryLimits;
  started: number;
  log: string[];
  attempts: AttemptRecord[];
  say: (line: string) => void;
  /** Hosts whose A and AAAA records are both proven absent. */
  hostsWithoutAddress: number;
  /** Connection attempts started (the plaintext retry of an address not counted). */
  addressesTried: number;
  mxStatus: Proof | null;
}

function newCtx(job: DomainJob, opts: DeliverOptions): Ctx {
  const log: string[] = [];
  return {
    job,
    opts,
    limits: limitsOf(opts.profile),
    started: opts.clock.now(),
    log,
    attempts: [],
    hostsWithoutAddress: 0,
    addressesTried: 0,
    mxStatus: null,
    say: (text) => {
      const line = oneLine(text);
      log.push(line);
      deliveryLogChannel.publish({ domain: job.domain, line });
      opts.onLog?.(line);
    },
  };
}

/** Deliver (or verify) one domain's recipients. Never throws for network or DNS conditions. */
export async function deliverToDomain(job: DomainJob, opts: DeliverOptions): Promise<DeliveryResult> {
  const ctx = newCtx(job, opts);
  if (job.literal !== undefined) {
    if (isIP(job.literal) === 0)
      return destinationFinal(ctx, { kind: 'general-literal', literal: job.literal });
    return walkHosts(ctx, [planLiteral(ctx)]);
  }
  const domain = toALabels(job.domain);
  if (domain === undefined) return destinationFinal(ctx, { kind: 'invalid-domain', domain: job.domain });
  const name = domain.toString().replace(/\.$/, '');
  const mx = await lookupMx(domain, opts.resolver);
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
  if (mx.kind !== 'hosts') return destinationFinal(ctx, fact);
  const hosts = orderMxHosts(uniqueHosts(mx.hosts), { random: opts.random, limit: ctx.limits.maxHosts });
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

/** Walk the hosts and their addresses until an attempt is final; else ask what exhaustion means. */
async function walkHosts(ctx: Ctx, steps: PlanStep[]): Promise<DeliveryResult> {
  let lastSite: Disposition | undefined;
  let limitReached: string | undefined;
  hosts: for (const step of steps) {
    limitReached = deadlinePassed(ctx);
    if (limitReached !== undefined) break;
    const plan = typeof step === 'function' ? await step() : step;
    if (plan.kind === 'skip') {
      if (plan.skip.kind === 'no-address') ctx.hostsWithoutAddress++;
      if (plan.policyLine) ctx.say(`Skipping ${plan.mx}: ${plan.skip.reason}`);
      ctx.attempts.push(noAttempt(plan));
      lastSite = decideHostSkip(plan.skip).site;
      continue;
    }
    for (const address of plan.addresses.slice(0, ctx.limits.maxAddressesPerHost)) {
      limitReached =
        ctx.addressesTried >= ctx.limits.maxAddresses
          ? `limit of ${ctx.limits.maxAddresses} addresses per delivery reached`
          : deadlinePassed(ctx);
      if (limitReached !== undefined) break hosts;
      ctx.addressesTried++;
      const out = await attemptWithFallback(ctx, plan, address);
      if (out.verdict.kind === 'final') return fromFinal(ctx, out);
      lastSite = out.verdict.site;
    }
  }
  if (limitReached !== undefined) ctx.say(`Stopping: ${limitReached}`);
  const d = decideExhausted({
    hosts: steps.length,
    hostsWithoutAddress: ctx.hostsWithoutAddress,
    ...(lastSite === undefined ? {} : { lastSite }),
    ...(limitReached === undefined ? {} : { limitReached }),
  });
  return finish(ctx, d);
}

function wireEnvelope(job: DomainJob): WireEnvelope {
  const env: WireEnvelope = {
    from: job.from === '' ? '' : wireAddress(job.from),
    recipients: job.recipients.map((address) => {
      const params = job.dsn === undefined ? [] : dsnRcptParams(job.dsn, address);
      const wire = wireAddress(address);
      return params.length === 0 ? { address: wire } : { address: wire, params };
    }),
  };
  if (job.dsn !== undefined) env.mailParams = dsnMailParams(job.dsn);
  if (job.message !== undefined) env.message = job.message;
  return env;
}

async function attemptWithFallback(
  ctx: Ctx,
  plan: HostPlan & { kind: 'connect' },
  address: string,
): Promise<AttemptOutput> {
  const o = ctx.opts;
  const input = {
    target: {
      domain: ctx.job.domain,
      mx: plan.mx,
      address,
      dnssec: plan.dnssecOf(address),
      tlsa: plan.tlsa,
    },
    policy: plan.policy,
    envelope: wireEnvelope(ctx.job),
    profile: o.profile,
    now: () => o.clock.now(),
    transact: o.transact,
    log: ctx.say,
  };
  const first = await runAttempt(input);
  ctx.attempts.push(first.record);
  if (first.verdict.kind !== 'retry-plaintext') return first;
  const why =
    first.result.failure?.code === 'SMTP_ERR_STARTTLS_REFUSED' ? 'STARTTLS refused' : 'handshake failed';
  ctx.say(`Retrying ${plan.mx} [${address}] without TLS (optional TLS, ${why})`);
  const second = await runAttempt(input, { plaintext: true });
  ctx.attempts.push(second.record);
  return second;
}

function fromFinal(ctx: Ctx, out: AttemptOutput): DeliveryResult {
  const verify = ctx.job.message === undefined;
  const dispositions = out.verdict.kind === 'final' ? out.verdict.recipients : new Map<string, Disposition>();
  const recipients: RecipientResult[] = ctx.job.recipients.map((address) => {
    const d = dispositions.get(wireAddress(address)) ?? missingDisposition();
    return {
      address,
      outcome: outcomeOf(d.kind, verify),
      enhanced: d.enhanced,
      reason: d.reason,
      reply: replyJson(d.reply),
    };
  });
  const worst = recipients[worstIndex(recipients)] ?? recipients[0];
  return {
    outcome: worst?.outcome ?? 'deferred',
    enhanced: worst?.enhanced ?? '4.4.0',
    reason: worst?.reason ?? 'no recipients',
    tls: out.level,
    reply: worst?.reply ?? out.record.reply,
    mx_dnssec: ctx.mxStatus,
    mx: out.record.mx,
    address: out.record.address,
    attempts: ctx.attempts,
    recipients,
    log: ctx.log,
  };
}

function destinationFinal(ctx: Ctx, fact: DestinationFact): DeliveryResult {
  const v = decideDestination(fact);
  return finish(
    ctx,
    v.kind === 'final' ? v.disposition : decideExhausted({ hosts: 0, hostsWithoutAddress: 0 }),
  );
}

/** The whole destination ends with one disposition for every recipient. */
function finish(ctx: Ctx, d: Disposition): DeliveryResult {
  const verify = ctx.job.message === undefined;
  const outcome = outcomeOf(d.kind, verify);
  const what = outcome === 'deferred' ? 'Deferred' : verify ? 'Rejected' : 'Bounced';
  ctx.say(`${what}: ${d.enhanced} ${d.reason}`);
  return {
    outcome,
    enhanced: d.enhanced,
    reason: d.reason,
    tls: null,
    reply: null,
    mx_dnssec: ctx.mxStatus,
    mx: ctx.attempts.at(-1)?.mx ?? null,
    address: ctx.attempts.at(-1)?.address ?? null,
    attempts: ctx.attempts,
    recipients: ctx.job.recipients.map((address) => ({
      address,
      outcome,
      enhanced: d.enhanced,
      reason: d.reason,
      reply: null,
    })),
    log: ctx.log,
  };
}

function noAttempt(plan: {
  mx: string;
  dnssec: Proof;
  tlsa: string[];
  skip: { reason: string };
}): AttemptRecord {
  return {
    mx: plan.mx,
    address: null,
    dnssec: plan.dnssec,
    tlsa: plan.tlsa,
    tls: null,
    dane: 'none',
    reply: null,
    error: plan.skip.reason,
  };
}
