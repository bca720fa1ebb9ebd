/** Queue ids: 20 Crockford base32 characters, time first so they sort by arrival; randomness injected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../util/index.ts';
import { newQueueId, queueIdTime } from './queue-id.ts';

test('a queue id is 20 Crockford base32 characters: 10 of time, 10 random', () => {
  const id = newQueueId(1_700_000_000_123, seededRandom(1));
  assert.match(id, /^[0-9A-HJKMNP-TV-Z]{20}$/);
  assert.equal(queueIdTime(id), 1_700_000_000_123);
  // (1_700_000_000_123).toString(32) is '01hf7uaq3r' (digits 0-9a-v); in Crockford's alphabet:
  assert.equal(id.slice(0, 10), '01HF7YAT3V');
});

test('ids sort by arrival time whatever their random part', () => {
  const random = seededRandom(7);
  const times = [0, 1, 31, 32, 1023, 1024, 1_700_000_000_000, 1_700_000_000_001, 2 ** 50 - 1];
  const ids = times.map((t) => newQueueId(t, random));
  const sorted = [...ids].sort();
  assert.deepEqual(sorted, ids);
  assert.deepEqual(ids.map(queueIdTime), times);
});

test('the random part comes from the injected source', () => {
  const a = newQueueId(5, seededRandom(42));
  const b = newQueueId(5, seededRandom(42));
  const c = newQueueId(5, seededRandom(43));
  assert.equal(a, b);
  assert.notEqual(a.slice(10), c.slice(10));
});

test('a time outside 0..2^50-1 is an argument error', () => {
  for (const bad of [-1, 2 ** 50, 1.5, Number.NaN]) {
    assert.throws(() => newQueueId(bad, seededRandom(1)), { code: 'QUEUE_ERR_ARGUMENT' });
  }
  assert.equal(queueIdTime('not-an-id'), undefined);
  assert.equal(queueIdTime('0000000000000000000I'), undefined);
});
