/**
 * Checks of what callers hand to a store, shared by every driver and run before anything is
 * sent to the database: a malformed message, update or selection is a one-line
 * `QUEUE_ERR_ARGUMENT` naming the field, and nothing is stored. Pure; no I/O.
 */
import type {
  AttemptLogEntry,
  ClaimOptions,
  CompleteInput,
  ListFilter,
  NewMessage,
  NewRecipient,
  RecipientUpdate,
  Selection,
} from './types.ts';
import { QueueError, RECIPIENT_STATES } from './types.ts';

const ID = /^[A-Za-z0-9._-]{1,64}$/;
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NOTIFY = new Set(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']);

/** True when `value` is one of `allowed` (a runtime check: callers may be plain JavaScript). */
function oneOf(value: unknown, allowed: readonly unknown[]): boolean {
  return allowed.includes(value);
}

function bad(what: string): never {
  throw new QueueError('QUEUE_ERR_ARGUMENT', `queue: ${what}`);
}

/** A time or count: a safe integer ≥ 0. */
export function checkTime(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    bad(`${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function checkText(value: unknown, what: string, opts: { empty?: boolean } = {}): string {
  if (typeof value !== 'string') bad(`${what} must be a string`);
  if (value.length === 0 && opts.empty !== true) bad(`${what} is empty`);
  if (CONTROL.test(value)) bad(`${what} contains a control character`);
  if (LONE_SURROGATE.test(value)) bad(`${what} is not well-formed Unicode`);
  return value;
}

/** A queue id as stored: 1–64 characters of letters, digits, '.', '_', '-'. */
export function checkId(id: unknown, what = 'message id'): string {
  if (typeof id !== 'string' || !ID.test(id)) bad(`${what} is not a queue id: ${JSON.stringify(id)}`);
  return id;
}

/** The owner of a lease (a node id). */
export function checkOwner(owner: unknown): string {
  return checkText(owner, 'lease owner');
}

function checkRecipient(r: NewRecipient, where: string): void {
  checkText(r.address, `${where}: address`);
  checkText(r.domain, `${where}: domain`);
  if (r.notify !== undefined) {
    if (!Array.isArray(r.notify) || r.notify.length === 0) bad(`${where}: notify must be a non-empty list`);
    for (const k of r.notify as unknown[]) {
      if (typeof k !== 'string' || !NOTIFY.has(k))
        bad(`${where}: unknown NOTIFY keyword ${JSON.stringify(k)}`);
    }
    if (r.notify.includes('NEVER') && r.notify.length > 1) bad(`${where}: NOTIFY=NEVER with other keywords`);
  }
  if (r.orcpt !== undefined) checkText(r.orcpt, `${where}: orcpt`);
}

/** A message for `enqueue` (or a DSN enqueued by `complete`/`force`). */
export function checkMessage(m: NewMessage): void {
  if (typeof m !== 'object' || (m as unknown) === null) bad('message must be an object');
  const where = `message ${checkId(m.id)}`;
  checkText(m.from, `${where}: from`, { empty: true });
  checkTime(m.received, `${where}: received`);
  if (!(m.body instanceof Uint8Array)) bad(`${where}: body must be a Uint8Array`);
  if (m.envid !== undefined) checkText(m.envid, `${where}: envid`);
  if (!oneOf(m.ret, [undefined, 'FULL', 'HDRS'])) bad(`${where}: ret must be FULL or HDRS`);
  for (const flag of ['smtputf8', 'eightBitMime', 'requireTls'] as const) {
    if (typeof m[flag] !== 'boolean') bad(`${where}: ${flag} must be a boolean`);
  }
  if (!oneOf(m.kind, ['normal', 'dsn'])) bad(`${where}: kind must be normal or dsn`);
  if (m.origin !== undefined) checkText(m.origin.address, `${where}: origin address`);
  if (!Array.isArray(m.recipients) || m.recipients.length === 0) bad(`${where}: no recipients`);
  m.recipients.forEach((r, i) => {
    checkRecipient(r, `${where}: recipient ${i + 1}`);
  });
}

export function checkClaim(opts: ClaimOptions): void {
  checkOwner(opts.owner);
  checkTime(opts.now, 'claim: now');
  if (checkTime(opts.leaseMs, 'claim: leaseMs') === 0) bad('claim: leaseMs must be positive');
  if (checkTime(opts.limit, 'claim: limit') === 0) bad('claim: limit must be positive');
  if (opts.excludeDomains !== undefined) {
    if (!Array.isArray(opts.excludeDomains)) bad('claim: excludeDomains must be a list');
    for (const d of opts.excludeDomains) checkText(d, 'claim: excluded domain');
  }
  if (opts.domain !== undefined) checkText(opts.domain, 'claim: domain');
}

export function checkRids(rids: readonly number[], what: string): void {
  if (!Array.isArray(rids)) bad(`${what}: row ids must be a list`);
  for (const rid of rids) checkTime(rid, `${what}: row id`);
}

function checkUpdate(u: RecipientUpdate): void {
  const where = `update of row ${checkTime(u.rid, 'update: row id')}`;
  if (!oneOf(u.state, ['deferred', 'delivered', 'bounced']))
    bad(`${where}: state must be deferred, delivered or bounced`);
  if (u.state === 'deferred') checkTime(u.nextAttempt, `${where}: nextAttempt`);
  else if (u.nextAttempt !== undefined) bad(`${where}: nextAttempt given for a final state`);
  // The reason quotes what a remote server said: any text (the front replaces NUL characters).
  if (typeof u.enhanced !== 'string') bad(`${where}: enhanced must be a string`);
  if (typeof u.reason !== 'string') bad(`${where}: reason must be a string`);
}

function checkAttempt(a: AttemptLogEntry): void {
  checkId(a.messageId, 'attempt: message id');
  checkText(a.domain, 'attempt: domain');
  checkTime(a.at, 'attempt: at');
  if (!Array.isArray(a.recipients)) bad('attempt: recipients must be a list');
  checkText(a.outcome, 'attempt: outcome');
  if (!Array.isArray(a.transcript)) bad('attempt: transcript must be a list of lines');
}

/** `complete`/`force` input: updates (each row at most once), attempt entry, DSNs. */
export function checkComplete(input: CompleteInput): void {
  if (!Array.isArray(input.updates)) bad('complete: updates must be a list');
  const seen = new Set<number>();
  for (const u of input.updates) {
    checkUpdate(u);
    if (seen.has(u.rid)) bad(`complete: row ${u.rid} updated twice`);
    seen.add(u.rid);
  }
  if (input.attempt !== undefined) checkAttempt(input.attempt);
  const ids = new Set<string>();
  for (const m of input.enqueue ?? []) {
    checkMessage(m);
    if (ids.has(m.id)) bad(`complete: message ${m.id} enqueued twice`);
    ids.add(m.id);
  }
}

export function checkSelection(sel: Selection): void {
  if (typeof sel !== 'object' || (sel as unknown) === null) bad('selection must be an object');
  const keys = Object.keys(sel);
  if (keys.length !== 1) bad('selection needs exactly one of id, domain, all');
  if ('id' in sel) checkId(sel.id);
  else if ('domain' in sel) checkText(sel.domain, 'selection: domain');
  else if (!('all' in sel) || (sel.all as unknown) !== true) bad('selection: all must be true');
}

export function checkFilter(filter: ListFilter): void {
  if (filter.state !== undefined && !RECIPIENT_STATES.includes(filter.state)) {
    bad(`list: unknown state ${JSON.stringify(filter.state)}`);
  }
  if (filter.domain !== undefined) checkText(filter.domain, 'list: domain');
  if (filter.limit !== undefined && checkTime(filter.limit, 'list: limit') === 0)
    bad('list: limit must be positive');
}

/** A slot key, limit and lease for `acquireSlot`. */
export function checkSlot(
  key: string,
  opts: { owner: string; limit: number; now: number; until: number },
): void {
  checkText(key, 'slot key');
  checkOwner(opts.owner);
  if (checkTime(opts.limit, 'slot limit') === 0) bad('slot limit must be positive');
  checkTime(opts.now, 'slot: now');
  checkTime(opts.until, 'slot: until');
}
