/**
 * `openQueueStore(url)`: the one way to get a `QueueStore`. The URL picks the driver —
 * `sqlite:PATH` (absolute, or relative to the working directory; `sqlite::memory:` for a
 * private in-memory store) or `postgres://…` / `postgresql://…` (libpq-style URL, as `pg`
 * reads it). A URL that names neither is `QUEUE_ERR_URL`; passwords never appear in messages.
 */
import { resolve } from 'node:path';
import { openSqliteStore } from './sqlite/client.ts';
import type { OpenOptions, QueueStore } from './types.ts';
import { QueueError } from './types.ts';

/** What a queue URL names. */
export type QueueTarget =
  { kind: 'sqlite'; path: string; display: string } | { kind: 'postgres'; url: string; display: string };

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}

/** Parse a queue URL (QUEUE_ERR_URL naming it when it is not one). */
export function parseQueueUrl(url: string): QueueTarget {
  const bad = (why: string): never => {
    throw new QueueError('QUEUE_ERR_URL', `queue url ${JSON.stringify(redactUrl(url))}: ${why}`);
  };
  if (typeof url !== 'string') bad('not a string');
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  if (/[\u0000-\u001f]/.test(url)) bad('contains a control character');
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path === ':memory:') return { kind: 'sqlite', path, display: url };
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///var/lib/q.db
    if (path.length === 0) bad('no file named (sqlite:/path/to/queue.db)');
    const absolute = resolve(path);
    return { kind: 'sqlite', path: absolute, display: `sqlite:${absolute}` };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return bad('not a valid URL');
    }
    if (parsed.pathname.length > 1 && !/^\/[^/]+$/.test(decodeURIComponent(parsed.pathname))) {
      bad('the path must be one database name');
    }
    return { kind: 'postgres', url, display: redactUrl(url) };
  }
  return bad('expected sqlite:PATH or postgres://…');
}

/**
 * Open the queue store `url` names. Rejects with QUEUE_ERR_URL (bad URL), QUEUE_ERR_SCHEMA
 * (schema newer than this build; or older with `requireCurrent`) or QUEUE_ERR_STORE.
 */
export async function openQueueStore(url: string, opts: OpenOptions = {}): Promise<QueueStore> {
  const target = parseQueueUrl(url);
  if (target.kind === 'sqlite') return await openSqliteStore(target.path, target.display, opts);
  const { openPostgresStore } = await import('./postgres/store.ts');
  return await openPostgresStore(target.url, target.display, opts);
}
