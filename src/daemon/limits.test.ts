/** Slow start, rate limits over a sliding minute and the connection window, with pinned times. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INITIAL_WINDOW, Limiter } from './limits.ts';

test('slow start: begins at 2, grows by one per success up to the maximum, halves on failure', () => {
  const l = new Limiter('example.org');
  assert.equal(l.window, INITIAL_WINDOW);
  assert.equal(l.freeConnections(10), 2);
  for (let i = 0; i < 20; i++) l.succeeded(10);
  assert.equal(l.window, 10);
  l.failed();
  assert.equal(l.window, 5);
  l.failed();
  l.failed();
  l.failed();
  assert.equal(l.window, 1, 'never below one connection');
  l.running = 1;
  assert.equal(l.freeConnections(10), 0);
  assert.equal(l.freeConnections(0), 0, 'a destination concurrency caps the window');
});

test('the destination concurrency caps the window even when slow start allows more', () => {
  const l = new Limiter('example.org');
  for (let i = 0; i < 5; i++) l.succeeded(20);
  assert.equal(l.window, 7);
  assert.equal(l.freeConnections(3), 3);
});

test('messages per minute: the allowance shrinks with use and frees up a minute later', () => {
  const l = new Limiter('example.org');
  const rate = { messages_per_minute: 5 };
  assert.equal(l.allowance(0, rate).messages, 5);
  l.took(0, 3);
  assert.equal(l.allowance(1000, rate).messages, 2);
  l.took(1000, 2);
  assert.deepEqual(l.allowance(2000, rate), { messages: 0, retryAt: 60_000 });
  assert.equal(l.allowance(60_001, rate).messages, 3, 'the first three left the window');
});

test('connections per minute: no new connection until one leaves the window', () => {
  const l = new Limiter('example.org');
  const rate = { connections_per_minute: 2 };
  l.took(0, 10);
  l.took(500, 10);
  assert.deepEqual(l.allowance(1000, rate), { messages: 0, retryAt: 60_000 });
  assert.equal(l.allowance(60_000, rate).messages, Number.POSITIVE_INFINITY);
});

test('no rate limit: unlimited', () => {
  const l = new Limiter('example.org');
  for (let i = 0; i < 1000; i++) l.took(i, 1);
  assert.equal(l.allowance(1000, null).messages, Number.POSITIVE_INFINITY);
});

test('messages per minute stays exact over a long busy stretch (the window is pruned, not refiltered)', () => {
  const l = new Limiter('example.org');
  const rate = { messages_per_minute: 100_000 };
  // One message every millisecond for two minutes, a second one every tenth millisecond.
  for (let t = 1; t <= 120_000; t++) {
    l.carried(t, t % 10 === 0 ? 2 : 1);
    if (t % 7_919 === 0) {
      // In the window: (t - 60 000, t] — 60 000 ms, 6 000 of them with two messages.
      const inWindow = Math.min(t, 60_000) + Math.floor(t / 10) - Math.floor(Math.max(0, t - 60_000) / 10);
      assert.equal(l.reuseAllowance(t, rate), 100_000 - inWindow, `at ${t} ms`);
    }
  }
  assert.equal(l.reuseAllowance(180_000, rate), 100_000, 'a quiet minute later: all free again');
});

test('a clock that steps back keeps the limit (it leaves the window late, never early)', () => {
  const l = new Limiter('example.org');
  const rate = { messages_per_minute: 3 };
  l.took(10_000, 1);
  l.took(5_000, 1); // the clock stepped back five seconds
  assert.equal(l.allowance(60_000, rate).messages, 1);
  assert.equal(l.allowance(65_000, rate).messages, 1, 'the 5 000 ms message waits behind the 10 000 ms one');
  assert.equal(l.allowance(70_001, rate).messages, 3);
});
