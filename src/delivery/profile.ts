/**
 * The transport profile: everything about *how* mail goes out to a destination — HELO name,
 * port, source address, SMTP timeouts, extra PKIX roots, TLS mode, insecure-MX policy and the
 * work limits of one delivery. The CLI's flags, the daemon's per-destination policies and
 * library users all fill one; delivery reads it, and the SMTP client's options are built from it
 * in one place (attempt.ts). Plain data, no I/O.
 */
import type { InsecureMxPolicy, TlsMode } from '../policy/index.ts';
import type { Timeouts } from '../smtp/client/index.ts';

/**
 * Bounds on the work of one delivery (Postfix's smtp_mx_address_limit spirit): a destination
 * controls its MX and address records, so without limits 10 hosts × 300 addresses would be 3,000
 * connection attempts for one message.
 */
export interface DeliveryLimits {
  /** Most MX hosts tried per delivery (by preference). */
  maxHosts: number;
  /** Most addresses tried per MX host. */
  maxAddressesPerHost: number;
  /** Most connection attempts (addresses) per delivery, all hosts together. */
  maxAddresses: number;
  /** No new connection is started once this much time has passed since the delivery began. */
  deadlineMs: number;
}

export const DEFAULT_DELIVERY_LIMITS: Readonly<DeliveryLimits> = {
  maxHosts: 10,
  maxAddressesPerHost: 4,
  maxAddresses: 12,
  deadlineMs: 15 * 60_000,
};

export interface TransportProfile {
  /** DESIGN.md's TLS mode (`dane` by default). */
  tlsMode: TlsMode;
  /** Hosts reached through an insecure MX RRset (RFC 7672 §2.2.1). */
  insecureMx: InsecureMxPolicy;
  /** SMTP port of the MX hosts; TLSA owner names follow it (`_<port>._tcp`). */
  port: number;
  /** EHLO name. */
  helo: string;
  /** Local address to connect from. */
  localAddress?: string;
  /** SMTP timeouts per state (RFC 5321 §4.5.3.2 defaults for what is not given). */
  timeouts?: Partial<Timeouts>;
  /** Extra PKIX roots (PEM) for the *_verify modes. */
  ca?: readonly string[];
  /** Work limits of one delivery (DEFAULT_DELIVERY_LIMITS for what is not given). */
  limits?: Partial<DeliveryLimits>;
  /** Messages one connection carries, RSET between them (default 100; DESIGN.md). */
  messagesPerConnection?: number;
}

export const DEFAULT_MESSAGES_PER_CONNECTION = 100;

/** The messages one connection may carry under a profile (at least 1). */
export function messagesPerConnectionOf(profile: TransportProfile): number {
  return Math.max(1, profile.messagesPerConnection ?? DEFAULT_MESSAGES_PER_CONNECTION);
}

/** The limits in force for a profile. */
export function limitsOf(profile: TransportProfile): DeliveryLimits {
  return { ...DEFAULT_DELIVERY_LIMITS, ...profile.limits };
}
