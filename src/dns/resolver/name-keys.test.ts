/** suffixKeys: the keys of a name and its ancestors, escapes respected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Name } from '../wire/index.ts';
import { suffixKeys } from './name-keys.ts';

test('suffix keys are the lower-cased keys of every ancestor, longest first', () => {
  const cases: [string, string[]][] = [
    ['.', ['.']],
    ['Example.', ['example.', '.']],
    ['WWW.Example.COM.', ['www.example.com.', 'example.com.', 'com.', '.']],
    ['a\\.b.c.', ['a\\.b.c.', 'c.', '.']],
    ['x\\046y.z.', ['x\\.y.z.', 'z.', '.']],
    ['a\\\\.b.', ['a\\\\.b.', 'b.', '.']],
  ];
  for (const [text, want] of cases) {
    const name = Name.parse(text);
    const keys = suffixKeys(name);
    assert.deepEqual(keys, want, text);
    for (let k = 0; k <= name.labelCount; k++) assert.equal(keys[name.labelCount - k], name.suffix(k).key());
    assert.equal(suffixKeys(name), keys, 'memoized');
  }
});
