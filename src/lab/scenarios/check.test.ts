/**
 * Checking a delivery against a scenario: transcript patterns (`…`, `{port}`, `{ip:HOST}`,
 * literal regex characters), lines in order and forbidden lines, and the outcome mapping of
 * `lookup-rcpt` (accepted / rejected / deferred, `Rejected:` for `Bounced:`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deliveryProblems,
  linePattern,
  recipientOf,
  transcriptProblems,
  verifyOutcome,
  type ObservedDelivery,
} from './check.ts';
import { deliveredDane } from './kit.ts';
import type { Scenario } from './types.ts';

const CTX = { port: 2525, addressOf: (h: string) => (h === 'mx.a.test' ? '127.9.20.1' : undefined) };

test('transcript patterns', () => {
  const cases: { pattern: string; line: string; want: boolean }[] = [
    {
      pattern: 'Connecting to [{ip:mx.a.test}]:{port} (DNSSEC)',
      line: 'Connecting to [127.9.20.1]:2525 (DNSSEC)',
      want: true,
    },
    {
      pattern: 'Connecting to [{ip:mx.a.test}]:{port} (DNSSEC)',
      line: 'Connecting to [127.9.20.1]:2525',
      want: false,
    },
    {
      pattern: 'Connecting to [{ip:mx.a.test}]:{port}',
      line: 'Connecting to [127.9.20.1]:2525 (DNSSEC)',
      want: false,
    },
    {
      pattern: 'Connecting to [{ip:mx.a.test}]:{port}',
      line: 'Connecting to [127.9.20.12]:2525',
      want: false,
    },
    {
      pattern: 'DANE: validation failed: …',
      line: 'DANE: validation failed: no TLSA record matches',
      want: true,
    },
    { pattern: 'X.509: …', line: 'X5509: /CN=x', want: false },
    { pattern: '… (DNSSEC)', line: 'Connecting to [::1]:25 (DNSSEC)', want: true },
    { pattern: '{ip:unknown.test}', line: '127.0.0.1', want: false },
  ];
  for (const c of cases)
    assert.equal(linePattern(c.pattern, CTX).test(c.line), c.want, `${c.pattern} vs ${c.line}`);
});

test('transcript lines must appear in order; forbidden lines must not appear', () => {
  const log = [
    'Connecting to [127.9.20.1]:2525 (DNSSEC)',
    'X.509: /CN=mx.a.test',
    'DANE: validated successfully',
  ];
  assert.deepEqual(
    transcriptProblems(log, { log: ['Connecting to …', 'DANE: validated successfully'] }, CTX),
    [],
  );
  const reversed = transcriptProblems(log, { log: ['DANE: validated successfully', 'Connecting to …'] }, CTX);
  assert.equal(reversed.length, 1);
  assert.match(reversed[0] ?? '', /lacks "Connecting to …"/);
  const forbidden = transcriptProblems(log, { log: [], notLog: ['X.509: …'] }, CTX);
  assert.deepEqual(forbidden, ['transcript has forbidden line "X.509: /CN=mx.a.test"']);
});

const SCENARIO: Scenario = {
  id: 'a',
  title: 'a',
  domain: 'a.test',
  zones: [],
  mx: 'null',
  hosts: [],
  localPart: 'postmaster',
  expect: { outcome: 'bounced', enhanced: '5.1.10', tls: null, landsOn: null, log: ['Bounced: 5.1.10 …'] },
};

test('outcomes, status codes and TLS levels are compared; lookup-rcpt uses its own words', () => {
  assert.equal(recipientOf(SCENARIO), 'postmaster@a.test');
  assert.deepEqual(
    [verifyOutcome('delivered'), verifyOutcome('bounced'), verifyOutcome('deferred')],
    ['accepted', 'rejected', 'deferred'],
  );
  const sent: ObservedDelivery = {
    outcome: 'bounced',
    enhanced: '5.1.10',
    tls: null,
    log: ['Bounced: 5.1.10 null MX'],
  };
  assert.deepEqual(deliveryProblems(sent, SCENARIO, CTX), []);
  const verified: ObservedDelivery = {
    outcome: 'rejected',
    enhanced: '5.1.10',
    tls: null,
    log: ['Rejected: 5.1.10 null MX'],
  };
  assert.deepEqual(deliveryProblems(verified, SCENARIO, { ...CTX, verify: true }), []);
  assert.deepEqual(deliveryProblems(sent, SCENARIO, { ...CTX, verify: true }), [
    'outcome bounced, expected rejected',
    'transcript lacks "Rejected: 5.1.10 …" (after line 0)',
  ]);
  const wrong: ObservedDelivery = { outcome: 'deferred', enhanced: '4.4.3', tls: 'none', log: [] };
  assert.deepEqual(deliveryProblems(wrong, SCENARIO, CTX), [
    'outcome deferred, expected bounced',
    'enhanced status 4.4.3, expected 5.1.10',
    'tls none, expected null',
    'transcript lacks "Bounced: 5.1.10 …" (after line 0)',
  ]);
});

test('a DANE expectation needs the DNSSEC-marked connection and the DANE line', () => {
  const s: Scenario = { ...SCENARIO, expect: deliveredDane('mx.a.test') };
  const good: ObservedDelivery = {
    outcome: 'delivered',
    tls: 'dane',
    log: [
      'Connecting to [127.9.20.1]:2525 (DNSSEC)',
      'X.509: /CN=mx.a.test',
      'DANE: validated successfully',
      'Connection is now using TLS',
    ],
  };
  assert.deepEqual(deliveryProblems(good, s, CTX), []);
  const noDnssec = { ...good, log: good.log.map((l) => l.replace(' (DNSSEC)', '')) };
  assert.equal(deliveryProblems(noDnssec, s, CTX).length, 1);
});
