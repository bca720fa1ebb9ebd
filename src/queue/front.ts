/**
 * The part of a `QueueStore` both drivers share: every method checks its arguments first (a bad
 * one is a rejected promise with a one-line QUEUE_ERR_ARGUMENT, and nothing reaches the
 * database), then runs the operation on the driver's backend, and wakes `onWork` listeners after
 * work this process made due (enqueue, retry, release, lease release, DSNs). A closed store
 * rejects every call with QUEUE_ERR_STORE. Must never talk to a database itself.
 */
import type { Backend, OpArgs, OpName, OpResults, SlotRequest } from './ops.ts';
import {
  checkClaim,
  checkComplete,
  checkFilter,
  checkId,
  checkOwner,
  checkMessage,
  checkRids,
  checkSelection,
  checkSlot,
  checkTime,
} from './validate.ts';
import { WorkSignal } from './work-signal.ts';
import type {
  ClaimOptions,
  ClaimedMessage,
  CompleteInput,
  CompleteResult,
  ListFilter,
  MessageDetail,
  MessageView,
  NewMessage,
  QueueStats,
  QueueStore,
  SchemaInfo,
  Selection,
  StoreCounters,
} from './types.ts';
import { QueueError } from './types.ts';

/** A NUL, or half of a surrogate pair without its other half. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must not reach a text column
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The updates with NUL characters and lone surrogates in their texts replaced by U+FFFD: a
 * hostile server's reply is quoted in `reason`, and neither a PostgreSQL text column nor UTF-8
 * can hold them (both drivers store the same). JSON values keep them, escaped.
 */
function cleanTexts(input: CompleteInput): CompleteInput {
  const clean = (text: string): string => text.replace(UNSTORABLE, '\ufffd');
  return {
    ...input,
    updates: input.updates.map((u) => ({ ...u, enhanced: clean(u.enhanced), reason: clean(u.reason) })),
  };
}

export class StoreFront implements QueueStore {
  readonly kind: string;
  readonly #backend: Backend;
  readonly #signal: WorkSignal;
  #closed = false;

  constructor(backend: Backend) {
    this.kind = backend.kind;
    this.#backend = backend;
    this.#signal = new WorkSignal((active) => {
      if (!this.#closed) {
        backend.listen(
          active
            ? () => {
                this.#signal.emit();
              }
            : undefined,
        );
      }
    });
  }

  /** Checks (a throw becomes the rejection), then runs `op`. */
  async #run<K extends OpName>(op: K, args: OpArgs[K], check?: () => void): Promise<OpResults[K]> {
    if (this.#closed) throw new QueueError('QUEUE_ERR_STORE', `queue store ${this.#backend.where} is closed`);
    check?.();
    return await this.#backend.call(op, args);
  }

  async enqueue(message: NewMessage): Promise<void> {
    await this.#run('enqueue', [message], () => {
      checkMessage(message);
    });
    this.#signal.emit();
  }

  claim(opts: ClaimOptions): Promise<ClaimedMessage[]> {
    return this.#run('claim', [opts], () => {
      checkClaim(opts);
    });
  }

  renew(owner: string, rids: readonly number[], until: number): Promise<number[]> {
    return this.#run('renew', [owner, rids, until], () => {
      checkOwner(owner);
      checkRids(rids, 'renew');
      checkTime(until, 'renew: until');
    });
  }

  async complete(owner: string, input: CompleteInput, now: number): Promise<CompleteResult> {
    checkOwner(owner);
    checkComplete(input);
    checkTime(now, 'complete: now');
    const result = await this.#run('complete', [owner, cleanTexts(input), now]);
    if ((input.enqueue?.length ?? 0) > 0) this.#signal.emit();
    return result;
  }

  async releaseLeases(owner: string): Promise<void> {
    await this.#run('releaseLeases', [owner], () => {
      checkOwner(owner);
    });
    this.#signal.emit();
  }

  body(messageId: string): Promise<Uint8Array | undefined> {
    return this.#run('body', [messageId], () => {
      checkId(messageId);
    });
  }

  nextDue(): Promise<number | undefined> {
    return this.#run('nextDue', []);
  }

  acquireSlot(key: string, opts: SlotRequest): Promise<number | undefined> {
    const req = { owner: opts.owner, limit: opts.limit, now: opts.now, until: opts.until };
    return this.#run('acquireSlot', [key, req], () => {
      checkSlot(key, req);
    });
  }

  renewSlot(key: string, slot: number, opts: { owner: string; until: number }): Promise<boolean> {
    return this.#run('renewSlot', [key, slot, opts.owner, opts.until], () => {
      checkTime(slot, 'slot number');
      checkOwner(opts.owner);
      checkTime(opts.until, 'slot: until');
    });
  }

  async releaseSlot(key: string, slot: number, owner: string): Promise<void> {
    await this.#run('releaseSlot', [key, slot, owner], () => {
      checkTime(slot, 'slot number');
      checkOwner(owner);
    });
  }

  onWork(listener: () => void): () => void {
    return this.#signal.subscribe(listener);
  }

  list(filter: ListFilter = {}): Promise<MessageView[]> {
    return this.#run('list', [filter], () => {
      checkFilter(filter);
    });
  }

  show(id: string): Promise<MessageDetail | undefined> {
    return this.#run('show', [id], () => {
      checkId(id);
    });
  }

  stats(now: number, opts: { top?: number } = {}): Promise<QueueStats> {
    const top = opts.top ?? 10;
    return this.#run('stats', [now, top], () => {
      checkTime(now, 'stats: now');
      checkTime(top, 'stats: top');
    });
  }

  async retry(sel: Selection, now: number): Promise<number> {
    const n = await this.#run('retry', [sel, now], () => {
      checkSelection(sel);
      checkTime(now, 'retry: now');
    });
    if (n > 0) this.#signal.emit();
    return n;
  }

  async setHeld(sel: Selection, held: boolean, now: number): Promise<number> {
    const n = await this.#run('setHeld', [sel, held, now], () => {
      checkSelection(sel);
      checkTime(now, 'hold: now');
    });
    if (!held && n > 0) this.#signal.emit();
    return n;
  }

  delete(id: string): Promise<boolean> {
    return this.#run('delete', [id], () => {
      checkId(id);
    });
  }

  async force(input: CompleteInput, now: number): Promise<CompleteResult> {
    checkComplete(input);
    checkTime(now, 'force: now');
    const result = await this.#run('force', [cleanTexts(input), now]);
    if ((input.enqueue?.length ?? 0) > 0) this.#signal.emit();
    return result;
  }

  prune(before: number): Promise<number> {
    return this.#run('prune', [before], () => {
      checkTime(before, 'prune: before');
    });
  }

  async checkWritable(now: number): Promise<void> {
    await this.#run('checkWritable', [now], () => {
      checkTime(now, 'checkWritable: now');
    });
  }

  schema(): Promise<SchemaInfo> {
    return this.#run('schema', []);
  }

  migrate(): Promise<number[]> {
    return this.#run('migrate', []);
  }

  counters(): StoreCounters {
    return this.#backend.counters();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#signal.clear();
    this.#closed = true;
    await this.#backend.close();
  }
}
