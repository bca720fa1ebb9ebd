/**
 * Where the external test vectors live. `test/vectors/data/` is a verbatim copy of
 * ../shared/vectors (written by others — see its README.md and licences), committed so a clean
 * clone can run them; `vectors-copy.test.ts` checks the copy still equals the original whenever
 * the original is present. Never edit a file under test/vectors/data/.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (works from src/ and from dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above test/helpers');
    dir = up;
  }
  return dir;
}

/** Absolute path of a file or folder of the vectors, e.g. `vectorPath('unbound-testdata/val_nx.rpl')`. */
export function vectorPath(relative = ''): string {
  return join(repoRoot(), 'test/vectors/data', relative);
}

/** The original ../shared/vectors beside the checkout, when it is there. */
export function originalVectorsDir(): string | undefined {
  const candidates = [process.env.DANE_MTA_VECTORS, resolve(repoRoot(), '../shared/vectors')];
  return candidates.find((d): d is string => d !== undefined && existsSync(join(d, 'README.md')));
}
