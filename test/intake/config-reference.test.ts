/**
 * The README's configuration reference is the schema's own: the table between the
 * `config-reference` markers must equal renderConfigReference() (regenerate it with
 * `npm run build && node scripts/config-reference.mjs`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderConfigReference } from '../../src/config/index.ts';

test('README configuration reference matches the schema', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const m = /<!-- config-reference:start -->\n([\s\S]*?)<!-- config-reference:end -->/.exec(readme);
  assert.ok(m !== null, 'README has the config-reference markers');
  assert.equal(m[1], renderConfigReference(), 'run: npm run build && node scripts/config-reference.mjs');
});
