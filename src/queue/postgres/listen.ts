/**
 * LISTEN for other nodes' work on a connection of its own (a pooled connection cannot keep a
 * LISTEN). Every NOTIFY on the channel wakes the store's onWork listeners; so does every
 * (re)connection, since notifications sent while we were not listening are lost. A dropped
 * connection (server restart) is retried with a growing pause (up to 5 s) until `stop()`.
 * Behind a transaction-pooling proxy LISTEN does not work: open the store with
 * `listen: false` and rely on polling. Must never let a connection error escape as a crash.
 */
import pg from 'pg';

/** The channel enqueue, retry, release and DSNs notify (at most one NOTIFY per transaction). */
export const WORK_CHANNEL = 'dane_mta_work';

const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 5000;

export class Listener {
  readonly #config: pg.ClientConfig;
  readonly #wake: () => void;
  #client: pg.Client | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pause = FIRST_PAUSE_MS;
  #stopped = false;

  constructor(config: pg.ClientConfig, wake: () => void) {
    this.#config = config;
    this.#wake = wake;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    const client = new pg.Client(this.#config);
    this.#client = client;
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.#client === client) this.#client = undefined;
      this.#retry();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', () => {
      this.#wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}`);
    } catch {
      onLost();
      return;
    }
    if (this.#hasStopped()) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#pause = FIRST_PAUSE_MS;
    // Anything committed before LISTEN took effect went unheard: wake once.
    this.#wake();
  }

  /** Read anew after an await (`stop()` may have run meanwhile). */
  #hasStopped(): boolean {
    return this.#stopped;
  }

  #retry(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.#connect(), this.#pause);
    this.#timer.unref();
    this.#pause = Math.min(this.#pause * 2, MAX_PAUSE_MS);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
