import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TIMEOUTS,
  STATES,
  State,
  isSuccessIn,
  resolveTimeouts,
  timeoutFor,
  uniformTimeouts,
} from './session.ts';

test('state table: every state has a description and a known timeout', () => {
  assert.deepEqual(Object.keys(STATES).sort(), Object.values(State).sort());
  for (const [state, info] of Object.entries(STATES)) {
    assert.ok(info.description.length > 0, state);
    assert.ok(info.timeout in DEFAULT_TIMEOUTS, state);
  }
});

test('default timeouts follow RFC 5321 §4.5.3.2 (plus connect, TLS, QUIT)', () => {
  const want: [State, number][] = [
    ['CONNECT', 30_000],
    ['GREETING', 300_000],
    ['TLS_HANDSHAKE', 60_000],
    ['MAIL', 300_000],
    ['RCPT', 300_000],
    ['DATA', 120_000],
    ['DATA_BODY', 600_000],
    ['QUIT', 30_000],
  ];
  for (const [state, ms] of want) assert.equal(timeoutFor(state, DEFAULT_TIMEOUTS), ms, state);
  assert.equal(DEFAULT_TIMEOUTS.dataBlock, 180_000);
});

test('success classes per state', () => {
  const table: [State, number, boolean][] = [
    ['GREETING', 220, true],
    ['GREETING', 554, false],
    ['DATA', 354, true],
    ['DATA', 250, false],
    ['DATA_BODY', 250, true],
    ['RCPT', 251, true],
    ['RCPT', 450, false],
    ['CONNECT', 220, false],
  ];
  for (const [state, code, want] of table) assert.equal(isSuccessIn(state, code), want, `${state} ${code}`);
});

test('resolveTimeouts: overrides win, undefined keeps the default, bad values are refused', () => {
  const t = resolveTimeouts({ mail: 5, quit: 0 });
  assert.equal(t.mail, 5);
  assert.equal(t.quit, 0);
  assert.equal(t.rcpt, DEFAULT_TIMEOUTS.rcpt);
  assert.throws(() => resolveTimeouts({ rcpt: Number.NaN }), /rcpt must be a non-negative number/);
  assert.throws(
    () => resolveTimeouts({ data: -1 }),
    (e: unknown) => (e as { code?: string }).code === 'SMTP_ERR_ARGUMENT',
  );
});

test('uniformTimeouts sets every timeout of the table, and only those', () => {
  const t = uniformTimeouts(1234);
  assert.deepEqual(Object.keys(t).sort(), Object.keys(DEFAULT_TIMEOUTS).sort());
  for (const [key, ms] of Object.entries(t)) assert.equal(ms, 1234, key);
  for (const state of Object.values(State)) assert.equal(timeoutFor(state, t), 1234, state);
});
