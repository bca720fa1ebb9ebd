/**
 * destinationPolicy: exact keys beat the longest `*.suffix`, exceptions apply until `until` and
 * are reported, expired ones fall back to the global TLS policy and are reported as expired.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destinationPolicy, findDestination, normalizeDestinationKey } from './destinations.ts';
import { parseConfig } from './load.ts';

const LOADED_AT = Date.parse('2026-06-01T00:00:00Z');
const { config } = parseConfig(
  `listen: [{ address: "127.0.0.1:25", mode: relay }]
delivery:
  per_destination: 4
  messages_per_connection: 50
  rate: { connections_per_minute: 30 }
  destinations:
    example.org: { tls: dane_require, concurrency: 2 }
    "*.example.org": { port: 2525 }
    "*.mx.example.org": { messages_per_connection: 5 }
    broken.example: { tls: encrypt, until: 2027-03-01, reason: "stale TLSA, told them", port: 26 }
    weak-mx.example: { insecure_mx: may, until: 2026-07-01, reason: "MX not signed yet" }
`,
  { file: 't.yaml', now: LOADED_AT, checkFiles: false },
);

test('matching: exact beats suffix, the longest suffix wins, a suffix does not match itself', () => {
  const want: [string, string | null][] = [
    ['example.org', 'example.org'],
    ['EXAMPLE.org.', 'example.org'],
    ['a.example.org', '*.example.org'],
    ['a.b.example.org', '*.example.org'],
    ['mx.example.org', '*.example.org'],
    ['a.mx.example.org', '*.mx.example.org'],
    ['notexample.org', null],
    ['example.net', null],
  ];
  for (const [domain, key] of want) {
    assert.equal(findDestination(config.delivery.destinations, domain)?.key ?? null, key, domain);
  }
});

test('settings: entry values override, the rest is global', () => {
  const p = destinationPolicy(config, 'example.org', LOADED_AT);
  assert.deepEqual(p, {
    domain: 'example.org',
    match: 'example.org',
    tls: 'dane_require',
    insecure_mx: 'dane',
    port: 25,
    concurrency: 2,
    messages_per_connection: 50,
    rate: { connections_per_minute: 30 },
    exception: null,
    expired: null,
  });
  const sub = destinationPolicy(config, 'a.mx.example.org', LOADED_AT);
  assert.equal(sub.tls, 'dane');
  assert.equal(sub.port, 25, 'the longest suffix entry is used alone, not merged with shorter ones');
  assert.equal(sub.messages_per_connection, 5);
  assert.equal(destinationPolicy(config, 'other.example', LOADED_AT).match, null);
});

test('a DANE exception applies before until and is flagged', () => {
  const p = destinationPolicy(config, 'broken.example', Date.parse('2027-02-28T23:59:59Z'));
  assert.equal(p.tls, 'require');
  assert.equal(p.port, 26);
  assert.deepEqual(p.exception, { reason: 'stale TLSA, told them', until: '2027-03-01' });
  assert.equal(p.expired, null);
});

test('an expired exception: global TLS policy again, flagged expired, other settings kept', () => {
  const p = destinationPolicy(config, 'broken.example', Date.parse('2027-03-01T00:00:00Z'));
  assert.equal(p.tls, 'dane');
  assert.equal(p.insecure_mx, 'dane');
  assert.equal(p.port, 26);
  assert.equal(p.exception, null);
  assert.deepEqual(p.expired, { reason: 'stale TLSA, told them', until: '2027-03-01' });
  const mx = destinationPolicy(config, 'weak-mx.example', Date.parse('2026-08-01T00:00:00Z'));
  assert.equal(mx.insecure_mx, 'dane');
  assert.deepEqual(mx.expired, { reason: 'MX not signed yet', until: '2026-07-01' });
  const before = destinationPolicy(config, 'weak-mx.example', LOADED_AT);
  assert.equal(before.insecure_mx, 'may');
});

test('keys normalise to lower-case A-labels', () => {
  assert.equal(normalizeDestinationKey('*.Bücher.Example.'), '*.xn--bcher-kva.example');
  assert.equal(normalizeDestinationKey('**.example'), undefined);
  assert.equal(normalizeDestinationKey('a.*.example'), undefined);
});
