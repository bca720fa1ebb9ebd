/**
 * Per-destination flow control of the scheduler (DESIGN.md "Queue model"): connections at a
 * time with Postfix-style slow start (start low, grow on success, halve on failure, up to the
 * destination's concurrency), rate limits over a sliding minute (messages and new connections),
 * and the back-off of a destination whose every host failed (held until its next retry).
 * Time is passed in; no I/O.
 */

/** Where slow start begins: two connections, as Postfix's initial destination concurrency. */
export const INITIAL_WINDOW = 2;
const MINUTE = 60_000;

/** Flow control shared by the destinations of one limit key (a domain, or an MX set). */
export class Limiter {
  readonly key: string;
  /** Connections open now. */
  running = 0;
  /** How many connections slow start allows now (≥ 1). */
  window = INITIAL_WINDOW;
  readonly #connections = new MinuteCount();
  readonly #messages = new MinuteCount();

  constructor(key: string) {
    this.key = key;
  }

  /** A delivery run reached a server: allow one more connection, up to `max`. */
  succeeded(max: number): void {
    this.window = Math.min(Math.max(max, 1), this.window + 1);
  }

  /** Every host failed: halve the window (at least 1). */
  failed(): void {
    this.window = Math.max(1, Math.floor(this.window / 2));
  }

  /** Connections that may open now under `max` (the destination's concurrency). */
  freeConnections(max: number): number {
    return Math.max(0, Math.min(this.window, max) - this.running);
  }

  #prune(now: number): void {
    this.#connections.prune(now);
    this.#messages.prune(now);
  }

  /**
   * How many messages a new connection may carry now under the rate limits (0: wait until
   * `retryAt`). `undefined` limits are unlimited.
   */
  allowance(
    now: number,
    rate: { messages_per_minute?: number | undefined; connections_per_minute?: number | undefined } | null,
  ): {
    messages: number;
    retryAt?: number;
  } {
    this.#prune(now);
    const cpm = rate?.connections_per_minute;
    const mpm = rate?.messages_per_minute;
    if (cpm !== undefined && this.#connections.total >= cpm) {
      return { messages: 0, retryAt: (this.#connections.oldest() ?? now) + MINUTE };
    }
    if (mpm === undefined) return { messages: Number.POSITIVE_INFINITY };
    const left = mpm - this.#messages.total;
    if (left > 0) return { messages: left };
    return { messages: 0, retryAt: (this.#messages.oldest() ?? now) + MINUTE };
  }

  /** Record a new connection carrying `messages` messages. */
  took(now: number, messages: number): void {
    this.#connections.add(now, 1);
    this.carried(now, messages);
  }

  /**
   * How many more messages a connection already open may carry now under the messages-per-minute
   * limit (a reused connection is no new connection).
   */
  reuseAllowance(now: number, rate: { messages_per_minute?: number | undefined } | null): number {
    this.#prune(now);
    const mpm = rate?.messages_per_minute;
    return mpm === undefined ? Number.POSITIVE_INFINITY : Math.max(0, mpm - this.#messages.total);
  }

  /** Record `messages` more messages on a connection already open. */
  carried(now: number, messages: number): void {
    this.#messages.add(now, messages);
  }
}

/**
 * Events over the last minute, as (time, count) entries in the order they were added and pruned
 * from the front — constant work per call however many messages a minute carries (a relay
 * sends tens of thousands). A clock that steps back leaves a later entry behind an earlier one:
 * it then leaves the window late, which only makes the limit stricter for that long.
 */
class MinuteCount {
  readonly #times: number[] = [];
  readonly #counts: number[] = [];
  #head = 0;
  /** Events in the window (as of the last `prune`). */
  total = 0;

  add(now: number, n: number): void {
    if (n <= 0) return;
    const last = this.#times.length - 1;
    if (last >= this.#head && this.#times[last] === now) this.#counts[last] = (this.#counts[last] ?? 0) + n;
    else {
      this.#times.push(now);
      this.#counts.push(n);
    }
    this.total += n;
  }

  /** Drop what happened a minute or more before `now`. */
  prune(now: number): void {
    const since = now - MINUTE;
    while (this.#head < this.#times.length && (this.#times[this.#head] ?? now) <= since) {
      this.total -= this.#counts[this.#head] ?? 0;
      this.#head++;
    }
    // Give the dropped entries' room back once they are half of the arrays.
    if (this.#head > 64 && this.#head * 2 > this.#times.length) {
      this.#times.splice(0, this.#head);
      this.#counts.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** When the oldest event in the window happened. */
  oldest(): number | undefined {
    return this.#times[this.#head];
  }
}
