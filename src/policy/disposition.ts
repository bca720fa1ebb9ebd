/**
 * The vocabulary of delivery decisions: RFC 3463 enhanced status codes as a type, the codes
 * dane-mta gives its own decisions, a recipient's disposition, the verdict on one step of a
 * delivery (final / next-host / retry-plaintext) and the ranking of outcomes. Types, constants
 * and total functions only; the decisions themselves are made in classify.ts. Pure.
 */
import type { Reply } from '../smtp/protocol/index.ts';

/** An RFC 3463 enhanced status code: `class.subject.detail`, class 2, 4 or 5. */
export type EnhancedCode = `${2 | 4 | 5}.${number}.${number}`;

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** True when `text` is a well-formed enhanced status code (RFC 3463 §2). */
export function isEnhancedCode(text: string): text is EnhancedCode {
  return ENHANCED.test(text);
}

/**
 * The codes of dane-mta's own decisions (RFC 3463 §3), named for what they mean here. Remote
 * servers' codes come from their replies.
 */
export const Status = {
  /** Bad destination mailbox address syntax / no such domain (RFC 3463 §3.2 X.1.2). */
  BAD_DESTINATION: '5.1.2',
  /** The domain accepts no mail: null MX (RFC 7505 §4.2). */
  NULL_MX: '5.1.10',
  /** No answer from host (X.4.1): nothing could be tried, or connections failed. */
  NO_ANSWER: '4.4.1',
  /** Bad connection (X.4.2): the session timed out. */
  BAD_CONNECTION: '4.4.2',
  /** Directory server failure (X.4.3): a DNS lookup failed. */
  DNS_FAILURE: '4.4.3',
  /** Unable to route (X.4.4): every MX host proven to have no address (RFC 5321 §5.1). */
  NO_ROUTE: '5.4.4',
  /** Delivery time expired (X.4.7): the message spent `max_age` in the queue (the bounce). */
  EXPIRED_FINAL: '5.4.7',
  /** Other or undefined network or routing status (X.4.0). */
  NETWORK: '4.4.0',
  /** Other or undefined protocol status (X.5.0): the session broke. */
  PROTOCOL: '4.5.0',
  /** System not accepting messages / temporary local problem (X.3.0). */
  LOCAL: '4.3.0',
  /** Security: authentication or TLS failure (RFC 7672 §2.2; X.7.5 cryptographic failure). */
  TLS_FAILURE: '4.7.5',
  /** Message too big for the receiver (RFC 1870 §6; X.3.4). */
  TOO_BIG: '5.3.4',
  /** Content needs SMTPUTF8 the receiver lacks (RFC 6531 §3.6; X.6.7). */
  NEEDS_SMTPUTF8: '5.6.7',
  /** Media not supported / line too long (X.6.0). */
  BAD_CONTENT: '5.6.0',
  /** REQUIRETLS could not be honoured (RFC 8689 §5; X.7.30). */
  REQUIRETLS: '5.7.30',
} as const satisfies Record<string, EnhancedCode>;

/** The disposition kinds of one recipient after one step. */
export type DispositionKind = 'delivered' | 'accepted' | 'bounce' | 'defer';

/** What happened to one recipient, with the code and one line saying why. */
export interface Disposition {
  kind: DispositionKind;
  enhanced: EnhancedCode;
  reason: string;
  /** The remote reply that decided it, when one did. */
  reply?: Reply;
}

/**
 * The verdict on one step of a delivery (a DNS answer, a host's policy, one connection):
 * - `final`: every recipient has its disposition (delivered, accepted, bounced or deferred);
 * - `next-host`: the site failed us; try the next address or host, remembering why;
 * - `retry-plaintext`: opportunistic TLS only — the same address again without STARTTLS.
 */
export type Verdict =
  | { kind: 'final'; recipients: ReadonlyMap<string, Disposition> }
  | { kind: 'next-host'; site: Disposition }
  | { kind: 'retry-plaintext'; site: Disposition };

/** A decision about the whole destination, before or after its hosts were walked. */
export type DestinationVerdict =
  { kind: 'continue' } | { kind: 'final'; disposition: Disposition & { kind: 'bounce' | 'defer' } };

/** Outcomes of deliveries (DESIGN.md's CLI contract) and of recipient verification. */
export type DeliveryOutcome = 'delivered' | 'bounced' | 'deferred';
export type VerifyOutcome = 'accepted' | 'rejected' | 'deferred';
export type Outcome = DeliveryOutcome | VerifyOutcome;

/** The outcome a disposition means, for a delivery or for a verification. */
export function outcomeOf(kind: DispositionKind, verify: boolean): Outcome {
  if (kind === 'delivered') return 'delivered';
  if (kind === 'accepted') return 'accepted';
  if (kind === 'bounce') return verify ? 'rejected' : 'bounced';
  return 'deferred';
}

/**
 * Which outcome speaks for several (recipients of a message, domains of an envelope): a
 * deferral first (the sender must know the message is not done), then a failure, then success.
 */
const RANK: Readonly<Record<Outcome, number>> = {
  deferred: 3,
  bounced: 2,
  rejected: 2,
  delivered: 1,
  accepted: 1,
};

/** The index of the item whose outcome ranks worst (the first of equals); -1 for none. */
export function worstIndex(items: readonly { outcome: Outcome }[]): number {
  let worst = -1;
  items.forEach((item, i) => {
    const w = items[worst];
    if (w === undefined || RANK[item.outcome] > RANK[w.outcome]) worst = i;
  });
  return worst;
}
