/**
 * Admission control for the web checker: at most N checks in flight per client address and M in
 * all, because each check makes the server send DNS queries and open SMTP connections on the
 * visitor's behalf. A slot is held until the check has really finished (not just until the page
 * was answered), so a slow domain cannot be used to pile up work. No I/O.
 */

/** Why a check was not admitted. */
export type Refusal = 'client' | 'server';

/** Counts checks in flight per client and in total. */
export class CheckLimiter {
  readonly #perClient: number;
  readonly #total: number;
  readonly #byClient = new Map<string, number>();
  #inFlight = 0;

  constructor(limits: { perClient: number; total: number }) {
    this.#perClient = limits.perClient;
    this.#total = limits.total;
  }

  /** Take a slot for `client`; returns the release function, or why it was refused. */
  acquire(client: string): { release: () => void } | { refused: Refusal } {
    const mine = this.#byClient.get(client) ?? 0;
    if (mine >= this.#perClient) return { refused: 'client' };
    if (this.#inFlight >= this.#total) return { refused: 'server' };
    this.#byClient.set(client, mine + 1);
    this.#inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight--;
        const left = (this.#byClient.get(client) ?? 1) - 1;
        if (left <= 0) this.#byClient.delete(client);
        else this.#byClient.set(client, left);
      },
    };
  }

  /** Checks in flight in all. */
  get inFlight(): number {
    return this.#inFlight;
  }
}
