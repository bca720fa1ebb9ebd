#!/usr/bin/env node
// Runs node:test over every built test file (dist/**/*.test.js). Node 20 and Node 22+ differ in
// how `node --test DIR` expands directories, so the files are listed here explicitly.
// Extra arguments are passed on as filters: `node scripts/run-tests.mjs dns/wire` runs only the
// test files whose path contains "dns/wire".
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/', import.meta.url).pathname;
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passOn = process.argv.slice(2).filter((a) => a.startsWith('-'));

function walk(dir, out) {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (entry.endsWith('.test.js')) out.push(full);
  }
  return out;
}

let files;
try {
  files = walk(root, []).sort();
} catch {
  console.error('run-tests: dist/ not found; run `npm run build` first');
  process.exit(64);
}
if (filters.length > 0) files = files.filter((f) => filters.some((p) => relative(root, f).includes(p)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(64);
}
const res = spawnSync(process.execPath, ['--test', ...passOn, ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
