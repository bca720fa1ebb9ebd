/**
 * One delivery to one destination domain, by RFC 7672 §2: MX lookup → hosts by preference →
 * addresses before TLSA → TLSA base domain and records → per-host TLS policy → connect, verify,
 * transmit → outcome. DANE and lookup failures defer (4.7.5 / 4.4.3); they never bounce and never
 * fall back to plaintext. Also recipient verification (no DATA), like Halon's smtp_lookup_rcpt.
 */
import { isIP } from 'node:net';
import {
  lookupHost,
  lookupMx,
  lookupTlsa,
  classifyTlsa,
  formatTlsa,
  type DaneResolver,
} from '../dane/index.ts';
import { Name } from '../dns/wire/index.ts';
import {
  decideHostPolicy,
  orderMxHosts,
  type Disposition,
  type HostDane,
  type HostPolicy,
  type InsecureMxPolicy,
  type TlsMode,
} from '../policy/index.ts';
import type { Proof } from '../dns/dnssec/index.ts';
import type { Clock, Random } from '../util/index.ts';
import { publishLog } from './channels.ts';
import { oneLine, toALabels, uniqueHosts, wireAddress } from './names.ts';
import { runAttempt, type AttemptOutput, type Transact } from './attempt.ts';
import type { TransactionOptions } from '../smtp/client/index.ts';
import { dsnMailParams, dsnRcptParams, type DsnRequest } from '../smtp/protocol/index.ts';
import { replyJson, type AttemptRecord, type DeliveryResult, type RecipientResult } from './types.ts';

export interface DeliverOptions {
  resolver: DaneResolver;
  tlsMode: TlsMode;
  insecureMx: InsecureMxPolicy;
  /** SMTP port (25); TLSA owner names follow it (`_<port>._tcp`). */
  port: number;
  helo: string;
  localAddress?: string;
  timeouts?: TransactionOptions['timeouts'];
  /** Extra PKIX roots (PEM) for the *_verify modes. */
  ca?: string[];
  clock: Clock;
  random: Random;
  transact: Transact;
  /** Most MX hosts tried per delivery (Postfix's smtp_mx_address_limit spirit). */
  maxHosts?: number;
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

interface Ctx {
  job: DomainJob;
  opts: DeliverOptions;
  log: string[];
  attempts: AttemptRecord[];
  say: (line: string) => void;
  /** Hosts whose A and AAAA records are both proven absent. */
  hostsWithoutAddress: number;
}

/** Deliver (or verify) one domain's recipients. Never throws for network or DNS conditions. */
export async function deliverToDomain(job: DomainJob, opts: DeliverOptions): Promise<DeliveryResult> {
  const log: string[] = [];
  const ctx: Ctx = {
    job,
    opts,
    log,
    attempts: [],
    hostsWithoutAddress: 0,
    say: (text) => {
      const line = oneLine(text);
      log.push(line);
      publishLog(job.domain, line);
      opts.onLog?.(line);
    },
  };
  if (job.literal !== undefined) {
    // RFC 5321 §4.1.3: only IPv4 and IPv6 address literals name a host we can connect to; a
    // general address literal (`[tag:content]`) can never be delivered to.
    if (isIP(job.literal) === 0) {
      return final(ctx, 'bounce', '5.1.2', `address literal [${job.literal}] is not an IPv4 or IPv6 address`);
    }
    return tryHosts(ctx, [
      {
        mx: `[${job.literal}]`,
        addresses: [job.literal],
        dnssec: 'insecure',
        policy: literalPolicy(ctx),
        tlsa: [],
      },
    ]);
  }
  const domain = toALabels(job.domain);
  if (domain === undefined)
    return final(ctx, 'bounce', '5.1.2', `invalid destination domain ${JSON.stringify(job.domain)}`);
  const mx = await lookupMx(domain, opts.resolver);
  switch (mx.kind) {
    case 'failed':
      ctx.say(`DNS: MX lookup for ${domain.toString()} failed: ${mx.reason}`);
      return final(
        ctx,
        'defer',
        '4.4.3',
        `MX lookup for ${domain.toString()} failed (${mx.status}): ${mx.reason}`,
      );
    case 'nxdomain':
      return final(
        ctx,
        'bounce',
        '5.1.2',
        `domain ${domain.toString()} does not exist (NXDOMAIN, ${mx.status})`,
      );
    case 'null-mx':
      return final(
        ctx,
        'bounce',
        '5.1.10',
        `domain ${domain.toString()} accepts no mail (null MX, RFC 7505)`,
      );
    case 'hosts':
      break;
  }
  const hosts = orderMxHosts(uniqueHosts(mx.hosts), { random: opts.random, limit: opts.maxHosts ?? 10 });
  const plans = hosts.map((h) => () => planHost(ctx, domain, h.name, mx.status));
  return tryHosts(ctx, plans);
}

interface HostPlan {
  mx: string;
  addresses: string[];
  dnssec: Proof;
  policy: HostPolicy;
  tlsa: string[];
}

type PlanStep = HostPlan | (() => Promise<HostPlan | undefined>);

/** DNS for one MX host: addresses first, then TLSA when the host is secure; then the TLS policy. */
async function planHost(ctx: Ctx, domain: Name, host: Name, mxStatus: Proof): Promise<HostPlan | undefined> {
  const o = ctx.opts;
  const h = await lookupHost(host, o.resolver);
  const mxText = host.toString().replace(/\.$/, '');
  if (h.kind === 'failed') {
    if (h.noAddress === true) ctx.hostsWithoutAddress++;
    ctx.say(`DNS: address lookup for ${mxText} failed: ${h.reason}`);
    ctx.attempts.push(noAttempt(mxText, h.status, `address lookup failed: ${h.reason}`));
    return undefined;
  }
  for (const w of h.warnings) ctx.say(`DNS: ${w}`);
  let dane: HostDane = { kind: 'none', reason: `insecure name ${mxText}` };
  let tlsaText: string[] = [];
  // RFC 7672 §2.2.1: DANE for the hosts of an insecure MX RRset is a MAY; under policy `may` it
  // does not apply at all, so no TLSA query is made (a failing one must not block delivery).
  const noDaneForMx = mxStatus !== 'secure' && o.insecureMx === 'may';
  if (o.tlsMode.startsWith('dane') && h.secure && !noDaneForMx) {
    const t = await lookupTlsa(h, o.port, o.resolver);
    if (t.kind === 'failed')
      dane = { kind: 'failed', reason: `TLSA lookup for ${t.owner.toString()} failed: ${t.reason}` };
    else if (t.kind === 'none') dane = { kind: 'none', reason: t.reason };
    else {
      const cls = classifyTlsa(t.tlsa.records);
      tlsaText = t.tlsa.records.map(formatTlsa);
      dane = {
        kind: 'tlsa',
        base: t.base.toString().replace(/\.$/, ''),
        tlsa: t.tlsa,
        usable: cls.usable,
      };
    }
  }
  const policy = decideHostPolicy({
    mode: o.tlsMode,
    domain: domain.toString().replace(/\.$/, ''),
    host: mxText,
    mxStatus,
    insecureMx: o.insecureMx,
    dane,
  });
  return { mx: mxText, addresses: h.addresses, dnssec: h.status, policy, tlsa: tlsaText };
}

/** Walk the hosts and their addresses until an attempt is final; else defer with the last reason. */
async function tryHosts(ctx: Ctx, steps: PlanStep[]): Promise<DeliveryResult> {
  let lastSite: Disposition | undefined;
  for (const step of steps) {
    const plan = typeof step === 'function' ? await step() : step;
    if (plan === undefined) {
      lastSite = {
        kind: 'defer',
        enhanced: '4.4.3',
        reason: ctx.attempts.at(-1)?.error ?? 'address lookup failed',
      };
      continue;
    }
    if (plan.policy.action === 'skip') {
      ctx.say(`Skipping ${plan.mx}: ${plan.policy.reason}`);
      ctx.attempts.push({
        ...noAttempt(plan.mx, plan.dnssec, plan.policy.reason),
        tlsa: plan.tlsa,
        dane: 'none',
      });
      lastSite = { kind: 'defer', enhanced: plan.policy.enhanced, reason: plan.policy.reason };
      continue;
    }
    for (const address of plan.addresses) {
      const out = await attemptWithFallback(ctx, plan, plan.policy, address);
      ctx.attempts.push(...out.records);
      if (!out.last.verdict.tryNextHost) return fromVerdict(ctx, out.last);
      lastSite = out.last.verdict.site;
    }
  }
  // RFC 5321 §5.1: "If MX records are present, but none of them are usable, or the implicit MX is
  // unusable, this situation MUST be reported as an error." Only proven absence counts: a host whose
  // address lookup failed may work later, so any such host keeps the message deferred.
  if (steps.length > 0 && ctx.hostsWithoutAddress === steps.length) {
    return final(
      ctx,
      'bounce',
      '5.4.4',
      'no MX host of the domain has an address (A/AAAA records proven absent)',
    );
  }
  const reason = lastSite?.reason ?? 'no MX host could be tried';
  return final(ctx, 'defer', lastSite?.enhanced ?? '4.4.1', reason);
}

async function attemptWithFallback(
  ctx: Ctx,
  plan: HostPlan,
  policy: HostPolicy & { action: 'connect' },
  address: string,
): Promise<{ records: AttemptRecord[]; last: AttemptOutput }> {
  const o = ctx.opts;
  const input = {
    mx: plan.mx,
    address,
    port: o.port,
    dnssec: plan.dnssec,
    policy,
    tlsa: plan.tlsa,
    from: ctx.job.from === '' ? '' : wireAddress(ctx.job.from),
    recipients: ctx.job.recipients.map((address) => {
      const params = ctx.job.dsn === undefined ? [] : dsnRcptParams(ctx.job.dsn, address);
      const wire = wireAddress(address);
      return params.length === 0 ? { address: wire } : { address: wire, params };
    }),
    ...(ctx.job.dsn === undefined ? {} : { mailParams: dsnMailParams(ctx.job.dsn) }),
    helo: o.helo,
    now: () => o.clock.now(),
    transact: o.transact,
    log: ctx.say,
    ...(ctx.job.message === undefined ? {} : { message: ctx.job.message }),
    ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
    ...(o.timeouts === undefined ? {} : { timeouts: o.timeouts }),
    ...(o.ca === undefined ? {} : { ca: o.ca }),
  };
  const first = await runAttempt(input);
  if (!first.verdict.retryPlaintext) return { records: [first.record], last: first };
  const why =
    first.result.failure?.code === 'SMTP_ERR_STARTTLS_REFUSED' ? 'STARTTLS refused' : 'handshake failed';
  ctx.say(`Retrying ${plan.mx} [${address}] without TLS (optional TLS, ${why})`);
  const second = await runAttempt(input, { plaintext: true });
  return { records: [first.record, second.record], last: second };
}

function fromVerdict(ctx: Ctx, out: AttemptOutput): DeliveryResult {
  const verify = ctx.job.message === undefined;
  const recipients: RecipientResult[] = ctx.job.recipients.map((address) => {
    const d = out.verdict.recipients.get(wireAddress(address)) ?? {
      kind: 'defer',
      enhanced: '4.4.0',
      reason: 'no disposition',
    };
    return {
      address,
      outcome: outcomeOf(d.kind, verify),
      enhanced: d.enhanced,
      reason: d.reason,
      reply: replyJson(d.reply),
    };
  });
  const worst = pickOverall(recipients, verify);
  return {
    outcome: worst.outcome,
    enhanced: worst.enhanced,
    reason: worst.reason,
    tls: out.level,
    reply: worst.reply ?? out.record.reply,
    mx: out.record.mx,
    address: out.record.address,
    attempts: ctx.attempts,
    recipients,
    log: ctx.log,
  };
}

function outcomeOf(kind: Disposition['kind'], verify: boolean): RecipientResult['outcome'] {
  if (kind === 'delivered') return 'delivered';
  if (kind === 'accepted') return 'accepted';
  if (kind === 'bounce') return verify ? 'rejected' : 'bounced';
  return 'deferred';
}

/** The overall outcome: deferred if any recipient is, else bounced/rejected if any is, else success. */
function pickOverall(rs: RecipientResult[], verify: boolean): RecipientResult {
  const order = verify ? ['deferred', 'rejected', 'accepted'] : ['deferred', 'bounced', 'delivered'];
  for (const o of order) {
    const r = rs.find((x) => x.outcome === o);
    if (r !== undefined) return r;
  }
  return rs[0] as RecipientResult;
}

function final(ctx: Ctx, kind: 'bounce' | 'defer', enhanced: string, reason: string): DeliveryResult {
  const verify = ctx.job.message === undefined;
  const outcome = outcomeOf(kind, verify);
  ctx.say(`${outcome === 'deferred' ? 'Deferred' : verify ? 'Rejected' : 'Bounced'}: ${enhanced} ${reason}`);
  return {
    outcome,
    enhanced,
    reason,
    tls: null,
    reply: null,
    mx: ctx.attempts.at(-1)?.mx ?? null,
    address: ctx.attempts.at(-1)?.address ?? null,
    attempts: ctx.attempts,
    recipients: ctx.job.recipients.map((address) => ({ address, outcome, enhanced, reason, reply: null })),
    log: ctx.log,
  };
}

function noAttempt(mx: string, dnssec: Proof, error: string): AttemptRecord {
  return { mx, address: null, dnssec, tlsa: [], tls: null, dane: 'none', reply: null, error };
}

function literalPolicy(ctx: Ctx): HostPolicy {
  const o = ctx.opts;
  return decideHostPolicy({
    mode: o.tlsMode,
    domain: `[${ctx.job.literal ?? ''}]`,
    host: ctx.job.literal ?? '',
    mxStatus: 'insecure',
    insecureMx: o.insecureMx,
    dane: { kind: 'none', reason: 'address literal' },
  });
}
