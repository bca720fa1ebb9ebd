/**
 * The vocabulary of the delivery interop case table: the receivers and zones, what a case is
 * (records it adds, an RRset to make bogus, a DNS premise to probe, what must come out) and
 * small builders shared by the tables — a domain with one MX and its TLSA records, and the
 * expectations "authenticated by DANE" and "deferred by DANE" (RFC 7672 §2.2, §3.1).
 * Must never name an address outside the test's own loopback plan.
 */
import type { Proof } from '../../../src/dns/dnssec/index.ts';
import type { AnswerKind } from '../../../src/dns/resolver/index.ts';
import type { DaneStatus, DeliveryOutcome, TlsLevel } from '../../../src/delivery/index.ts';
import type { TlsaParams } from './pki.ts';

/** The Postfix receivers, each with its own chain (see world.ts). */
export const RECEIVERS = {
  good: { host: 1, chain: 'good chain with root' },
  noRoot: { host: 2, chain: 'good chain without root (RSA leaf)' },
  wrongName: { host: 3, chain: 'CA-issued leaf with a wrong name' },
  expired: { host: 4, chain: 'expired self-signed leaf' },
  noTls: { host: 5, chain: 'no STARTTLS' },
} as const;
export type ReceiverName = keyof typeof RECEIVERS;

/** The test zones under example. that cases add records to. */
export const ZONES = {
  /** BIND-signed (ECDSA P-256), NSEC. */
  dane: 'dane.example',
  /** ldns-signed (Ed25519), NSEC3 without opt-out (0 iterations, no salt). */
  nsec3: 'nsec3.example',
  /** Unsigned: an insecure delegation from example. */
  plain: 'plain.example',
} as const;
export type ZoneKey = keyof typeof ZONES;

/** An RRset to corrupt after signing (one rdata byte changed, RRSIG left as it was). */
export interface Corruption {
  readonly zone: ZoneKey;
  readonly owner: string;
  readonly type: 'TLSA' | 'MX';
}

/** A DNS premise checked with the resolver before the delivery, so the case tests what it says. */
export interface Probe {
  readonly name: string;
  readonly type: 'TLSA' | 'MX' | 'A';
  readonly kind: AnswerKind;
  readonly status: Proof;
}

/** What a delivery must produce. */
export interface Want {
  readonly outcome: DeliveryOutcome;
  readonly enhanced?: string;
  readonly tls: TlsLevel | null;
  /** The receiver the message lands in; null: none (deferred, bounced). */
  readonly landed: ReceiverName | null;
  /** MX host of the deciding attempt. */
  readonly mx?: string;
  /** DANE verdict of each attempt, in order. */
  readonly dane?: readonly DaneStatus[];
  /** TLSA records (presentation rdata) of the deciding attempt. */
  readonly tlsa?: readonly string[];
  /** DNSSEC status of the deciding attempt's address. */
  readonly dnssec?: Proof;
  /** Whether any TLSA lookup was made (RFC 7672 §2.2.2: none for an insecure host). */
  readonly tlsaQueried?: boolean;
  /** Transcript lines that must appear. */
  readonly log?: readonly RegExp[];
}

/** One case of the table. */
export interface DeliveryCase {
  readonly name: string;
  readonly to: string;
  /** Resolver mode: recursive from the NSD root (default) or validate through Unbound. */
  readonly resolver?: 'recursive' | 'validate';
  /** Zone lines (absolute names) this case adds. */
  readonly records?: Partial<Record<ZoneKey, string>>;
  readonly corrupt?: Corruption;
  readonly probe?: Probe;
  readonly want: Want;
}

/** Addresses of the receivers, by name. */
export type AddressOf = (receiver: ReceiverName) => string;

/** DANE-EE SPKI SHA2-256, the common case. */
export const EE311: TlsaParams = { usage: 3, selector: 1, matchingType: 1 };

/** A one-MX destination. */
export interface Simple {
  readonly zone: ZoneKey;
  readonly label: string;
  readonly receiver: ReceiverName;
  readonly tlsa: readonly string[];
}

/** A domain `<label>.<zone>` with one MX `h-<label>.<zone>` on `receiver`, with TLSA records. */
export function simple(
  s: Simple,
  at: AddressOf,
): { to: string; host: string; records: Partial<Record<ZoneKey, string>> } {
  const zone = ZONES[s.zone];
  const domain = `${s.label}.${zone}`;
  const host = `h-${s.label}.${zone}`;
  const lines = [
    `${domain}. 3600 IN MX 10 ${host}.`,
    `${host}. 3600 IN A ${at(s.receiver)}`,
    ...s.tlsa.map((t) => `_25._tcp.${host}. 3600 IN TLSA ${t}`),
  ];
  return { to: `user@${domain}`, host, records: { [s.zone]: lines.join('\n') } };
}

/** Delivered, DANE-authenticated by `receiver`, one attempt. */
export const DANE_OK = (receiver: ReceiverName, mx: string, tlsa: readonly string[]): Want => ({
  outcome: 'delivered',
  tls: 'dane',
  landed: receiver,
  mx,
  dane: ['validated'],
  tlsa,
  dnssec: 'secure',
  tlsaQueried: true,
  log: [/^Connecting to \[127\.25\.\d+\.\d+\]:25 \(DNSSEC\)$/, /^DANE: validated successfully$/],
});

/** Deferred 4.7.5: the one MX failed DANE authentication, nothing was sent. */
export const DANE_FAIL = (mx: string, tlsa: readonly string[], log: readonly RegExp[] = []): Want => ({
  outcome: 'deferred',
  enhanced: '4.7.5',
  tls: null,
  landed: null,
  mx,
  dane: ['failed'],
  tlsa,
  tlsaQueried: true,
  log: [/^DANE: validation failed/, ...log],
});
