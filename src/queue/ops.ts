/**
 * The operations behind `QueueStore`, as the drivers implement them: each operation's
 * arguments and result, and the `Backend` a driver provides. The shared front (front.ts) checks
 * the arguments, calls the backend and wakes `onWork` listeners, so both drivers behave the
 * same at the edges. Types only.
 */
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
  SchemaInfo,
  Selection,
  StoreCounters,
} from './types.ts';

/** A request for a destination slot (see `QueueStore.acquireSlot`). */
export interface SlotRequest {
  owner: string;
  limit: number;
  now: number;
  until: number;
}

/** The arguments of every operation (structured-clonable: they cross to the SQLite worker). */
export interface OpArgs {
  enqueue: [message: NewMessage];
  claim: [opts: ClaimOptions];
  renew: [owner: string, rids: readonly number[], until: number];
  complete: [owner: string, input: CompleteInput, now: number];
  force: [input: CompleteInput, now: number];
  releaseLeases: [owner: string];
  acquireSlot: [key: string, req: SlotRequest];
  renewSlot: [key: string, slot: number, owner: string, until: number];
  releaseSlot: [key: string, slot: number, owner: string];
  body: [messageId: string];
  nextDue: [];
  list: [filter: ListFilter];
  show: [id: string];
  stats: [now: number, top: number];
  retry: [sel: Selection, now: number];
  setHeld: [sel: Selection, held: boolean, now: number];
  delete: [id: string];
  prune: [before: number];
  checkWritable: [now: number];
  schema: [];
  migrate: [];
}

/** The result of every operation. */
export interface OpResults {
  enqueue: undefined;
  claim: ClaimedMessage[];
  renew: number[];
  complete: CompleteResult;
  force: CompleteResult;
  releaseLeases: undefined;
  acquireSlot: number | undefined;
  renewSlot: boolean;
  releaseSlot: undefined;
  body: Uint8Array | undefined;
  nextDue: number | undefined;
  list: MessageView[];
  show: MessageDetail | undefined;
  stats: QueueStats;
  retry: number;
  setHeld: number;
  delete: boolean;
  prune: number;
  checkWritable: undefined;
  schema: SchemaInfo;
  migrate: number[];
}

export type OpName = keyof OpArgs;

/** What a driver provides to the shared front. */
export interface Backend {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /** The store as named in messages (password redacted). */
  readonly where: string;
  /** Runs one operation; rejects with QueueError. */
  call<K extends OpName>(op: K, args: OpArgs[K]): Promise<OpResults[K]>;
  counters(): StoreCounters;
  /** Start (`wake` given) or stop (undefined) listening for other processes' work. */
  listen(wake: (() => void) | undefined): void;
  close(): Promise<void>;
}
