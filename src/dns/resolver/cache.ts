/**
 * A bounded TTL cache with LRU eviction, keyed by string, reading time from an injected Clock.
 * The resolver keeps three of them: answers (positive and negative, per question), validated
 * zone keys (per zone) and bogus verdicts (short TTL so a broken zone is not hammered).
 */
import type { Clock } from '../../util/index.ts';

interface Entry<V> {
  value: V;
  expiresAt: number;
  /** Value of the use counter when the entry last moved to the young end. */
  used: number;
}

export class TtlCache<V> {
  readonly #map = new Map<string, Entry<V>>();
  readonly #clock: Clock;
  readonly #maxEntries: number;
  #uses = 0;
  hits = 0;
  misses = 0;

  constructor(clock: Clock, maxEntries: number) {
    this.#clock = clock;
    this.#maxEntries = Math.max(1, maxEntries);
  }

  get size(): number {
    return this.#map.size;
  }

  /** The live value for `key`, refreshing its LRU position; undefined when absent or expired. */
  get(key: string): V | undefined {
    const e = this.#map.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    if (e.expiresAt <= this.#clock.now()) {
      this.#map.delete(key);
      this.misses++;
      return undefined;
    }
    // LRU: move the entry to the young end — only when it has aged a little, so that a hot
    // entry read thousands of times a second does not churn the map on every read.
    if (++this.#uses - e.used > this.#maxEntries >> 3) {
      this.#map.delete(key);
      this.#map.set(key, e);
      e.used = this.#uses;
    }
    this.hits++;
    return e.value;
  }

  /** Seconds left for a live entry (0 when absent). */
  ttlLeft(key: string): number {
    const e = this.#map.get(key);
    if (e === undefined) return 0;
    return Math.max(0, Math.floor((e.expiresAt - this.#clock.now()) / 1000));
  }

  /** Store `value` for `ttlSeconds`; a TTL of 0 stores nothing. Evicts the least recently used. */
  set(key: string, value: V, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return;
    this.#map.delete(key);
    this.#map.set(key, { value, expiresAt: this.#clock.now() + ttlSeconds * 1000, used: ++this.#uses });
    while (this.#map.size > this.#maxEntries) {
      const oldest = this.#map.keys().next();
      if (oldest.done === true) break;
      this.#map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}

/**
 * Shares one in-flight promise among concurrent callers asking the same question, so a burst
 * of identical lookups costs one upstream exchange (used for whole lookups, upstream fetches and
 * the steps of the key walk).
 */
export class InFlight<V> {
  readonly #pending = new Map<string, Promise<V>>();

  run(key: string, fn: () => Promise<V>): Promise<V> {
    const existing = this.#pending.get(key);
    if (existing !== undefined) return existing;
    const p = fn().finally(() => this.#pending.delete(key));
    this.#pending.set(key, p);
    return p;
  }

  get size(): number {
    return this.#pending.size;
  }
}
