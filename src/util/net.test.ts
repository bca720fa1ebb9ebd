/**
 * The one loopback test of the code base: IPv4 127.0.0.0/8, IPv6 ::1 in all its spellings, and
 * 127.0.0.0/8 written IPv4-mapped; never a malformed literal, a host name or a zone index. The
 * table holds the spellings on which the three former copies (resolver, lab receivers, lab
 * authority) disagreed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatServer, isLoopback } from './net.ts';

const CASES: { address: string; want: boolean }[] = [
  { address: '127.0.0.1', want: true },
  { address: '127.53.9.1', want: true },
  { address: '127.255.255.255', want: true },
  { address: '::1', want: true },
  { address: '0:0:0:0:0:0:0:1', want: true },
  { address: '0000:0000:0000:0000:0000:0000:0000:0001', want: true },
  { address: '::0:1', want: true },
  { address: '::ffff:127.0.0.1', want: true },
  { address: '::FFFF:127.1.2.3', want: true },
  { address: '::ffff:7f00:1', want: true },
  { address: '0:0:0:0:0:ffff:7f35:901', want: true },
  { address: '128.0.0.1', want: false },
  { address: '10.127.0.1', want: false },
  { address: '127.300.0.1', want: false },
  { address: '127.1', want: false },
  { address: '127.0.0.1.', want: false },
  { address: 'localhost', want: false },
  { address: '', want: false },
  { address: '::', want: false },
  { address: '::2', want: false },
  { address: '1::1', want: false },
  { address: '::1%lo', want: false },
  { address: '::ffff:128.0.0.1', want: false },
  { address: '::ffff:0:127.0.0.1', want: false },
  { address: '::127.0.0.1', want: false },
  { address: '64:ff9b::127.0.0.1', want: false },
  { address: '[::1]', want: false },
];

for (const c of CASES) {
  test(`isLoopback(${JSON.stringify(c.address)}) is ${c.want}`, () => {
    assert.equal(isLoopback(c.address), c.want);
  });
}

test('formatServer brackets IPv6 literals only', () => {
  assert.equal(formatServer({ address: '192.0.2.1', port: 53 }), '192.0.2.1:53');
  assert.equal(formatServer({ address: '2001:db8::1', port: 5353 }), '[2001:db8::1]:5353');
  assert.equal(formatServer({ address: 'fe80::1%eth0', port: 53 }), '[fe80::1%eth0]:53');
});
