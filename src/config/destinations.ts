/**
 * Per-destination delivery settings (DESIGN.md "The daemon (C6)", `delivery.destinations`):
 * entries keyed by recipient domain, exact (`example.org`) or by suffix (`*.example.org`, its
 * subdomains only), and the DANE exceptions among them. An entry that weakens DANE — a TLS mode
 * that ignores TLSA records while the global mode is a DANE mode, or an insecure-MX policy weaker
 * than the global one — must say why (`reason`) and until when (`until`); once `until` has
 * passed, its weakening settings are ignored and the global ones apply again.
 * `destinationPolicy` is pure: the caller passes `now`, and the result says which exception
 * applied or expired so the daemon can log it at use.
 * Must never: let an expired exception weaken TLS; read the clock.
 */
import { z } from 'zod';
import {
  count,
  insecureMx,
  NON_DANE_MODES,
  port,
  rate,
  tlsMode,
  until,
  weakerInsecureMx,
  type InsecureMxPolicy,
  type RateLimits,
  type TlsMode,
} from './fields.ts';
import { domainToALabels } from './units.ts';

export const destinationEntry = z.strictObject({
  tls: tlsMode
    .optional()
    .describe('TLS mode for this destination (the nine modes, or encrypt/may/none as in Postfix)'),
  insecure_mx: insecureMx.optional().describe('insecure-MX policy for this destination'),
  port: port('SMTP port of its MX hosts').optional(),
  concurrency: count(1, 10_000, 'connections to this destination (overrides per_destination)').optional(),
  messages_per_connection: count(1, 100_000, 'messages per connection to this destination').optional(),
  rate: rate.optional().describe('messages_per_minute / connections_per_minute for this destination'),
  reason: z
    .string()
    .trim()
    .min(1, { error: 'reason must not be empty' })
    .max(300, { error: 'reason is longer than 300 characters' })
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { error: 'reason must be one line of text' })
    .optional()
    .describe('why this destination is an exception (logged when it applies)'),
  until: until.optional(),
});

type EntryOutput = z.output<typeof destinationEntry>;

/** A destination entry as loaded. */
export interface Destination extends EntryOutput {
  /** The key in lower-case A-labels: `example.org` or `*.example.org`. */
  key: string;
  /** The key as written in the file. */
  written: string;
  /** The entry weakens DANE (an exception that needs reason and until). */
  weakensDane: boolean;
  /** Its `until` had passed when the file was loaded (its weakening settings are ignored). */
  expired: boolean;
}

/** Normalise a destination key; undefined when it is not a domain or `*.domain`. */
export function normalizeDestinationKey(written: string): string | undefined {
  const text = written.trim().toLowerCase();
  const wildcard = text.startsWith('*.');
  const ascii = domainToALabels(wildcard ? text.slice(2) : text);
  if (ascii === undefined) return undefined;
  return wildcard ? `*.${ascii}` : ascii;
}

/** Whether an entry weakens DANE, given the global TLS mode and insecure-MX policy. */
export function weakensDane(
  entry: EntryOutput,
  global: { tls: TlsMode; insecure_mx: InsecureMxPolicy },
): boolean {
  const globalIsDane = !NON_DANE_MODES.includes(global.tls);
  const tlsWeakens = entry.tls !== undefined && globalIsDane && NON_DANE_MODES.includes(entry.tls);
  const mxWeakens =
    entry.insecure_mx !== undefined && weakerInsecureMx(entry.insecure_mx, global.insecure_mx);
  return tlsWeakens || mxWeakens;
}

/** The settings destinationPolicy reads from the loaded configuration. */
export interface PolicyConfig {
  delivery: {
    tls: TlsMode;
    insecure_mx: InsecureMxPolicy;
    port: number;
    per_destination: number;
    messages_per_connection: number;
    rate: RateLimits | null;
    destinations: readonly Destination[];
  };
}

/** The effective settings for one recipient domain. */
export interface DestinationPolicy {
  /** The domain asked about (lower-case A-labels). */
  domain: string;
  /** The key of the entry that matched, or null (global settings). */
  match: string | null;
  tls: TlsMode;
  insecure_mx: InsecureMxPolicy;
  port: number;
  /** Connections to this destination at a time. */
  concurrency: number;
  messages_per_connection: number;
  rate: RateLimits | null;
  /** A DANE exception that applies now: log it at use. */
  exception: { reason: string; until: string } | null;
  /** A DANE exception that was ignored because `until` has passed: log it at use. */
  expired: { reason: string; until: string } | null;
}

/** The entry for `domain`: an exact key beats the longest matching `*.suffix`. */
export function findDestination(
  destinations: readonly Destination[],
  domain: string,
): Destination | undefined {
  const name = domain.toLowerCase().replace(/\.$/, '');
  const exact = destinations.find((d) => d.key === name);
  if (exact !== undefined) return exact;
  let best: Destination | undefined;
  for (const d of destinations) {
    if (!d.key.startsWith('*.')) continue;
    const suffix = d.key.slice(1); // ".example.org"
    if (
      name.endsWith(suffix) &&
      name.length > suffix.length &&
      (best === undefined || d.key.length > best.key.length)
    )
      best = d;
  }
  return best;
}

/**
 * The effective per-destination settings for `domain` at `now` (ms). An exception whose `until`
 * is at or before `now` is ignored for TLS and insecure-MX (the global settings apply) and
 * reported in `expired`; its other settings (port, concurrency, rate) still apply.
 */
export function destinationPolicy(config: PolicyConfig, domain: string, now: number): DestinationPolicy {
  const d = config.delivery;
  const entry = findDestination(d.destinations, domain);
  const base: DestinationPolicy = {
    domain: domain.toLowerCase().replace(/\.$/, ''),
    match: entry?.key ?? null,
    tls: d.tls,
    insecure_mx: d.insecure_mx,
    port: entry?.port ?? d.port,
    concurrency: entry?.concurrency ?? d.per_destination,
    messages_per_connection: entry?.messages_per_connection ?? d.messages_per_connection,
    rate: entry?.rate ?? d.rate,
    exception: null,
    expired: null,
  };
  if (entry === undefined) return base;
  if (!entry.weakensDane) {
    return { ...base, tls: entry.tls ?? d.tls, insecure_mx: entry.insecure_mx ?? d.insecure_mx };
  }
  const why = { reason: entry.reason ?? '', until: entry.until?.text ?? '' };
  if (entry.until === undefined || entry.until.ms <= now) return { ...base, expired: why };
  return {
    ...base,
    tls: entry.tls ?? d.tls,
    insecure_mx: entry.insecure_mx ?? d.insecure_mx,
    exception: why,
  };
}
