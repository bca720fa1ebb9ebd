/**
 * An in-memory stand-in for the queue as intake sees it (`QueueStore.enqueue`): records every
 * message, can be made to fail (a full disk) or to hold an enqueue until the test releases it,
 * and a stand-in for src/queue's `newQueueId(now, random)` with the same form (20 characters of
 * Crockford base32: 10 of time in ms, 10 random) until the real one lands.
 * Tests only; never imported by src/.
 */
import type { NewMessage, QueueStore } from '../../src/queue/index.ts';
import type { Random } from '../../src/util/index.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Stand-in for `newQueueId`: 10 base32 digits of `now`, then 10 random ones. */
export function standInQueueId(now: number, random: Random): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (let i = 0; i < 10; i++) rand += CROCKFORD[random.int(32)]!;
  return time + rand;
}

export class MemoryQueue implements Pick<QueueStore, 'enqueue'> {
  readonly messages: NewMessage[] = [];
  /** Calls to enqueue, successful or not. */
  attempts = 0;
  /** When set, enqueue rejects with this error (and stores nothing). */
  failWith: Error | undefined;
  /** When set, enqueue waits for this promise before storing. */
  gate: Promise<void> | undefined;
  readonly #waiters: ((m: NewMessage) => void)[] = [];

  readonly #entered: (() => void)[] = [];

  async enqueue(message: NewMessage): Promise<void> {
    this.attempts++;
    for (const e of this.#entered.splice(0)) e();
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    this.messages.push(structuredClone(message));
    for (const w of this.#waiters.splice(0)) w(message);
  }

  /** Resolves when enqueue is next called (before it stores or fails). */
  entered(): Promise<void> {
    return new Promise((resolve) => this.#entered.push(resolve));
  }

  /** Resolves with the next message stored. */
  next(): Promise<NewMessage> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
