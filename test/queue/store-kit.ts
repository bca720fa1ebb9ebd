/**
 * What the one store test suite needs from a driver's test file (`StoreFactory`: a fresh, empty
 * backing store per test, raw hooks for what the contract cannot do — set a future schema
 * version, hold the write lock from another connection) and the fixtures the suite builds its
 * messages with. Times are pinned (T0 and offsets); nothing here sleeps or reads the clock.
 * Test support only.
 */
import type { TestContext } from 'node:test';
import { newQueueId } from '../../src/queue/index.ts';
import type { NewMessage, NewRecipient, OpenOptions, QueueStore } from '../../src/queue/index.ts';
import { seededRandom } from '../../src/util/index.ts';

/** One backing store (a database file, a PostgreSQL database) that several instances open. */
export interface Backing {
  /** The queue URL of this backing store (child processes open it too). */
  readonly url: string;
  /** Opens another store instance on it (the caller closes it). */
  open(opts?: OpenOptions): Promise<QueueStore>;
  /** Records schema version `version` as applied, as a newer build's migration would. */
  setSchemaVersion(version: number): Promise<void>;
  /** Takes the write lock from another connection; resolves to the function that releases it. */
  lockWrites(): Promise<() => Promise<void>>;
  /** Removes the backing store (after every instance is closed). */
  dispose(): Promise<void>;
}

export interface StoreFactory {
  /** `sqlite` or `postgres`. */
  readonly name: string;
  /**
   * A fresh, empty backing store for test `t`; undefined when the driver cannot run here (the
   * factory has called t.skip with the reason, or failed the test under DANE_MTA_INTEROP=1).
   */
  fresh(t: TestContext): Promise<Backing | undefined>;
}

/** The suite's fixed clock origin (2023-11-14T22:13:20Z). */
export const T0 = 1_700_000_000_000;

let seq = 0;

export interface MessageSpec {
  received?: number;
  from?: string;
  /** Recipient addresses; the domain is the part after '@'. */
  to?: string[];
  recipients?: NewRecipient[];
  kind?: 'normal' | 'dsn';
  body?: string;
}

/** A message with a fresh queue id; recipients default to one at example.org. */
export function message(spec: MessageSpec = {}): NewMessage {
  const received = spec.received ?? T0;
  const recipients =
    spec.recipients ??
    (spec.to ?? ['rcpt@example.org']).map((address) => ({
      address,
      domain: address.slice(address.indexOf('@') + 1),
    }));
  return {
    id: newQueueId(received, seededRandom(++seq)),
    from: spec.from ?? 'sender@example.net',
    received,
    body: new TextEncoder().encode(spec.body ?? `Subject: test ${seq}\r\n\r\nbody ${seq}\r\n`),
    smtputf8: false,
    eightBitMime: false,
    requireTls: false,
    kind: spec.kind ?? 'normal',
    recipients,
  };
}

/** A fresh backing store; every instance opened through `open` is closed, then it is removed. */
export async function useBacking(
  t: TestContext,
  factory: StoreFactory,
): Promise<{ backing: Backing; open: (o?: OpenOptions) => Promise<QueueStore> } | undefined> {
  const backing = await factory.fresh(t);
  if (backing === undefined) return undefined;
  const opened: QueueStore[] = [];
  t.after(async () => {
    for (const s of opened.reverse()) await s.close();
    await backing.dispose();
  });
  const open = async (o?: OpenOptions): Promise<QueueStore> => {
    const s = await backing.open(o);
    opened.push(s);
    return s;
  };
  return { backing, open };
}

/** A fresh backing store and a first instance on it (see useBacking). */
export async function setUp(
  t: TestContext,
  factory: StoreFactory,
  opts?: OpenOptions,
): Promise<
  { backing: Backing; store: QueueStore; open: (o?: OpenOptions) => Promise<QueueStore> } | undefined
> {
  const used = await useBacking(t, factory);
  if (used === undefined) return undefined;
  return { ...used, store: await used.open(opts) };
}

/** Row ids of claimed messages, flattened, in claim order. */
export function ridsOf(claimed: readonly { recipients: readonly { rid: number }[] }[]): number[] {
  return claimed.flatMap((c) => c.recipients.map((r) => r.rid));
}

/** A subscription to `store.onWork` that counts the calls; `next()` waits for the next one. */
export function wakeups(store: QueueStore): { next: (ms?: number) => Promise<void>; stop: () => void } {
  let seen = 0;
  let calls = 0;
  const waiters: (() => void)[] = [];
  const stop = store.onWork(() => {
    calls++;
    for (const w of waiters.splice(0)) w();
  });
  const next = (ms = 10_000): Promise<void> => {
    const target = ++seen;
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (calls >= target) {
          clearTimeout(timer);
          seen = calls;
          resolve();
        } else waiters.push(check);
      };
      const timer = setTimeout(() => {
        reject(new Error(`onWork was not called within ${ms} ms`));
      }, ms);
      check();
    });
  };
  return { next, stop };
}
