/** Queue URLs: which driver each names, paths made absolute, passwords never shown, bad ones one line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { openQueueStore, parseQueueUrl, redactUrl } from './open.ts';

test('sqlite URLs: absolute, relative to the working directory, three slashes, in memory', () => {
  assert.deepEqual(parseQueueUrl('sqlite:/var/lib/dane-mta/queue.db'), {
    kind: 'sqlite',
    path: '/var/lib/dane-mta/queue.db',
    display: 'sqlite:/var/lib/dane-mta/queue.db',
  });
  assert.equal(parseQueueUrl('sqlite:queue.db').kind, 'sqlite');
  assert.deepEqual(parseQueueUrl('sqlite:data/queue.db'), {
    kind: 'sqlite',
    path: resolve(process.cwd(), 'data/queue.db'),
    display: `sqlite:${resolve(process.cwd(), 'data/queue.db')}`,
  });
  assert.equal((parseQueueUrl('sqlite:///srv/q.db') as { path: string }).path, '/srv/q.db');
  assert.equal((parseQueueUrl('sqlite::memory:') as { path: string }).path, ':memory:');
});

test('postgres URLs are kept as given; the password never shows', () => {
  const url = 'postgres://mta:s3cret@db.example:5432/queue?sslmode=require';
  assert.deepEqual(parseQueueUrl(url), {
    kind: 'postgres',
    url,
    display: 'postgres://mta:***@db.example:5432/queue?sslmode=require',
  });
  assert.equal(parseQueueUrl('postgresql://mta@127.0.0.1/queue').kind, 'postgres');
  assert.equal(redactUrl('postgresql://u:p@h/d'), 'postgresql://u:***@h/d');
  assert.equal(redactUrl('postgres://u@h/d'), 'postgres://u@h/d');
});

test('a URL that names no store is QUEUE_ERR_URL, one line, naming it without its password', () => {
  const cases = [
    ['sqlite:', /no file named/],
    ['mysql://root@localhost/q', /expected sqlite:PATH or postgres/],
    ['/var/lib/queue.db', /expected sqlite:PATH/],
    ['postgres://u:pw@[bad/q', /not a valid URL/],
    ['postgres://u:pw@host/a/b', /one database name/],
    ['sqlite:/tmp/q\n.db', /control character/],
  ] as const;
  for (const [url, why] of cases) {
    assert.throws(
      () => parseQueueUrl(url),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'QUEUE_ERR_URL');
        assert.match(err.message, why);
        assert.doesNotMatch(err.message, /\n|pw@/);
        return true;
      },
      url,
    );
  }
});

test('openQueueStore rejects (never throws) on a bad URL', async () => {
  const pending = openQueueStore('redis://localhost');
  await assert.rejects(pending, { code: 'QUEUE_ERR_URL' });
});
