/**
 * Queue events as a test sees them: those of this process (an in-process daemon, from
 * `mta:queue:event`) or those a child `dane-mta serve` logs as JSON lines, kept in order with
 * event-driven waits that have deadlines. Test support only.
 */
import { queueEventChannel, type QueueEvent } from '../../src/daemon/events.ts';
import type { ServeProcess } from './harness.ts';

/**
 * Queue events kept in order, so a test can wait for an event that may already have happened
 * (the first attempt of a message can come before the reply to the client that submitted it
 * reaches the test). Event-driven; each wait has a deadline.
 */
export interface EventLog {
  readonly events: readonly QueueEvent[];
  /** A position in the log: `waitFor(…, { from })` looks only at events after it. */
  mark(): number;
  /** The first matching event at or after `from` (default 0), now or when it comes. */
  waitFor<E extends QueueEvent>(
    match: (e: QueueEvent) => e is E,
    what: string,
    opts?: { from?: number; deadlineMs?: number },
  ): Promise<E>;
  /** The matching events so far. */
  all<E extends QueueEvent>(match: (e: QueueEvent) => e is E): E[];
  close(): void;
}

class Recorder implements EventLog {
  readonly events: QueueEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #context: () => string;
  close: () => void = () => undefined;

  constructor(context: () => string = () => '') {
    this.#context = context;
  }

  push(e: QueueEvent): void {
    this.events.push(e);
    for (const w of [...this.#waiters]) w();
  }

  mark(): number {
    return this.events.length;
  }

  all<E extends QueueEvent>(match: (e: QueueEvent) => e is E): E[] {
    return this.events.filter(match);
  }

  waitFor<E extends QueueEvent>(
    match: (e: QueueEvent) => e is E,
    what: string,
    opts: { from?: number; deadlineMs?: number } = {},
  ): Promise<E> {
    const from = opts.from ?? 0;
    const deadlineMs = opts.deadlineMs ?? 30_000;
    const find = (): E | undefined => this.events.slice(from).find(match);
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const e = find();
        if (e === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no ${what} within ${deadlineMs} ms${this.#context()}`));
      }, deadlineMs);
      this.#waiters.add(check);
    });
  }
}

/** Every queue event of this process (an in-process daemon) from now on. */
export function recordEvents(): EventLog {
  const log = new Recorder();
  log.close = queueEventChannel.subscribe((e) => {
    log.push(e);
  });
  return log;
}

/** Queue events of a child daemon: its JSON log lines with an `event` field, as they come. */
export function childEvents(p: ServeProcess): EventLog {
  const log = new Recorder(() => ` (last lines: ${p.stdout.slice(-3).join(' | ')})`);
  let seen = 0;
  const take = (): void => {
    for (; seen < p.stdout.length; seen++) {
      const line = p.stdout[seen] ?? '';
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { event?: unknown };
      if (typeof e.event === 'string') log.push(e as QueueEvent);
    }
  };
  // spawnServe's own listener was added first, so the lines of this chunk are split already.
  p.child.stdout?.on('data', take);
  take();
  return log;
}
