/**
 * zod building blocks for the configuration schema: values whose syntax is ours (durations,
 * sizes, addresses, networks, files, dates) parse to typed values and report a one-line reason
 * naming the form to write, and the TLS vocabulary of DESIGN.md (the nine modes, the
 * insecure-MX policies, Postfix-style aliases). Every field carries its description: the README's
 * configuration reference is rendered from them (reference.ts).
 * Must never: read files or the clock (load.ts checks files after parsing).
 */
import { z } from 'zod';
import type { Result } from '../util/index.ts';
import {
  parseCidr,
  parseDuration,
  parseHostPort,
  parseResolver,
  parseSize,
  parseUntil,
  type HostPort,
} from './units.ts';

/**
 * The nine TLS modes of DESIGN.md. config may not import policy (STYLE.md layers), so the list
 * is repeated here; test/intake/config-policy.test.ts pins it to policy's TLS_MODES.
 */
export const TLS_MODES = [
  'disabled',
  'optional',
  'optional_verify',
  'require',
  'require_verify',
  'dane',
  'dane_require',
  'dane_fallback_require',
  'dane_fallback_require_verify',
] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** Postfix-style names an operator writes, normalised to the nine modes on load. */
export const TLS_ALIASES = { encrypt: 'require', may: 'optional', none: 'disabled' } as const;

/** Modes that ignore TLSA records: a destination using one weakens DANE (an exception). */
export const NON_DANE_MODES: readonly TlsMode[] = [
  'disabled',
  'optional',
  'optional_verify',
  'require',
  'require_verify',
];

/** Insecure-MX policies, strongest first (RFC 7672 §2.2.1 makes DANE there a MAY). */
export const INSECURE_MX_POLICIES = ['dane', 'encrypt', 'may'] as const;
export type InsecureMxPolicy = (typeof INSECURE_MX_POLICIES)[number];

/** A value parsed by one of units.ts's parsers; a failure becomes a custom issue. */
function parsed<T>(parse: (v: unknown) => Result<T>) {
  return z.unknown().transform((value, ctx): T => {
    const r: Result<T> = value === undefined ? { ok: false, error: 'missing (required)' } : parse(value);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.error });
    return z.NEVER;
  });
}

function textParser<T>(parse: (text: string) => Result<T>, what: string): (v: unknown) => Result<T> {
  return (v) =>
    typeof v === 'string'
      ? parse(v.trim())
      : { ok: false, error: `expected ${what} as text, got ${typeof v}` };
}

/** A duration (`30s`, `5m`, …) → milliseconds. */
export const duration = (description: string) => parsed(parseDuration).describe(description);

/** A size (`25MB`, `10MiB`, bytes) → bytes. */
export const size = (description: string) => parsed(parseSize).describe(description);

/** `IP:port` / `[IPv6]:port` → { host, port }. */
export const hostPort = (description: string) =>
  parsed<HostPort>(textParser(parseHostPort, 'an address')).describe(description);

/** A resolver `ADDR[:PORT]` → { host, port }. */
export const resolverAddress = parsed<HostPort>(textParser(parseResolver, 'a resolver address'));

/** A CIDR network, kept as written after validation. */
export const cidr = parsed<string>((v) => {
  if (typeof v !== 'string') return { ok: false, error: `expected a network such as 192.0.2.0/24` };
  const r = parseCidr(v.trim());
  return r.ok ? { ok: true, value: v.trim() } : r;
});

/** A file name (load.ts resolves it against the configuration file's directory and checks it). */
export const file = (description: string) =>
  z
    .string()
    .trim()
    .min(1, { error: 'expected a file name' })
    .refine((s) => !s.includes('\0'), { error: 'a file name cannot contain NUL' })
    .describe(description);

/** A whole number in [min, max]. */
export const count = (min: number, max: number, description: string) =>
  z.int().min(min).max(max).describe(description);

/** A TCP port 1–65535. */
export const port = (description: string) => count(1, 65535, description);

/** One of the nine modes, or a Postfix alias (normalised). */
export const tlsMode = z
  .enum([...TLS_MODES, ...(Object.keys(TLS_ALIASES) as (keyof typeof TLS_ALIASES)[])])
  .transform((m): TlsMode =>
    m in TLS_ALIASES ? TLS_ALIASES[m as keyof typeof TLS_ALIASES] : (m as TlsMode),
  );

export const insecureMx = z.enum(INSECURE_MX_POLICIES);

/** An exception's end date: `{ text, ms }` (YAML's core schema keeps 2027-03-01 a string). */
export const until = parsed(parseUntil).describe(
  'end of a DANE exception: YYYY-MM-DD (00:00 UTC) or an ISO time; required with reason when the entry weakens DANE',
);

/** Per-destination rate limits. */
export const rate = z
  .strictObject({
    messages_per_minute: count(1, 1_000_000, 'messages per minute to one destination').optional(),
    connections_per_minute: count(1, 1_000_000, 'new connections per minute to one destination').optional(),
  })
  .refine((r) => r.messages_per_minute !== undefined || r.connections_per_minute !== undefined, {
    error: 'give messages_per_minute, connections_per_minute or both',
  });
export type RateLimits = z.output<typeof rate>;

/** True when `a` is a weaker insecure-MX policy than `b`. */
export function weakerInsecureMx(a: InsecureMxPolicy, b: InsecureMxPolicy): boolean {
  return INSECURE_MX_POLICIES.indexOf(a) > INSECURE_MX_POLICIES.indexOf(b);
}
