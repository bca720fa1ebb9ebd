/**
 * When a deferred recipient is tried again (DESIGN.md `queue.retry`): the configured intervals in
 * order, then every last interval, each jittered by ±10 % so that recipients deferred together
 * do not come back together. Randomness is injected. Pure.
 */
import type { Random } from '../util/index.ts';

/** The queue's retry settings, in milliseconds. */
export interface RetrySchedule {
  /** Intervals between attempts: after the 1st attempt the 1st interval, … then the last one. */
  intervals: readonly number[];
  /** A recipient still deferred after this long in the queue (time held not counted) bounces. */
  maxAgeMs: number;
  /** One delay DSN after this long in the queue, or null for none. */
  delayWarningMs: number | null;
}

/** ±10 %: enough to spread a burst, small enough to keep the schedule recognisable. */
const JITTER = 0.1;

/** The interval after `attempts` attempts (1 = after the first), jittered. */
export function retryInterval(schedule: RetrySchedule, attempts: number, random: Random): number {
  const list = schedule.intervals;
  const base = list[Math.min(Math.max(attempts, 1), list.length) - 1] ?? 60_000;
  const spread = Math.round(base * JITTER);
  if (spread === 0) return base;
  return base - spread + random.int(2 * spread + 1);
}
