/** TtlCache (TTL through an injected clock, LRU bound) and InFlight (shared promises). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FixedClock } from '../../util/index.ts';
import { InFlight, TtlCache } from './cache.ts';

test('entries expire after their TTL; ttlLeft counts down; TTL 0 stores nothing', () => {
  const clock = new FixedClock(1_000_000);
  const c = new TtlCache<string>(clock, 10);
  c.set('a', 'A', 10);
  c.set('z', 'Z', 0);
  assert.equal(c.get('a'), 'A');
  assert.equal(c.get('z'), undefined);
  clock.advance(4_000);
  assert.equal(c.ttlLeft('a'), 6);
  clock.advance(6_000);
  assert.equal(c.get('a'), undefined);
  assert.equal(c.size, 0);
  assert.deepEqual([c.hits, c.misses], [1, 2]);
});

test('the least recently used entry is evicted when the bound is reached', () => {
  const c = new TtlCache<number>(new FixedClock(0), 2);
  c.set('a', 1, 60);
  c.set('b', 2, 60);
  assert.equal(c.get('a'), 1); // a is now the most recent
  c.set('c', 3, 60); // evicts b
  assert.deepEqual([c.get('a'), c.get('b'), c.get('c')], [1, undefined, 3]);
});

test('InFlight shares one promise per key until it settles', async () => {
  const f = new InFlight<number>();
  let runs = 0;
  let release: (v: number) => void = () => undefined;
  const job = (): Promise<number> => {
    runs++;
    return new Promise((r) => {
      release = r;
    });
  };
  const p1 = f.run('k', job);
  const p2 = f.run('k', job);
  assert.equal(f.size, 1);
  release(7);
  assert.deepEqual(await Promise.all([p1, p2]), [7, 7]);
  assert.equal(runs, 1);
  assert.equal(f.size, 0);
  await f.run('k', () => Promise.resolve(8));
  assert.equal(runs, 1);
});
