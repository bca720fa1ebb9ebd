/**
 * The address guard of the web checker: loopback, private, link-local, unique-local, CGNAT,
 * multicast and unspecified addresses are refused, IPv4-mapped IPv6 is judged as IPv4, public
 * unicast passes (table-driven, one `want` per case).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nonPublicRange } from './addresses.ts';

const CASES: readonly [string, string | undefined][] = [
  ['127.0.0.1', 'loopback'],
  ['127.110.20.1', 'loopback'],
  ['10.1.2.3', 'private (RFC 1918)'],
  ['172.16.0.1', 'private (RFC 1918)'],
  ['172.31.255.255', 'private (RFC 1918)'],
  ['172.32.0.1', undefined],
  ['192.168.1.1', 'private (RFC 1918)'],
  ['169.254.10.10', 'link-local (RFC 3927)'],
  ['100.64.0.1', 'shared carrier-grade NAT (RFC 6598)'],
  ['100.128.0.1', undefined],
  ['0.0.0.0', '"this network" (RFC 1122)'],
  ['224.0.0.251', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['192.0.2.1', undefined],
  ['8.8.8.8', undefined],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'link-local'],
  ['fd00::1', 'unique local (RFC 4193)'],
  ['fc12:3456::1', 'unique local (RFC 4193)'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:10.0.0.1', 'private (RFC 1918)'],
  ['::ffff:192.0.2.1', undefined],
  ['2001:db8::25', undefined],
  ['2a00:1450:4001::1b', undefined],
  ['mx.example.org', 'not an IP address'],
];

for (const [address, want] of CASES) {
  test(`nonPublicRange(${address}) = ${String(want)}`, () => {
    assert.equal(nonPublicRange(address), want);
  });
}
