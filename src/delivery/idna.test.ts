/** Destination domains in A-labels (IDNA, UTS #46 via the WHATWG URL host parser). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toALabels } from './names.ts';

const cases: [string, string | undefined][] = [
  ['example.org', 'example.org.'],
  ['Example.ORG.', 'example.org.'],
  ['bücher.example', 'xn--bcher-kva.example.'],
  ['例え.テスト', 'xn--r8jz45g.xn--zckzah.'],
  ['', undefined],
  ['exa mple.org', undefined],
  ['123', undefined], // would become the IPv4 address 0.0.0.123
  ['a..b', undefined],
];

for (const [input, want] of cases) {
  test(`toALabels(${JSON.stringify(input)})`, () => {
    assert.equal(toALabels(input)?.toString(), want);
  });
}
