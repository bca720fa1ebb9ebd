/** MX ordering: ascending preference, equal preferences shuffled by the injected randomness. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/index.ts';
import { orderMxHosts } from './mx.ts';

const hosts = [
  { name: 'c', preference: 20 },
  { name: 'a1', preference: 10 },
  { name: 'a2', preference: 10 },
  { name: 'a3', preference: 10 },
  { name: 'b', preference: 15 },
];

test('hosts come in ascending preference', () => {
  const out = orderMxHosts(hosts, { random: seededRandom(1) });
  assert.deepEqual(
    out.map((h) => h.preference),
    [10, 10, 10, 15, 20],
  );
});

test('equal preferences are shuffled (RFC 5321 §5.1), reproducibly for a seed', () => {
  const orders = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const out = orderMxHosts(hosts, { random: seededRandom(seed) });
    orders.add(
      out
        .slice(0, 3)
        .map((h) => h.name)
        .join(','),
    );
    assert.deepEqual(
      out.slice(3).map((h) => h.name),
      ['b', 'c'],
    );
  }
  assert.ok(orders.size >= 4, `only ${orders.size} distinct orders of the 10-group over 40 seeds`);
  const a = orderMxHosts(hosts, { random: seededRandom(5) }).map((h) => h.name);
  const b = orderMxHosts(hosts, { random: seededRandom(5) }).map((h) => h.name);
  assert.deepEqual(a, b);
});

test('the host limit keeps the most preferred', () => {
  const out = orderMxHosts(hosts, { random: seededRandom(3), limit: 4 });
  assert.equal(out.length, 4);
  assert.equal(out[3]?.name, 'b');
});
