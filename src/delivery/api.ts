/**
 * The library API: `deliver()` sends one message to its recipients (grouped by destination
 * domain, one delivery per domain) and `lookupRcpt()` verifies one recipient without DATA.
 * Both return the result object of DESIGN.md's CLI contract.
 */
import { parseMailbox, type DsnRequest } from '../smtp/protocol/index.ts';
import { deliverToDomain, type DeliverOptions, type DomainJob } from './deliver.ts';
import { worstIndex } from '../policy/index.ts';
import type { DeliveryResult } from './types.ts';

export interface Envelope {
  /** Reverse path; '' for the null sender `<>`. */
  from: string;
  to: string[];
  /** RFC 3461 DSN request, passed through when the server offers DSN. */
  dsn?: DsnRequest;
}

/** Group recipients by destination domain (case-insensitively), keeping address-literal targets apart. */
export function groupByDomain(recipients: readonly string[]): Omit<DomainJob, 'from' | 'message'>[] {
  const groups = new Map<string, Omit<DomainJob, 'from' | 'message'>>();
  for (const address of recipients) {
    const box = parseMailbox(address);
    const key = box.domain.toLowerCase();
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        domain: box.domain,
        recipients: [],
        ...(box.literal === undefined ? {} : { literal: box.literal }),
      };
      groups.set(key, g);
    }
    g.recipients.push(address);
  }
  return [...groups.values()];
}

/** Merge per-domain results into one: the worst outcome decides; attempts and logs concatenate. */
export function mergeResults(results: DeliveryResult[]): DeliveryResult {
  const worst = results[worstIndex(results)];
  if (worst === undefined) throw new TypeError('mergeResults: no results');
  if (results.length === 1) return worst;
  return {
    ...worst,
    attempts: results.flatMap((r) => r.attempts),
    recipients: results.flatMap((r) => r.recipients),
    log: results.flatMap((r) => r.log),
  };
}

/**
 * Deliver `message` to every recipient of `envelope` (throws only for invalid addresses, with a
 * one-line message: validate input before calling).
 */
export async function deliver(
  envelope: Envelope,
  message: Uint8Array,
  opts: DeliverOptions,
): Promise<DeliveryResult> {
  const groups = groupByDomain(envelope.to);
  const results: DeliveryResult[] = [];
  for (const g of groups) {
    const dsn = envelope.dsn === undefined ? {} : { dsn: envelope.dsn };
    results.push(await deliverToDomain({ ...g, ...dsn, from: envelope.from, message }, opts));
  }
  return mergeResults(results);
}

/**
 * Verify one recipient: EHLO, STARTTLS per policy, MAIL FROM:<> (or `from`), RCPT TO, then QUIT —
 * no DATA. Outcome `accepted`, `rejected` or `deferred`.
 */
export async function lookupRcpt(
  address: string,
  opts: DeliverOptions & { from?: string },
): Promise<DeliveryResult> {
  const [g] = groupByDomain([address]);
  if (g === undefined) throw new TypeError(`invalid address ${address}`);
  return deliverToDomain({ ...g, from: opts.from ?? '' }, opts);
}
