/**
 * After a bogus answer, ask another server before giving up — as Unbound and Knot Resolver do.
 * One of a zone's authoritative servers may serve broken signatures (a stale or misconfigured
 * secondary), or one of several configured resolvers may mangle answers; the others are not
 * broken at the same time. So a question whose answer validates as bogus is asked again, of a
 * server that has not answered it yet, at most MAX_SERVER_RETRIES more times; the last verdict
 * stands when none is left or the retry fails to get an answer. Every retry draws from the
 * lookup's query budget like any other query.
 */
import type { FetchResult } from './upstream.ts';

/** More servers asked after a bogus answer, per question (Unbound's restarts are of this order). */
export const MAX_SERVER_RETRIES = 2;

type FetchOk = Extract<FetchResult, { ok: true }>;

export interface RetryOptions<T> {
  /** True when the judged answer is bogus in a way another server may not share. */
  isBogus: (verdict: T) => boolean;
  /** The verdict when no answer came at all (only used when no server answered). */
  failed: (reason: string) => T;
  /** Called before each retry, with the server whose answer was bogus. */
  onRetry?: (server: string, verdict: T) => void;
}

/**
 * Fetch with `fetch(avoid)`, judge the response; while the verdict is bogus, ask again avoiding
 * every server that already answered (at most MAX_SERVER_RETRIES times).
 */
export async function fetchJudged<T>(
  fetch: (avoid: ReadonlySet<string>) => Promise<FetchResult>,
  judge: (res: FetchOk) => Promise<T>,
  opts: RetryOptions<T>,
): Promise<T> {
  const avoid = new Set<string>();
  let last: T | undefined;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(avoid);
    if (!res.ok) return last ?? opts.failed(res.reason);
    const verdict = await judge(res);
    if (!opts.isBogus(verdict) || attempt >= MAX_SERVER_RETRIES || avoid.has(res.server)) return verdict;
    avoid.add(res.server);
    opts.onRetry?.(res.server, verdict);
    last = verdict;
  }
}
