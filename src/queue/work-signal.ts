/**
 * The listeners of `QueueStore.onWork`, shared by both drivers: subscribe/unsubscribe, a hook
 * that tells the driver when the first listener arrives and the last one leaves (to start or
 * stop LISTEN or the file watch), and `emit`, which calls every listener. A listener that
 * throws is reported as a process warning and does not keep the others from being called.
 * Must never call a listener synchronously from inside `subscribe`.
 */
export class WorkSignal {
  readonly #listeners = new Set<() => void>();
  readonly #onActive: (active: boolean) => void;

  constructor(onActive: (active: boolean) => void = () => undefined) {
    this.#onActive = onActive;
  }

  /** Adds a listener; returns its unsubscribe function (idempotent). */
  subscribe(listener: () => void): () => void {
    const entry = (): void => {
      listener();
    };
    this.#listeners.add(entry);
    if (this.#listeners.size === 1) this.#onActive(true);
    return () => {
      if (this.#listeners.delete(entry) && this.#listeners.size === 0) this.#onActive(false);
    };
  }

  /** True while at least one listener is subscribed. */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  /** Calls every listener. */
  emit(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (err) {
        process.emitWarning(`queue onWork listener threw: ${String(err)}`, { code: 'QUEUE_WARN_LISTENER' });
      }
    }
  }

  /** Drops every listener (store closed). */
  clear(): void {
    if (this.#listeners.size > 0) this.#onActive(false);
    this.#listeners.clear();
  }
}
