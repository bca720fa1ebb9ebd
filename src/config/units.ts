/**
 * The value syntaxes of the configuration file: durations (`30s`, `5m`, `1h30m`, `5d`, `2w`,
 * `250ms`), sizes (`25MB`, `10MiB`, or a number of bytes), listen addresses (`IP:port`,
 * `[IPv6]:port`), CIDR networks, resolver addresses (`ADDR[:PORT]`), host names and exception
 * dates (`YYYY-MM-DD` or an ISO 8601 time). Each parser returns a value or a one-line reason
 * that names the expected form, so the loader can put it after `file:line:column: key:`.
 * Must never: guess a unit for a bare number of a duration (5 what?), or read the clock.
 */
import { isIP } from 'node:net';
import { err, ok, type Result } from '../util/index.ts';

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_HINT = 'write it with a unit: 250ms, 30s, 5m, 1h, 5d, 2w (or combined, as 1h30m)';

/** Parse a duration into milliseconds. A bare number is refused: the unit is not guessed. */
export function parseDuration(value: unknown): Result<number> {
  if (typeof value === 'number') return err(`${value} has no unit; ${DURATION_HINT}`);
  if (typeof value !== 'string') return err(`expected a duration, got ${describeValue(value)}`);
  const text = value.trim();
  if (/^\d+$/.test(text)) return err(`'${text}' has no unit; ${DURATION_HINT}`);
  if (!/^(?:\d+(?:ms|s|m|h|d|w))+$/.test(text)) return err(`'${text}' is not a duration; ${DURATION_HINT}`);
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
  }
  if (!Number.isSafeInteger(total)) return err(`'${text}' is too long a duration`);
  return ok(total);
}

/** A duration in milliseconds written the way the file takes it (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = DURATION_UNITS[unit] ?? 1;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parse a size: a whole number of bytes, or a number with B, KB, MB, GB, KiB, MiB, GiB. */
export function parseSize(value: unknown): Result<number> {
  const hint = 'write a number of bytes or a size such as 25MB or 10MiB';
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0
      ? ok(value)
      : err(`${value} is not a whole number of bytes`);
  }
  if (typeof value !== 'string') return err(`expected a size, got ${describeValue(value)}; ${hint}`);
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(value.trim());
  const factor = m === null ? undefined : SIZE_UNITS[(m[2] ?? '').toLowerCase() || 'b'];
  if (m === null || factor === undefined) return err(`'${value}' is not a size; ${hint}`);
  const bytes = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) return err(`'${value}' is too large`);
  return ok(bytes);
}

/** A listen address: `IP:port` or `[IPv6]:port`. */
export interface HostPort {
  host: string;
  port: number;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** Parse `IP:port` or `[IPv6]:port` (port 0 = any free port, for tests). */
export function parseHostPort(text: string): Result<HostPort> {
  const hint = 'write IP:port, e.g. 127.0.0.1:25 or [::1]:25';
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const v4 = /^([^:[\]]+):(\d+)$/.exec(text);
  const m = v6 ?? v4;
  if (m === null) return err(`'${text}' is not an address with a port; ${hint}`);
  const host = m[1] ?? '';
  const family = isIP(host);
  if (family === 0 || (v6 !== null) !== (family === 6)) {
    return err(`'${host}' is not an IP${v6 === null ? 'v4' : 'v6'} address; ${hint}`);
  }
  const port = parsePort(m[2] ?? '');
  if (port === undefined) return err(`port '${m[2] ?? ''}' is out of range (0–65535)`);
  return ok({ host, port });
}

/** Parse a resolver address `ADDR[:PORT]` (IPv6 as `[::1]:53` or bare `::1`), port default 53. */
export function parseResolver(text: string): Result<HostPort> {
  if (isIP(text) !== 0) return ok({ host: text, port: 53 });
  const bracketed = /^\[([^\]]+)\]$/.exec(text);
  if (bracketed !== null && isIP(bracketed[1] ?? '') === 6) return ok({ host: bracketed[1] ?? '', port: 53 });
  const hp = parseHostPort(text);
  if (!hp.ok) return err(`'${text}' is not a resolver address; write ADDR or ADDR:PORT, e.g. 127.0.0.1:53`);
  if (hp.value.port === 0) return err(`port 0 is not a resolver port`);
  return hp;
}

/** Parse a network in CIDR form (`127.0.0.0/8`, `::1/128`); a bare address is a host (/32, /128). */
export function parseCidr(text: string): Result<{ address: string; prefix: number; family: 4 | 6 }> {
  const [address = '', prefixText, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) {
    return err(`'${text}' is not a network; write ADDRESS/PREFIX, e.g. 192.0.2.0/24 or 2001:db8::/32`);
  }
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return err(`'${text}': prefix length must be 0–${max}`);
  return ok({ address, prefix, family: family === 4 ? 4 : 6 });
}

/** True for an RFC 1035 §2.3.1 host name (LDH labels, ≤ 63 octets each, ≤ 253 in all). */
export function isHostName(text: string): boolean {
  const name = text.replace(/\.$/, '');
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/**
 * A domain in lower-case A-labels (UTS #46 through the WHATWG URL host parser), or undefined
 * when it is not a valid domain name. Digit-only names are refused (the URL parser would make
 * an IPv4 address of them).
 */
export function domainToALabels(text: string): string | undefined {
  const bare = text.replace(/\.$/, '');
  if (bare.length === 0 || /[\s/?#@:[\]\\%]/.test(bare)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${bare}/`).hostname;
  } catch {
    return undefined;
  }
  if (/^[\d.]+$/.test(host)) return undefined;
  return isHostName(host) ? host.toLowerCase() : undefined;
}

/** An exception's end: `YYYY-MM-DD` (00:00 UTC of that day) or an ISO 8601 time with a zone. */
export function parseUntil(value: unknown): Result<{ text: string; ms: number }> {
  const hint = 'write a date YYYY-MM-DD or an ISO time such as 2027-03-01T12:00:00Z';
  if (typeof value !== 'string') return err(`expected a date, got ${describeValue(value)}; ${hint}`);
  const text = value.trim();
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(text);
  if (dateOnly === null && !isoTime) return err(`'${text}' is not a date; ${hint}`);
  const ms = dateOnly === null ? Date.parse(text) : Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms)) return err(`'${text}' is not a valid date`);
  if (dateOnly !== null) {
    const d = new Date(ms);
    if (d.getUTCDate() !== Number(dateOnly[3]) || d.getUTCMonth() + 1 !== Number(dateOnly[2])) {
      return err(`'${text}' is not a valid date`);
    }
  }
  return ok({ text, ms });
}

/** A short description of a parsed YAML value for messages ("a number", "a list", …). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text '${value}'`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${value}`;
  return typeof value;
}
