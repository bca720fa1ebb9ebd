/**
 * Queue ids: 20 characters of Crockford base32 (digits and upper-case letters without I, L, O,
 * U) — 10 of arrival time in milliseconds, then 10 random — so that ids sort by arrival (to the
 * millisecond) and never collide in practice (50 random bits per millisecond). The time and the
 * randomness are passed in; this module reads no clock.
 */
import type { Random } from '../util/index.ts';
import { QueueError } from './types.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 10 base32 digits hold 50 bits: milliseconds until the year 37648. */
const TIME_LIMIT = 2 ** 50;

/** A new queue id for a message that arrives at `now` (ms since the epoch). */
export function newQueueId(now: number, random: Random): string {
  if (!Number.isSafeInteger(now) || now < 0 || now >= TIME_LIMIT) {
    throw new QueueError('QUEUE_ERR_ARGUMENT', `queue id: time out of range: ${now}`);
  }
  let time = '';
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET.charAt(rest % 32) + time;
    rest = Math.floor(rest / 32);
  }
  let tail = '';
  for (let i = 0; i < 10; i++) tail += ALPHABET.charAt(random.int(32));
  return time + tail;
}

/** The arrival time (ms) encoded in a queue id, or undefined when `id` is not one. */
export function queueIdTime(id: string): number | undefined {
  if (!/^[0-9A-HJKMNP-TV-Z]{20}$/.test(id)) return undefined;
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}
