/**
 * The scenario catalogue of the simulated Internet, as data: every case of the RFC 7672 decision
 * order (DESIGN.md) the end-to-end tests deliver to — DANE matching (dane.ts), the DNS
 * side (dns.ts) — plus the three deliveries of the demo. Each scenario names its
 * domain, zones, MX hosts, certificates, TLSA records, breakages and the expected outcome.
 * Data and lookups only; no I/O.
 */
import { DANE_SCENARIOS } from './dane.ts';
import { DEMO_SCENARIOS, DNS_SCENARIOS } from './dns.ts';
import type { Scenario } from './types.ts';

export { DANE_SCENARIOS } from './dane.ts';
export { DEMO_SCENARIOS, DNS_SCENARIOS } from './dns.ts';

/** The whole catalogue: DANE matching, DNS, then the demo's three. */
export const SCENARIOS: readonly Scenario[] = [...DANE_SCENARIOS, ...DNS_SCENARIOS, ...DEMO_SCENARIOS];

/** The scenario with this id, from `scenarios` (default: the whole catalogue). */
export function scenarioById(id: string, scenarios: readonly Scenario[] = SCENARIOS): Scenario | undefined {
  return scenarios.find((s) => s.id === id);
}

/** The scenario whose destination domain is `domain` (case-insensitive, trailing dot ignored). */
export function scenarioByDomain(
  domain: string,
  scenarios: readonly Scenario[] = SCENARIOS,
): Scenario | undefined {
  const d = domain.toLowerCase().replace(/\.$/, '');
  return scenarios.find((s) => s.domain.toLowerCase() === d);
}

/** One line for listings: `delivered (tls dane)`, `deferred 4.7.5`, `bounced 5.1.10`. */
export function describeExpectation(s: Scenario): string {
  const e = s.expect;
  if (e.outcome === 'delivered') return `delivered (tls ${e.tls ?? 'none'})`;
  if (e.outcome === 'bounced' && e.tls !== null)
    return `bounced ${e.enhanced ?? ''} (tls ${e.tls})`.replace('  ', ' ');
  return `${e.outcome}${e.enhanced === undefined ? '' : ` ${e.enhanced}`}`;
}
