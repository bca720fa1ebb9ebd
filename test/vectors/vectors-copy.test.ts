/**
 * The committed copy of the external vectors (test/vectors/data) must stay byte-identical to the
 * original ../shared/vectors: nobody edits someone else's answers. Skipped, with a message, when
 * the original is not beside this checkout (a clean clone elsewhere).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { originalVectorsDir, vectorPath } from '../helpers/vectors.ts';

function files(dir: string, root = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const full = join(dir, e);
    if (statSync(full).isDirectory()) files(full, root, out);
    else out.push(relative(root, full));
  }
  return out.sort();
}

test('test/vectors/data is a verbatim copy of ../shared/vectors', (t) => {
  const original = originalVectorsDir();
  if (original === undefined) {
    t.skip('../shared/vectors is not beside this checkout; nothing to compare with');
    return;
  }
  const copy = vectorPath();
  const want = files(original);
  assert.deepEqual(files(copy), want);
  for (const f of want) {
    assert.ok(
      readFileSync(join(copy, f)).equals(readFileSync(join(original, f))),
      `${f} differs from the original`,
    );
  }
  console.log(`vectors copy: ${want.length} files identical to ${original}`);
});
