/**
 * The daemon's queue events on `mta:queue:event` (util/diagnostics.ts), one typed union: every
 * delivery attempt of a message to a destination (DESIGN.md's log line: the attempt record of
 * the CLI contract, the recipients, the outcome and the transcript), DSNs queued, destinations
 * backed off, DANE exceptions used or ignored, leases lost, store errors. obs/ turns them into
 * log lines and metrics; nothing here logs.
 */
import type { AttemptRecord, DeliveryOutcome, TlsLevel } from '../delivery/index.ts';
import { ChannelName, TypedChannel } from '../util/index.ts';

/** DESIGN.md: `{"event":"attempt","id","domain","recipients","outcome", …record, "transcript"}`. */
export interface AttemptEvent extends Omit<AttemptRecord, 'tls'> {
  event: 'attempt';
  /** Queue id of the message. */
  id: string;
  domain: string;
  recipients: string[];
  outcome: DeliveryOutcome;
  /** TLS of the attempt that decided the outcome (null when none connected). */
  tls: TlsLevel | null;
  enhanced: string;
  reason: string;
  /** DNSSEC status of the MX RRset (null for an address literal). */
  mx_dnssec: string | null;
  /** Per recipient: its new state, and when it is tried again. */
  results: { address: string; state: string; enhanced: string; next_attempt?: string; expired?: true }[];
  /** Milliseconds from the start of the delivery to its result. */
  duration_ms: number;
  /** A DANE exception (delivery.destinations) this delivery ran under. */
  exception?: { reason: string; until: string };
  transcript: string[];
}

export type QueueEvent =
  | AttemptEvent
  | { event: 'dsn'; id: string; of: string; kind: string; recipients: string[] }
  | { event: 'backoff'; domain: string; until: string; reason: string; messages: number }
  | { event: 'exception-expired'; domain: string; entry: string; reason: string; until: string }
  | { event: 'lease-lost'; id: string; recipients: number }
  /** A connection's slot (PostgreSQL) expired before it could be renewed and another node took it. */
  | { event: 'slot-lost'; domain: string; slot: number }
  | { event: 'store-error'; operation: string; error: string }
  | { event: 'pruned'; messages: number }
  | { event: 'started'; owner: string; store: string; listeners: string[]; http: string | null }
  | { event: 'stopping'; signal: string; in_flight: number }
  | { event: 'reloaded'; destinations: number; warnings: string[] }
  | { event: 'connection'; domain: string; open: number };

export const queueEventChannel = new TypedChannel<QueueEvent>(ChannelName.QUEUE_EVENT);
