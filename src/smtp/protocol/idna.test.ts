/** domainToAscii: lower-case A-labels, or undefined for what is not a domain name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMailbox } from './address.ts';
import { destinationKey, domainToAscii } from './idna.ts';

test('domainToAscii', () => {
  const cases: [string, string | undefined][] = [
    ['example.org', 'example.org'],
    ['Example.ORG.', 'example.org'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['XN--BCHER-KVA.example', 'xn--bcher-kva.example'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
    ['', undefined],
    ['exa mple.org', undefined],
    ['123', undefined],
    ['a..b', undefined],
    ['a/b.example', undefined],
    ['user:pw@a.example', undefined],
    [`${'a'.repeat(64)}.example`, undefined],
  ];
  for (const [input, want] of cases) assert.equal(domainToAscii(input), want, input);
});

test('destinationKey', () => {
  assert.equal(destinationKey(parseMailbox('a@Bücher.Example')), 'xn--bcher-kva.example');
  assert.equal(destinationKey(parseMailbox('a@[192.0.2.1]')), '[192.0.2.1]');
  assert.equal(destinationKey(parseMailbox('a@[IPv6:2001:DB8::1]')), '[IPv6:2001:db8::1]');
  assert.equal(destinationKey(parseMailbox('a@[tag:x]')), undefined);
});
