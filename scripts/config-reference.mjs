#!/usr/bin/env node
// Rewrites the configuration reference table in README.md (between the config-reference
// markers) from the schema's descriptions and defaults. Run after `npm run build`.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference } from '../dist/src/config/index.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const re = /(<!-- config-reference:start -->\n)[\s\S]*?(<!-- config-reference:end -->)/;
if (!re.test(readme)) {
  console.error('config-reference: README.md has no config-reference markers');
  process.exit(1);
}
writeFileSync(
  file,
  readme.replace(re, (_, start, end) => `${start}${renderConfigReference()}${end}`),
);
