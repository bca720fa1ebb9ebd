/**
 * The scheduler's connection cache: a delivery run whose connection has sent all of its messages
 * waits here, up to `delivery.connection_cache_time`, for more mail to the same destination
 * before it says QUIT (Postfix's smtp_connection_cache_time_limit). New work for a destination
 * goes to its waiting connections first, shared out evenly, so that mail arriving a little at a
 * time costs no new TCP connection, TLS handshake or DANE check. A waiting connection still
 * holds its place under the destination's and the global concurrency.
 * Must never: hand a connection mail for another destination, or mail with another TLS
 * requirement (REQUIRETLS or not); keep a run waiting after `release`.
 */
import type { DestinationPolicy } from '../config/index.ts';
import type { QueueJob } from './outcomes.ts';

/** What a waiting connection may carry: judged again whenever mail is offered to it. */
export interface Carrier {
  readonly requireTls: boolean;
  /** Messages the connection may still carry. */
  readonly room: number;
  /** When the connection's run started, and the destination policy it was opened under. */
  readonly started: number;
  readonly policy: DestinationPolicy;
}

interface Waiting extends Carrier {
  readonly resolve: (jobs: QueueJob[]) => void;
  readonly timer: NodeJS.Timeout;
}

export class ConnectionCache {
  readonly #waiting = new Map<string, Waiting[]>();
  #size = 0;

  /** Connections waiting now, all destinations. */
  get size(): number {
    return this.#size;
  }

  /** Connections to `key` waiting now. */
  waiting(key: string): number {
    return this.#waiting.get(key)?.length ?? 0;
  }

  /** Wait up to `ms` for mail to `key`; resolves to none when the time is up or on `release`. */
  wait(key: string, carrier: Carrier, ms: number): Promise<QueueJob[]> {
    return new Promise((resolve) => {
      const entry: Waiting = {
        ...carrier,
        resolve: (jobs) => {
          clearTimeout(entry.timer);
          resolve(jobs);
        },
        timer: setTimeout(() => {
          this.#remove(key, entry);
          resolve([]);
        }, ms),
      };
      const list = this.#waiting.get(key) ?? [];
      list.push(entry);
      this.#waiting.set(key, list);
      this.#size++;
    });
  }

  /**
   * Share `jobs` (one destination's, in queue order) out among its waiting connections, longest
   * waiting first; `take(carrier, n)` removes up to n jobs that connection may carry from the
   * caller's list. A connection that gets nothing is told to close, so that a new connection can
   * take mail it may not (the other TLS requirement, a policy changed since it opened).
   */
  offer(key: string, available: number, take: (carrier: Carrier, n: number) => QueueJob[]): void {
    const list = this.#waiting.get(key);
    if (list === undefined) return;
    let left = available;
    while (left > 0 && list.length > 0) {
      const share = Math.ceil(left / list.length);
      const entry = list.shift() as Waiting;
      this.#size--;
      const jobs = take(entry, Math.min(share, entry.room));
      left -= jobs.length;
      entry.resolve(jobs);
    }
    if (list.length === 0) this.#waiting.delete(key);
  }

  /** Close the waiting connections of `key` (or of every destination): they get no more mail. */
  release(key?: string): void {
    const keys = key === undefined ? [...this.#waiting.keys()] : [key];
    for (const k of keys) {
      const list = this.#waiting.get(k) ?? [];
      this.#waiting.delete(k);
      this.#size -= list.length;
      for (const entry of list) entry.resolve([]);
    }
  }

  #remove(key: string, entry: Waiting): void {
    const list = this.#waiting.get(key);
    const i = list?.indexOf(entry) ?? -1;
    if (list === undefined || i < 0) return;
    list.splice(i, 1);
    this.#size--;
    if (list.length === 0) this.#waiting.delete(key);
  }
}
