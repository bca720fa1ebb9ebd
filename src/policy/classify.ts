/**
 * The one place that turns facts into dispositions (cf. Postfix smtp_trouble.c): DNS results for
 * the destination (RFC 5321 §5.1, RFC 7505, RFC 7672 §2.1), a host that cannot be tried (address
 * lookup, TLS policy), what one SMTP attempt did (replies, TLS and DANE verdicts), a destination
 * whose hosts are exhausted, and the outcome that speaks for several recipients. The SMTP client
 * and the DNS side report facts; delivery walks hosts and asks here what each fact means.
 * Must never: bounce for a DANE, TLS or DNS lookup failure (RFC 7672 §2.2: defer, 4.7.5 / 4.4.3);
 * allow a plaintext retry unless the host policy is opportunistic. Pure.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import type { Reply } from '../smtp/protocol/index.ts';
import {
  isEnhancedCode,
  Status,
  type DestinationVerdict,
  type Disposition,
  type DispositionKind,
  type EnhancedCode,
  type Verdict,
} from './disposition.ts';

/** The facts of an attempt this module reads (a structural subset of the client's result). */
export interface AttemptFacts {
  connected: boolean;
  mail?: Reply;
  recipients: readonly { address: string; reply?: Reply }[];
  dataStart?: Reply;
  data?: Reply;
  failure?: { code: string; message: string; state: string; reply?: Reply };
}

/** Client failure codes that are about TLS / peer authentication. */
const TLS_FAILURES = new Set([
  'SMTP_ERR_TLS_HANDSHAKE',
  'SMTP_ERR_STARTTLS_NOT_OFFERED',
  'SMTP_ERR_STARTTLS_REFUSED',
  'SMTP_ERR_PEER_REJECTED',
]);

/** TLS failures after which opportunistic TLS may try the same address again in plaintext. */
const RETRY_PLAINTEXT = new Set(['SMTP_ERR_TLS_HANDSHAKE', 'SMTP_ERR_STARTTLS_REFUSED']);

/** Message-level permanent failures found before or while sending. */
const PERMANENT: Readonly<Record<string, EnhancedCode>> = {
  SMTP_ERR_SMTPUTF8_REQUIRED: Status.NEEDS_SMTPUTF8, // RFC 6531 §3.6
  SMTP_ERR_SIZE: Status.TOO_BIG, // RFC 1870 §6
  SMTP_ERR_LINE_TOO_LONG: Status.BAD_CONTENT, // RFC 5321 §4.5.3.1.6
};

const SITE_CODES: Readonly<Record<string, EnhancedCode>> = {
  SMTP_ERR_CONNECT: Status.NO_ANSWER,
  SMTP_ERR_TIMEOUT: Status.BAD_CONNECTION,
  SMTP_ERR_PROTOCOL: Status.PROTOCOL,
  SMTP_ERR_ABORTED: Status.LOCAL,
};

/** The enhanced code of a reply, or one derived from its class (RFC 3463 §2: X.0.0). */
export function enhancedOf(reply: Reply): EnhancedCode {
  const given = reply.enhanced;
  if (given !== undefined && isEnhancedCode(given) && given[0] === String(reply.code)[0]) return given;
  const cls = String(reply.code)[0];
  return cls === '2' ? '2.0.0' : cls === '5' ? '5.0.0' : '4.0.0';
}

function fromReply(kind: DispositionKind, reply: Reply, what: string): Disposition {
  return { kind, enhanced: enhancedOf(reply), reason: `${what}: ${reply.code} ${reply.text}`.trim(), reply };
}

function all(addresses: readonly string[], d: Disposition): Map<string, Disposition> {
  return new Map(addresses.map((a) => [a, d]));
}

function toTemporary(code: EnhancedCode): EnhancedCode {
  return code.startsWith('5') ? (`4${code.slice(1)}` as EnhancedCode) : code;
}

const defer = (enhanced: EnhancedCode, reason: string): Disposition => ({ kind: 'defer', enhanced, reason });

/**
 * Classify one attempt. `verify` marks recipient verification (no DATA); `plaintextFallback`
 * says the host policy is opportunistic (a failed handshake may be retried without TLS).
 */
export function classifyAttempt(
  facts: AttemptFacts,
  opts: { verify: boolean; plaintextFallback: boolean },
): Verdict {
  const rcpts = facts.recipients.map((r) => r.address);
  const f = facts.failure;
  const permanent = f === undefined ? undefined : PERMANENT[f.code];
  if (f !== undefined && permanent !== undefined) {
    return {
      kind: 'final',
      recipients: all(rcpts, { kind: 'bounce', enhanced: permanent, reason: f.message }),
    };
  }
  // Anything that stops the session during the handshake (plaintext injected after the 220, a
  // timeout, a reset) is a TLS failure too: when TLS was required the host is skipped with 4.7.5.
  const inHandshake = f?.state === 'TLS_HANDSHAKE' && f.code !== 'SMTP_ERR_ABORTED';
  if (f !== undefined && (TLS_FAILURES.has(f.code) || inHandshake)) {
    // RFC 7672 §2.2: "If the TLSA record lookup fails … or … authentication fails, the SMTP client
    // MUST NOT deliver" — only opportunistic TLS retries a failed handshake or a refused STARTTLS
    // (e.g. "454 TLS not available") without STARTTLS.
    const site = defer(Status.TLS_FAILURE, f.message);
    if (opts.plaintextFallback && RETRY_PLAINTEXT.has(f.code)) return { kind: 'retry-plaintext', site };
    return { kind: 'next-host', site };
  }
  // Before MAIL was accepted, any failure is the site's: try the next MX address.
  if (facts.mail === undefined || facts.mail.code >= 400) {
    if (facts.mail !== undefined && facts.mail.code >= 500) {
      return { kind: 'final', recipients: all(rcpts, fromReply('bounce', facts.mail, 'MAIL FROM rejected')) };
    }
    const site: Disposition =
      facts.mail !== undefined
        ? fromReply('defer', facts.mail, 'MAIL FROM deferred')
        : f?.reply !== undefined
          ? { ...fromReply('defer', f.reply, f.message), enhanced: toTemporary(enhancedOf(f.reply)) }
          : defer(SITE_CODES[f?.code ?? ''] ?? Status.NETWORK, f?.message ?? 'no MAIL FROM reply');
    return { kind: 'next-host', site };
  }
  return { kind: 'final', recipients: recipientDispositions(facts, opts.verify) };
}

function recipientDispositions(facts: AttemptFacts, verify: boolean): Map<string, Disposition> {
  const out = new Map<string, Disposition>();
  const accepted: { address: string; reply: Reply }[] = [];
  const broken = (what: string): Disposition =>
    defer(SITE_CODES[facts.failure?.code ?? ''] ?? Status.BAD_CONNECTION, facts.failure?.message ?? what);
  for (const r of facts.recipients) {
    if (r.reply === undefined) out.set(r.address, broken('no reply to RCPT TO'));
    else if (r.reply.code >= 500) out.set(r.address, fromReply('bounce', r.reply, 'RCPT TO rejected'));
    else if (r.reply.code >= 400) out.set(r.address, fromReply('defer', r.reply, 'RCPT TO deferred'));
    else accepted.push({ address: r.address, reply: r.reply });
  }
  if (verify) {
    for (const a of accepted) out.set(a.address, fromReply('accepted', a.reply, 'RCPT TO accepted'));
    return out;
  }
  const final =
    facts.data ??
    (facts.dataStart !== undefined && facts.dataStart.code >= 400 ? facts.dataStart : undefined);
  for (const { address } of accepted) {
    // The connection broke during DATA: the message may or may not have arrived; retry later.
    if (final === undefined) out.set(address, broken('no reply after DATA'));
    else if (final.code >= 500) out.set(address, fromReply('bounce', final, 'message rejected'));
    else if (final.code >= 400) out.set(address, fromReply('defer', final, 'message deferred'));
    else out.set(address, fromReply('delivered', final, 'delivered'));
  }
  return out;
}

/** What the DNS side and the envelope say about the destination, before any host is tried. */
export type DestinationFact =
  | { kind: 'invalid-domain'; domain: string }
  | { kind: 'general-literal'; literal: string }
  | { kind: 'mx-failed'; domain: string; status: Proof; reason: string }
  | { kind: 'nxdomain'; domain: string; status: Proof }
  | { kind: 'null-mx'; domain: string }
  | { kind: 'hosts' };

/**
 * RFC 5321 §5.1 and RFC 7505, RFC 7672 §2.1: a proven non-existent domain or a null MX bounces;
 * a failed MX lookup (SERVFAIL, timeout, bogus) defers — never bounces.
 */
export function decideDestination(fact: DestinationFact): DestinationVerdict {
  const final = (kind: 'bounce' | 'defer', enhanced: EnhancedCode, reason: string): DestinationVerdict => ({
    kind: 'final',
    disposition: { kind, enhanced, reason },
  });
  switch (fact.kind) {
    case 'invalid-domain':
      return final(
        'bounce',
        Status.BAD_DESTINATION,
        `invalid destination domain ${JSON.stringify(fact.domain)}`,
      );
    case 'general-literal':
      // RFC 5321 §4.1.3: only IPv4 and IPv6 address literals name a host we can connect to.
      return final(
        'bounce',
        Status.BAD_DESTINATION,
        `address literal [${fact.literal}] is not an IPv4 or IPv6 address`,
      );
    case 'mx-failed':
      return final(
        'defer',
        Status.DNS_FAILURE,
        `MX lookup for ${fact.domain} failed (${fact.status}): ${fact.reason}`,
      );
    case 'nxdomain':
      return final(
        'bounce',
        Status.BAD_DESTINATION,
        `domain ${fact.domain} does not exist (NXDOMAIN, ${fact.status})`,
      );
    case 'null-mx':
      return final('bounce', Status.NULL_MX, `domain ${fact.domain} accepts no mail (null MX, RFC 7505)`);
    case 'hosts':
      return { kind: 'continue' };
  }
}

/** Why a host is not tried at all. */
export type HostSkipFact =
  /** Its address lookup failed (SERVFAIL, timeout, bogus): it may work later. */
  | { kind: 'address-failed'; reason: string }
  /** Its A and AAAA RRsets are proven absent. */
  | { kind: 'no-address'; reason: string }
  /** RFC 7672 §2.2: its TLSA lookup failed — "the SMTP client MUST NOT deliver to that host". */
  | { kind: 'tlsa-failed'; reason: string }
  /** The TLS mode requires DANE (`dane_require`) and none applies. */
  | { kind: 'dane-required'; reason: string };

/** A host that is not tried: the next host is, and the destination remembers why. */
export function decideHostSkip(fact: HostSkipFact): Verdict & { kind: 'next-host' } {
  switch (fact.kind) {
    case 'address-failed':
    case 'no-address':
      return { kind: 'next-host', site: defer(Status.DNS_FAILURE, fact.reason) };
    case 'tlsa-failed':
    case 'dane-required':
      return { kind: 'next-host', site: defer(Status.TLS_FAILURE, fact.reason) };
  }
}

/** What is known once every host of the destination was tried or skipped. */
export interface ExhaustedFacts {
  /** Hosts the destination has (after the host limit). */
  hosts: number;
  /** Of those, hosts whose A and AAAA RRsets are both proven absent. */
  hostsWithoutAddress: number;
  /** Why the last host or address failed, if one did. */
  lastSite?: Disposition;
  /** The delivery's deadline or address budget ran out before every address was tried. */
  limitReached?: string;
}

/**
 * Nothing final happened at any host. RFC 5321 §5.1: "If MX records are present, but none of
 * them are usable, or the implicit MX is unusable, this situation MUST be reported as an error."
 * Only proven absence counts: a host whose address lookup failed may work later, so any such
 * host keeps the message deferred. Everything else defers with the last site's reason.
 */
export function decideExhausted(facts: ExhaustedFacts): Disposition & { kind: 'bounce' | 'defer' } {
  if (facts.hosts > 0 && facts.hostsWithoutAddress === facts.hosts) {
    return {
      kind: 'bounce',
      enhanced: Status.NO_ROUTE,
      reason: 'no MX host of the domain has an address (A/AAAA records proven absent)',
    };
  }
  const last = facts.lastSite;
  const limit = facts.limitReached === undefined ? '' : ` (${facts.limitReached})`;
  if (last === undefined)
    return { kind: 'defer', enhanced: Status.NO_ANSWER, reason: `no MX host could be tried${limit}` };
  return { kind: 'defer', enhanced: toTemporary(last.enhanced), reason: `${last.reason}${limit}` };
}

/** A recipient that an attempt's verdict does not mention (should not happen): retry later. */
export function missingDisposition(): Disposition {
  return defer(Status.NETWORK, 'no disposition for this recipient');
}

/** What is known of a deferred recipient after an attempt (DESIGN.md "Bounces and delays"). */
export interface RequeueFacts {
  /** The attempt's disposition for the recipient (a deferral). */
  disposition: Disposition;
  /** When the message arrived, ms. */
  received: number;
  /** Time spent held (`queue hold`), ms: it does not count towards the maximum age. */
  heldMs: number;
  now: number;
  /** When the next attempt would be by the retry schedule, ms. */
  nextBySchedule: number;
  maxAgeMs: number;
  /** One delay DSN after this long, or null. */
  delayWarningMs: number | null;
  /** A delay DSN was already sent for this recipient. */
  delayWarned: boolean;
}

export type Requeue =
  /** Try again at `at` (never later than the expiry); send the one delay notice when `warnDelay`. */
  | { kind: 'retry'; at: number; warnDelay: boolean; willRetryUntil: number }
  /** The queue lifetime is over: the recipient bounces (DSN). */
  | { kind: 'expire'; disposition: Disposition & { kind: 'bounce' } };

/** Human form of a duration for reasons (`5d`, `4h`, `30m`, `45s`). */
function humanDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * A deferred recipient is retried until the queue lifetime (`max_age`) is over, then bounced
 * with 5.4.7 (RFC 3463 X.4.7 "delivery time expired") and the last reason — DANE and DNS failures
 * included: they defer, never bounce, until then (RFC 7672 §2.2). The next attempt is never
 * scheduled after the expiry, so the expiry bounce is timely.
 */
export function decideRequeue(f: RequeueFacts): Requeue {
  const age = f.now - f.received - f.heldMs;
  const expires = f.received + f.heldMs + f.maxAgeMs;
  if (age >= f.maxAgeMs) {
    return {
      kind: 'expire',
      disposition: {
        kind: 'bounce',
        enhanced: Status.EXPIRED_FINAL,
        reason: `message expired after ${humanDuration(f.maxAgeMs)} in the queue; last error: ${f.disposition.reason}`,
        ...(f.disposition.reply === undefined ? {} : { reply: f.disposition.reply }),
      },
    };
  }
  const warnDelay = f.delayWarningMs !== null && !f.delayWarned && age >= f.delayWarningMs;
  return { kind: 'retry', at: Math.min(f.nextBySchedule, expires), warnDelay, willRetryUntil: expires };
}
