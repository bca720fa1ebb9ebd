/** The retry schedule and the requeue decision (queue lifetime, delay notice) as tables. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/index.ts';
import { decideRequeue, type RequeueFacts } from './classify.ts';
import { retryInterval, type RetrySchedule } from './schedule.ts';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const schedule: RetrySchedule = {
  intervals: [5 * MIN, 10 * MIN, 1 * H],
  maxAgeMs: 5 * D,
  delayWarningMs: 4 * H,
};

test('intervals in order, then the last one again, each within ±10 %', () => {
  const random = seededRandom(3);
  const seen = new Map<number, number[]>();
  for (let attempts = 1; attempts <= 6; attempts++) {
    for (let i = 0; i < 200; i++) {
      const got = retryInterval(schedule, attempts, random);
      seen.set(attempts, [...(seen.get(attempts) ?? []), got]);
    }
  }
  const base = [5 * MIN, 10 * MIN, H, H, H, H];
  base.forEach((b, i) => {
    const values = seen.get(i + 1) ?? [];
    assert.ok(
      values.every((v) => v >= b * 0.9 && v <= b * 1.1),
      `attempt ${i + 1} within ±10 % of ${b}`,
    );
    assert.ok(new Set(values).size > 50, `attempt ${i + 1} is jittered`);
  });
});

const defer = {
  kind: 'defer' as const,
  enhanced: '4.7.5' as const,
  reason: 'DANE authentication failed: no match',
};
const facts = (over: Partial<RequeueFacts>): RequeueFacts => ({
  disposition: defer,
  received: 0,
  heldMs: 0,
  now: 10 * MIN,
  nextBySchedule: 20 * MIN,
  maxAgeMs: schedule.maxAgeMs,
  delayWarningMs: schedule.delayWarningMs,
  delayWarned: false,
  ...over,
});

test('a young deferral is retried at the scheduled time, no delay notice yet', () => {
  assert.deepEqual(decideRequeue(facts({})), {
    kind: 'retry',
    at: 20 * MIN,
    warnDelay: false,
    willRetryUntil: 5 * D,
  });
});

test('after delay_warning one delay notice is asked for, and only once', () => {
  const r = decideRequeue(facts({ now: 4 * H, nextBySchedule: 5 * H }));
  assert.equal(r.kind === 'retry' && r.warnDelay, true);
  const again = decideRequeue(facts({ now: 6 * H, nextBySchedule: 7 * H, delayWarned: true }));
  assert.equal(again.kind === 'retry' && again.warnDelay, false);
  const off = decideRequeue(facts({ now: 6 * H, delayWarningMs: null }));
  assert.equal(off.kind === 'retry' && off.warnDelay, false);
});

test('the next attempt is never later than the expiry', () => {
  const r = decideRequeue(facts({ now: 5 * D - 10 * MIN, nextBySchedule: 5 * D + 50 * MIN }));
  assert.deepEqual(r, { kind: 'retry', at: 5 * D, warnDelay: true, willRetryUntil: 5 * D });
});

test('past max_age a DANE deferral bounces 5.4.7 with the last reason (never earlier)', () => {
  const r = decideRequeue(facts({ now: 5 * D }));
  assert.equal(r.kind, 'expire');
  assert.equal(r.disposition.enhanced, '5.4.7');
  assert.match(
    r.disposition.reason,
    /^message expired after 5d in the queue; last error: DANE authentication failed/,
  );
  assert.equal(decideRequeue(facts({ now: 5 * D - 1 })).kind, 'retry');
});

test('time spent held does not count towards max_age', () => {
  const held = facts({ now: 6 * D, heldMs: 2 * D, nextBySchedule: 6 * D + H });
  assert.deepEqual(decideRequeue(held), {
    kind: 'retry',
    at: 6 * D + H,
    warnDelay: true,
    willRetryUntil: 7 * D,
  });
});
