/**
 * RFC 1982 serial number arithmetic for the 32-bit RRSIG inception and expiration fields
 * (RFC 4034 §3.1.5: "all comparisons involving these fields MUST use 'Serial number
 * arithmetic', as defined in [RFC1982]"). `now` may be any number of seconds since the epoch;
 * it is reduced modulo 2^32, so validity windows keep working past 2106. Pure; no I/O.
 */

const MOD = 2 ** 32;
const HALF = 2 ** 31;

/** Reduce seconds to the 32-bit serial space. */
export function toSerial(seconds: number): number {
  return ((Math.floor(seconds) % MOD) + MOD) % MOD;
}

/**
 * Compare two serials (RFC 1982 §3.2): -1 when a < b, 0 when equal, 1 when a > b, and
 * undefined when they are exactly 2^31 apart (the comparison is undefined there).
 */
export function serialCompare(a: number, b: number): -1 | 0 | 1 | undefined {
  const x = toSerial(a);
  const y = toSerial(b);
  if (x === y) return 0;
  const d = (y - x + MOD) % MOD;
  if (d === HALF) return undefined;
  return d < HALF ? -1 : 1;
}

/** The forward distance from serial `a` to serial `b` (0 ≤ result < 2^32). */
export function serialDistance(a: number, b: number): number {
  return (toSerial(b) - toSerial(a) + MOD) % MOD;
}

/** Where `now` lies relative to an RRSIG validity window. */
export type WindowCheck = 'valid' | 'expired' | 'not-yet-valid' | 'inverted';

/**
 * RFC 4035 §5.3.1: "The validator's notion of the current time MUST be less than or equal to
 * the time listed in the RRSIG RR's Expiration field" and "greater than or equal to the time
 * listed in the RRSIG RR's Inception field". An inception after the expiration is 'inverted'.
 */
export function checkWindow(inception: number, expiration: number, now: number): WindowCheck {
  const span = serialCompare(inception, expiration);
  if (span === undefined || span > 0) return 'inverted';
  const afterStart = serialCompare(inception, now);
  if (afterStart === undefined || afterStart > 0) return 'not-yet-valid';
  const beforeEnd = serialCompare(now, expiration);
  if (beforeEnd === undefined || beforeEnd > 0) return 'expired';
  return 'valid';
}
