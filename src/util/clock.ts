/**
 * Time as an injected dependency. Pure layers (dns/wire, dns/dnssec, dane, policy) never read
 * the clock themselves: they take a `Clock` or a number of seconds so tests can pin time.
 */

/** A source of the current time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock; only composition roots (cli, daemon, lab) create it. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until moved; for tests and replayed scenarios. */
export class FixedClock implements Clock {
  #ms: number;
  constructor(ms: number) {
    this.#ms = ms;
  }
  now(): number {
    return this.#ms;
  }
  /** Move the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#ms += ms;
  }
  /** Set the clock to an absolute time. */
  set(ms: number): void {
    this.#ms = ms;
  }
}

/** Whole seconds since the epoch for a clock (what DNSSEC validity windows use). */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

/** Parse a DNSSEC-style timestamp `YYYYMMDDHHmmSS` (UTC) into seconds since the epoch. */
export function parseDnsTimestamp(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(ms)) return undefined;
  return Math.floor(ms / 1000);
}
