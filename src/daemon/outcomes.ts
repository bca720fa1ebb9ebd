/**
 * What the daemon writes after a delivery: each recipient's new state (delivered, bounced, or
 * deferred until its next attempt), the attempt log entry, and the DSNs to enqueue (RFC 3464 /
 * 6522 / 6533, DESIGN.md "Bounces and delays") — all in one atomic `QueueStore.complete`. The
 * rules are policy's (classify.ts: the delivery's dispositions, `decideRequeue` for time) and
 * the DSN's (`wantsDsn`): this module only applies them.
 * Must never: send a DSN for a message from `<>` or for a DSN; send more than one delay notice
 * per recipient; bounce a deferral before max_age.
 */
import {
  buildDsn,
  dsnMessage,
  type DeliveryResult,
  type DsnInput,
  type DsnKind,
  type DsnRecipient,
  type ResultFacts,
} from '../delivery/index.ts';
import { decideRequeue, isEnhancedCode, retryInterval, type RetrySchedule } from '../policy/index.ts';
import {
  newQueueId,
  type AttemptLogEntry,
  type CompleteInput,
  type Json,
  type MessageInfo,
  type NewMessage,
  type QueuedRecipient,
  type RecipientUpdate,
} from '../queue/index.ts';
import type { Random } from '../util/index.ts';

/** One message's part of a destination batch: the recipients of that destination. */
export interface QueueJob {
  message: MessageInfo;
  recipients: QueuedRecipient[];
}

export interface OutcomeContext {
  now: number;
  random: Random;
  schedule: RetrySchedule;
  /** Reporting-MTA of DSNs. */
  hostname: string;
  /** The message body (DSNs return it or its headers). */
  body: Uint8Array;
}

/** Per recipient, what happened (for logs and metrics). */
export interface RecipientOutcome {
  address: string;
  state: 'delivered' | 'bounced' | 'deferred';
  enhanced: string;
  reason: string;
  /** When it will be tried again (deferred). */
  nextAttempt?: number;
  /** Bounced because the queue lifetime ran out. */
  expired?: boolean;
}

export interface Applied {
  complete: CompleteInput;
  recipients: RecipientOutcome[];
  /** DSNs enqueued: kind, queue id, recipients reported. */
  dsns: { kind: DsnKind; id: string; reported: string[] }[];
}

function diagnosticOf(r: DeliveryResult['recipients'][number]): NonNullable<DsnRecipient['diagnostic']> {
  if (r.reply !== null) {
    const text = `${r.reply.code} ${r.reply.enhanced ?? ''} ${r.reply.text}`.replace(/\s+/g, ' ').trim();
    return { type: 'smtp', reply: text };
  }
  return { type: 'X-dane-mta', text: r.reason };
}

/** Turn one delivery result into store updates, DSNs and an attempt log entry. */
export function applyResult(
  job: QueueJob,
  result: DeliveryResult,
  facts: ResultFacts,
  ctx: OutcomeContext,
): Applied {
  const updates: RecipientUpdate[] = [];
  const outcomes: RecipientOutcome[] = [];
  const dsnRecipients: DsnRecipient[] = [];
  const last = (result.attempts.at(-1) ?? null) as Json | null;
  const daneFailed = result.attempts.some((a) => a.dane === 'failed');
  for (const q of job.recipients) {
    const r = result.recipients.find((x) => x.address === q.address);
    const base = {
      address: q.address,
      ...(q.notify === undefined ? {} : { notify: q.notify }),
      ...(q.orcpt === undefined ? {} : { orcpt: q.orcpt }),
      ...(result.mx === null ? {} : { remoteMta: result.mx }),
      lastAttempt: ctx.now,
    };
    if (r === undefined || r.outcome === 'deferred') {
      const reason = r?.reason ?? 'no result for this recipient';
      const enhanced = r !== undefined && isEnhancedCode(r.enhanced) ? r.enhanced : '4.4.0';
      const requeue = decideRequeue({
        disposition: { kind: 'defer', enhanced, reason },
        received: job.message.received,
        heldMs: q.heldMs,
        now: ctx.now,
        nextBySchedule: ctx.now + retryInterval(ctx.schedule, q.attempts + 1, ctx.random),
        maxAgeMs: ctx.schedule.maxAgeMs,
        delayWarningMs: ctx.schedule.delayWarningMs,
        delayWarned: q.delayWarned,
      });
      if (requeue.kind === 'expire') {
        const d = requeue.disposition;
        updates.push({ rid: q.rid, state: 'bounced', enhanced: d.enhanced, reason: d.reason, last });
        outcomes.push({
          address: q.address,
          state: 'bounced',
          enhanced: d.enhanced,
          reason: d.reason,
          expired: true,
        });
        const diag = r === undefined ? undefined : diagnosticOf(r);
        dsnRecipients.push({
          ...base,
          outcome: 'failed',
          status: d.enhanced,
          reason: d.reason,
          dane: daneFailed,
          ...(diag === undefined ? {} : { diagnostic: diag }),
        });
        continue;
      }
      updates.push({
        rid: q.rid,
        state: 'deferred',
        nextAttempt: requeue.at,
        enhanced,
        reason,
        last,
        ...(requeue.warnDelay ? { delayWarned: true } : {}),
      });
      outcomes.push({ address: q.address, state: 'deferred', enhanced, reason, nextAttempt: requeue.at });
      if (requeue.warnDelay) {
        dsnRecipients.push({
          ...base,
          outcome: 'delayed',
          status: enhanced,
          reason,
          dane: daneFailed,
          willRetryUntil: requeue.willRetryUntil,
          ...(r === undefined ? {} : { diagnostic: diagnosticOf(r) }),
        });
      }
      continue;
    }
    const state = r.outcome === 'delivered' ? 'delivered' : 'bounced';
    updates.push({ rid: q.rid, state, enhanced: r.enhanced, reason: r.reason, last });
    outcomes.push({ address: q.address, state, enhanced: r.enhanced, reason: r.reason });
    dsnRecipients.push({
      ...base,
      outcome: state === 'bounced' ? 'failed' : facts.remoteDsn ? 'delivered' : 'relayed',
      status: r.enhanced,
      reason: r.reason,
      diagnostic: diagnosticOf(r),
      dane: state === 'bounced' && daneFailed,
    });
  }
  const dsns = buildDsns(job, dsnRecipients, ctx);
  const attempt: AttemptLogEntry = {
    messageId: job.message.id,
    domain: job.recipients[0]?.domain ?? '',
    at: ctx.now,
    recipients: job.recipients.map((q) => q.address),
    outcome: result.outcome,
    records: result.attempts as unknown as Json,
    transcript: result.log,
  };
  return {
    complete: { updates, attempt, enqueue: dsns.map((d) => d.message) },
    recipients: outcomes,
    dsns: dsns.map((d) => ({ kind: d.kind, id: d.message.id, reported: d.reported })),
  };
}

/** Failure, delay and relay notices for the recipients that ask for them (never for `<>` or a DSN). */
export function buildDsns(
  job: QueueJob,
  recipients: readonly DsnRecipient[],
  ctx: OutcomeContext,
): { kind: DsnKind; message: NewMessage; reported: string[] }[] {
  const m = job.message;
  if (m.from === '' || m.kind === 'dsn' || recipients.length === 0) return [];
  const out: { kind: DsnKind; message: NewMessage; reported: string[] }[] = [];
  for (const kind of ['failure', 'delay', 'relayed'] as const) {
    const input: DsnInput = {
      kind,
      original: {
        id: m.id,
        from: m.from,
        received: m.received,
        ...(m.envid === undefined ? {} : { envid: m.envid }),
        ...(m.ret === undefined ? {} : { ret: m.ret }),
        smtputf8: m.smtputf8,
        body: ctx.body,
      },
      recipients,
    };
    const built = buildDsn(input, { hostname: ctx.hostname, now: ctx.now, random: ctx.random });
    if (built === null) continue;
    out.push({
      kind,
      reported: built.reported,
      message: dsnMessage(built, { id: newQueueId(ctx.now, ctx.random), now: ctx.now }),
    });
  }
  return out;
}
