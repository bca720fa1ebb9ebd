/**
 * The README documents the operator tools: every finding code with the severity the catalogue
 * gives it, and every option of `tlsa`, `check` and `web`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { FINDINGS } from '../../src/check/index.ts';
import { checkCommand } from '../../src/cli/commands/check.ts';
import { tlsaCommand } from '../../src/cli/commands/tlsa.ts';
import { webCommand } from '../../src/cli/commands/web.ts';

const readme = readFile(new URL('../../../README.md', import.meta.url), 'utf8');

test('the README lists every finding code with its severity', async () => {
  const text = await readme;
  for (const [code, kind] of Object.entries(FINDINGS)) {
    assert.ok(text.includes(`| \`${code}\` | ${kind.severity}`), `README row for ${code} (${kind.severity})`);
  }
});

test('the README documents every option of tlsa, check and web', async () => {
  const text = await readme;
  for (const cmd of [tlsaCommand, checkCommand, webCommand]) {
    assert.ok(text.includes(`\`${cmd.name} `), `README mentions ${cmd.name}`);
    for (const name of Object.keys(cmd.options))
      assert.ok(text.includes(`\`--${name}`), `README documents ${cmd.name} --${name}`);
  }
});
