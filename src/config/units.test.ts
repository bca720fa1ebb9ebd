/** The value syntaxes of the configuration file, case by case. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  domainToALabels,
  formatDuration,
  parseCidr,
  parseDuration,
  parseHostPort,
  parseResolver,
  parseSize,
  parseUntil,
} from './units.ts';

test('durations', () => {
  const want: [unknown, number | RegExp][] = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['5d', 432_000_000],
    ['2w', 1_209_600_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['0s', 0],
    [30, /^30 has no unit; write it with a unit/],
    ['30', /^'30' has no unit/],
    ['5 m', /is not a duration/],
    ['5M', /is not a duration/],
    ['-5m', /is not a duration/],
    [true, /expected a duration, got true/],
    [['5m'], /got a list/],
  ];
  for (const [input, expected] of want) {
    const r = parseDuration(input);
    if (typeof expected === 'number') assert.deepEqual(r, { ok: true, value: expected }, String(input));
    else assert.ok(!r.ok && expected.test(r.error), `${String(input)}: ${JSON.stringify(r)}`);
  }
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1_209_600_250), '2w250ms');
});

test('sizes', () => {
  const want: [unknown, number | undefined][] = [
    ['25MB', 25_000_000],
    ['10MiB', 10_485_760],
    ['1kb', 1000],
    ['1KiB', 1024],
    ['2GB', 2_000_000_000],
    ['1.5MB', 1_500_000],
    ['512', 512],
    [1000, 1000],
    ['512B', 512],
    [-1, undefined],
    [1.5, undefined],
    ['25 parsecs', undefined],
    ['MB', undefined],
  ];
  for (const [input, expected] of want) {
    const r = parseSize(input);
    if (expected === undefined) assert.equal(r.ok, false, String(input));
    else assert.deepEqual(r, { ok: true, value: expected }, String(input));
  }
});

test('listen and resolver addresses', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:25'), { ok: true, value: { host: '127.0.0.1', port: 25 } });
  assert.deepEqual(parseHostPort('[::1]:587'), { ok: true, value: { host: '::1', port: 587 } });
  assert.deepEqual(parseHostPort('0.0.0.0:0'), { ok: true, value: { host: '0.0.0.0', port: 0 } });
  for (const bad of ['::1:25', '[127.0.0.1]:25', 'localhost:25', '127.0.0.1', '127.0.0.1:65536', '[::1]']) {
    assert.equal(parseHostPort(bad).ok, false, bad);
  }
  assert.deepEqual(parseResolver('192.0.2.1'), { ok: true, value: { host: '192.0.2.1', port: 53 } });
  assert.deepEqual(parseResolver('::1'), { ok: true, value: { host: '::1', port: 53 } });
  assert.deepEqual(parseResolver('[::1]'), { ok: true, value: { host: '::1', port: 53 } });
  assert.deepEqual(parseResolver('[::1]:5353'), { ok: true, value: { host: '::1', port: 5353 } });
  assert.equal(parseResolver('127.0.0.1:0').ok, false);
  assert.equal(parseResolver('resolver.example').ok, false);
});

test('networks', () => {
  assert.deepEqual(parseCidr('192.0.2.0/24'), {
    ok: true,
    value: { address: '192.0.2.0', prefix: 24, family: 4 },
  });
  assert.deepEqual(parseCidr('2001:db8::/32'), {
    ok: true,
    value: { address: '2001:db8::', prefix: 32, family: 6 },
  });
  assert.deepEqual(parseCidr('192.0.2.7'), {
    ok: true,
    value: { address: '192.0.2.7', prefix: 32, family: 4 },
  });
  for (const bad of [
    '192.0.2.0/33',
    '::1/129',
    '192.0.2.0/24/1',
    'example.org/24',
    '192.0.2.0/x',
    '10.0.0.0/',
  ]) {
    assert.equal(parseCidr(bad).ok, false, bad);
  }
});

test('domains to A-labels', () => {
  assert.equal(domainToALabels('Example.ORG.'), 'example.org');
  assert.equal(domainToALabels('bücher.example'), 'xn--bcher-kva.example');
  for (const bad of ['', '123', 'a b.example', 'a@b', '[192.0.2.1]', 'x'.repeat(64) + '.example']) {
    assert.equal(domainToALabels(bad), undefined, bad);
  }
});

test('exception dates', () => {
  assert.deepEqual(parseUntil('2027-03-01'), {
    ok: true,
    value: { text: '2027-03-01', ms: Date.UTC(2027, 2, 1) },
  });
  assert.deepEqual(parseUntil('2027-03-01T12:30:00+02:00'), {
    ok: true,
    value: { text: '2027-03-01T12:30:00+02:00', ms: Date.UTC(2027, 2, 1, 10, 30) },
  });
  for (const bad of ['2027-02-29', '2027-13-01', '01.03.2027', '2027-03-01T12:00', 20270301, 'tomorrow']) {
    assert.equal(parseUntil(bad).ok, false, String(bad));
  }
});
