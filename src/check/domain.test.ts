/**
 * What the checker accepts as a domain: names (IDNA converted to A-labels, trailing dot and
 * spaces ignored); never an address literal, a mail address, a TLD or junk — each refused with a
 * one-line reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCheckDomain } from './domain.ts';
import { CheckError } from './types.ts';

test('domain names are accepted, in A-labels', () => {
  assert.equal(parseCheckDomain('example.org').toString(), 'example.org.');
  assert.equal(parseCheckDomain(' Example.ORG. ').toString().toLowerCase(), 'example.org.');
  assert.equal(parseCheckDomain('bücher.example').toString(), 'xn--bcher-kva.example.');
});

const REFUSED: readonly [string, RegExp][] = [
  ['', /no domain given/],
  ['192.0.2.1', /address literal/],
  ['[192.0.2.1]', /address literal/],
  ['[IPv6:2001:db8::1]', /address literal/],
  ['2001:db8::1', /address literal/],
  ['user@example.org', /mail address/],
  ['org', /top-level domain/],
  ['exa mple.org', /not a valid domain name/],
  ['a'.repeat(400), /too long/],
  [`${'a'.repeat(64)}.org`, /not a valid domain name/],
];

for (const [text, re] of REFUSED) {
  test(`refused: ${JSON.stringify(text.slice(0, 30))}`, () => {
    assert.throws(
      () => parseCheckDomain(text),
      (e: unknown) =>
        e instanceof CheckError &&
        e.code === 'CHECK_ERR_DOMAIN' &&
        re.test(e.message) &&
        !e.message.includes('\n'),
    );
  });
}
