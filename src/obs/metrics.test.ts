/**
 * The queue store's cost in /metrics: `dane_mta_store_statements_total` and
 * `dane_mta_store_commits_total` follow the store's `counters()` at each scrape (what the
 * scale-out benchmark divides by delivered messages), and stay monotonic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics } from './metrics.ts';

function valueOf(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('store statements and commits are read from the store at each scrape', async () => {
  const metrics = new Metrics();
  assert.equal(valueOf(await metrics.text(), 'dane_mta_store_statements_total'), 0, 'zero before a store');
  const cost = { queries: 7, commits: 3 };
  metrics.watchStore(() => cost);
  let text = await metrics.text();
  assert.equal(valueOf(text, 'dane_mta_store_statements_total'), 7);
  assert.equal(valueOf(text, 'dane_mta_store_commits_total'), 3);
  cost.queries = 12;
  cost.commits = 5;
  text = await metrics.text();
  assert.equal(valueOf(text, 'dane_mta_store_statements_total'), 12);
  assert.equal(valueOf(text, 'dane_mta_store_commits_total'), 5);
});
