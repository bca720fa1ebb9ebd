#!/usr/bin/env node
// Runs every benchmark in dist/bench (files named *.bench.js), one after the other, each in its
// own process. `node scripts/run-bench.mjs wire` runs only those whose name contains "wire".
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = new URL('../dist/bench/', import.meta.url).pathname;
const filters = process.argv.slice(2);
let files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();
if (filters.length > 0) files = files.filter((f) => filters.some((p) => f.includes(p)));
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const res = spawnSync(process.execPath, [join(dir, f)], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
