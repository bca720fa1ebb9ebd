/**
 * What one SMTP attempt means (cf. Postfix smtp_trouble.c): per recipient delivered / accepted
 * (recipient verification) / bounce / defer, and whether the next MX address should be tried.
 * The SMTP client reports facts; this is the one place that turns them into decisions.
 * DANE and TLS failures never bounce (RFC 7672 §2.2: defer, 4.7.5). Pure.
 */
import type { Reply } from '../smtp/protocol/index.ts';

/** The facts of an attempt this module reads (a structural subset of the client's result). */
export interface AttemptFacts {
  connected: boolean;
  mail?: Reply;
  recipients: readonly { address: string; reply?: Reply }[];
  dataStart?: Reply;
  data?: Reply;
  failure?: { code: string; message: string; state: string; reply?: Reply };
}

export type DispositionKind = 'delivered' | 'accepted' | 'bounce' | 'defer';

export interface Disposition {
  kind: DispositionKind;
  /** RFC 3463 enhanced status code. */
  enhanced: string;
  reason: string;
  reply?: Reply;
}

export interface AttemptVerdict {
  /** Nothing final happened: try the next address / host (the site failed us). */
  tryNextHost: boolean;
  /** The handshake failed and policy allows a plaintext retry of the same address. */
  retryPlaintext: boolean;
  /** Why the site failed, when it did. */
  site?: Disposition;
  /** Final dispositions per recipient (only when `tryNextHost` is false). */
  recipients: Map<string, Disposition>;
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
const PERMANENT: Readonly<Record<string, string>> = {
  SMTP_ERR_SMTPUTF8_REQUIRED: '5.6.7', // RFC 6531 §3.6
  SMTP_ERR_SIZE: '5.3.4', // RFC 1870 §6
  SMTP_ERR_LINE_TOO_LONG: '5.6.0', // RFC 5321 §4.5.3.1.6
};

const SITE_CODES: Readonly<Record<string, string>> = {
  SMTP_ERR_CONNECT: '4.4.1',
  SMTP_ERR_TIMEOUT: '4.4.2',
  SMTP_ERR_PROTOCOL: '4.5.0',
  SMTP_ERR_ABORTED: '4.3.0',
};

/** The enhanced code of a reply, or one derived from its class. */
export function enhancedOf(reply: Reply): string {
  return reply.enhanced ?? `${String(reply.code)[0] ?? '4'}.0.0`;
}

function fromReply(kind: DispositionKind, reply: Reply, what: string): Disposition {
  return { kind, enhanced: enhancedOf(reply), reason: `${what}: ${reply.code} ${reply.text}`.trim(), reply };
}

function all(addresses: readonly string[], d: Disposition): Map<string, Disposition> {
  return new Map(addresses.map((a) => [a, d]));
}

/** Classify one attempt. `verify` marks recipient verification (no DATA). */
export function classifyAttempt(
  facts: AttemptFacts,
  opts: { verify: boolean; plaintextFallback: boolean; tlsEnhanced?: string },
): AttemptVerdict {
  const rcpts = facts.recipients.map((r) => r.address);
  const none = new Map<string, Disposition>();
  const f = facts.failure;
  if (f !== undefined && PERMANENT[f.code] !== undefined) {
    return {
      tryNextHost: false,
      retryPlaintext: false,
      recipients: all(rcpts, { kind: 'bounce', enhanced: PERMANENT[f.code] as string, reason: f.message }),
    };
  }
  // Anything that stops the session during the handshake (plaintext injected after the 220, a
  // timeout, a reset) is a TLS failure too: when TLS was required the host is skipped with 4.7.5.
  const inHandshake = f?.state === 'TLS_HANDSHAKE' && f.code !== 'SMTP_ERR_ABORTED';
  if (f !== undefined && (TLS_FAILURES.has(f.code) || inHandshake)) {
    // Opportunistic TLS only: a failed handshake or a refused STARTTLS (e.g. "454 TLS not
    // available") is retried without STARTTLS — opportunistic TLS must not stop delivery.
    const retry = opts.plaintextFallback && RETRY_PLAINTEXT.has(f.code);
    return {
      tryNextHost: !retry,
      retryPlaintext: retry,
      site: { kind: 'defer', enhanced: opts.tlsEnhanced ?? '4.7.5', reason: f.message },
      recipients: none,
    };
  }
  // Before MAIL was accepted, any failure is the site's: try the next MX address.
  if (facts.mail === undefined || facts.mail.code >= 400) {
    if (facts.mail !== undefined && facts.mail.code >= 500) {
      return {
        tryNextHost: false,
        retryPlaintext: false,
        recipients: all(rcpts, fromReply('bounce', facts.mail, 'MAIL FROM rejected')),
      };
    }
    const site: Disposition =
      facts.mail !== undefined
        ? fromReply('defer', facts.mail, 'MAIL FROM deferred')
        : f?.reply !== undefined
          ? { ...fromReply('defer', f.reply, f.message), enhanced: toTemporary(enhancedOf(f.reply)) }
          : {
              kind: 'defer',
              enhanced: SITE_CODES[f?.code ?? ''] ?? '4.4.0',
              reason: f?.message ?? 'no MAIL FROM reply',
            };
    return { tryNextHost: true, retryPlaintext: false, site, recipients: none };
  }
  return { tryNextHost: false, retryPlaintext: false, recipients: recipientDispositions(facts, opts.verify) };
}

function toTemporary(code: string): string {
  return code.startsWith('5') ? `4${code.slice(1)}` : code;
}

function recipientDispositions(facts: AttemptFacts, verify: boolean): Map<string, Disposition> {
  const out = new Map<string, Disposition>();
  const accepted: string[] = [];
  for (const r of facts.recipients) {
    if (r.reply === undefined) {
      out.set(r.address, {
        kind: 'defer',
        enhanced: SITE_CODES[facts.failure?.code ?? ''] ?? '4.4.2',
        reason: facts.failure?.message ?? 'no reply to RCPT TO',
      });
    } else if (r.reply.code >= 500) out.set(r.address, fromReply('bounce', r.reply, 'RCPT TO rejected'));
    else if (r.reply.code >= 400) out.set(r.address, fromReply('defer', r.reply, 'RCPT TO deferred'));
    else accepted.push(r.address);
  }
  if (verify) {
    for (const a of accepted) {
      const reply = facts.recipients.find((r) => r.address === a)?.reply as Reply;
      out.set(a, fromReply('accepted', reply, 'RCPT TO accepted'));
    }
    return out;
  }
  const final =
    facts.data ??
    (facts.dataStart !== undefined && facts.dataStart.code >= 400 ? facts.dataStart : undefined);
  for (const a of accepted) {
    if (final === undefined) {
      // The connection broke during DATA: the message may or may not have arrived; retry later.
      out.set(a, {
        kind: 'defer',
        enhanced: SITE_CODES[facts.failure?.code ?? ''] ?? '4.4.2',
        reason: facts.failure?.message ?? 'no reply after DATA',
      });
    } else if (final.code >= 500) out.set(a, fromReply('bounce', final, 'message rejected'));
    else if (final.code >= 400) out.set(a, fromReply('defer', final, 'message deferred'));
    else out.set(a, fromReply('delivered', final, 'delivered'));
  }
  return out;
}
