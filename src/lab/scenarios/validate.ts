/**
 * Consistency checks of a scenario catalogue before anything is built from it: unique ids,
 * domains, zones and hosts; every name inside one of the scenario's own zones; MX records that
 * name a host of the scenario; TLSA records that refer to a certificate the host has.
 * Pure; returns the problems as one-line texts, never throws.
 */
import { Name } from '../../dns/wire/index.ts';
import type { HostSpec, Scenario } from './types.ts';

function parse(text: string): Name | undefined {
  try {
    return Name.parse(text.endsWith('.') ? text : `${text}.`);
  } catch {
    return undefined;
  }
}

function inZones(s: Scenario, text: string): boolean {
  const name = parse(text);
  return name !== undefined && s.zones.some((z) => name.isSubdomainOf(Name.parse(z.origin)));
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values.map((x) => x.toLowerCase())) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

function hostProblems(s: Scenario, h: HostSpec): string[] {
  const out: string[] = [];
  for (const n of [h.name, ...(h.aliases ?? []), ...(h.tlsaAt === undefined ? [] : [h.tlsaAt])]) {
    if (!inZones(s, n)) out.push(`scenario ${s.id}: ${n} is in none of its zones`);
  }
  if (h.tlsaPort !== undefined && !(Number.isInteger(h.tlsaPort) && h.tlsaPort >= 1 && h.tlsaPort <= 65535)) {
    out.push(`scenario ${s.id}: host ${h.name} has TLSA port ${h.tlsaPort}, not 1..65535`);
  }
  for (const t of h.tlsa ?? []) {
    if ((t.of === 'leaf' || t.of === 'retired-leaf') && h.cert === undefined) {
      out.push(`scenario ${s.id}: host ${h.name} has a TLSA record of its ${t.of} but no certificate`);
    }
  }
  return out;
}

function mxProblems(s: Scenario): string[] {
  const names = new Set(s.hosts.flatMap((h) => [h.name, ...(h.aliases ?? [])].map((n) => n.toLowerCase())));
  if (s.mx === 'none') {
    return names.has(s.domain.toLowerCase())
      ? []
      : [`scenario ${s.id}: no MX, but no host named ${s.domain}`];
  }
  if (s.mx === 'null' || s.mx === 'nxdomain') return [];
  return s.mx
    .filter((m) => !names.has(m.host.toLowerCase()))
    .map((m) => `scenario ${s.id}: MX ${m.host} is no host of the scenario`);
}

function scenarioProblems(s: Scenario): string[] {
  const out: string[] = [];
  if (!/^[a-z0-9-]+$/.test(s.id)) out.push(`scenario id ${JSON.stringify(s.id)} is not kebab-case`);
  if (parse(s.domain) === undefined || s.domain.endsWith('.')) {
    out.push(`scenario ${s.id}: domain ${s.domain} is not a host name without the trailing dot`);
  } else if (s.mx !== 'nxdomain' && !inZones(s, s.domain)) {
    out.push(`scenario ${s.id}: domain ${s.domain} is in none of its zones`);
  }
  for (const z of s.zones) {
    const origin = parse(z.origin);
    const iterations = z.signing === 'unsigned' ? undefined : z.signing.iterations;
    if (
      iterations !== undefined &&
      !(Number.isInteger(iterations) && iterations >= 0 && iterations <= 2500)
    ) {
      out.push(`scenario ${s.id}: zone ${z.origin} has NSEC3 iterations ${iterations}, not 0..2500`);
    }
    if (!z.origin.endsWith('.') || origin === undefined || origin.labelCount < 2) {
      out.push(`scenario ${s.id}: zone ${z.origin} must be absolute and below a TLD`);
    }
  }
  out.push(...mxProblems(s));
  for (const h of s.hosts) out.push(...hostProblems(s, h));
  return out;
}

/** Every problem of the catalogue (empty when it is consistent). */
export function checkCatalogue(scenarios: readonly Scenario[]): string[] {
  const out = scenarios.flatMap(scenarioProblems);
  const dup = (what: string, values: string[]): void => {
    for (const d of duplicates(values)) out.push(`${what} ${d} appears twice in the catalogue`);
  };
  dup(
    'scenario id',
    scenarios.map((s) => s.id),
  );
  dup(
    'domain',
    scenarios.map((s) => s.domain),
  );
  dup(
    'zone',
    scenarios.flatMap((s) => s.zones.map((z) => z.origin)),
  );
  dup(
    'host',
    scenarios.flatMap((s) => s.hosts.flatMap((h) => [h.name, ...(h.aliases ?? [])])),
  );
  return out;
}
