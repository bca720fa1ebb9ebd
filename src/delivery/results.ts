/**
 * The results of a delivery, message by message: the envelope as it goes on the wire (addresses
 * in wire form, relayed DSN parameters), a final verdict turned into a DeliveryResult (DESIGN.md's
 * CLI contract), a disposition for the whole destination, and the attempt record of a host that
 * was skipped. What each fact means is policy/classify.ts's; this only writes it down.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import {
  decideDestination,
  decideExhausted,
  missingDisposition,
  outcomeOf,
  worstIndex,
  type DestinationFact,
  type Disposition,
} from '../policy/index.ts';
import type { MailTransaction } from '../smtp/client/index.ts';
import { dsnMailParams, dsnRcptParams, relayRcptParams } from '../smtp/protocol/index.ts';
import type { TransactionOutcome } from './connection.ts';
import type { Ctx, DomainJob, JobState, ResultFacts } from './deliver.ts';
import { wireAddress } from './names.ts';
import { replyJson, type AttemptRecord, type DeliveryResult, type RecipientResult } from './types.ts';

/** Recipient verification (no message). */
export const verifying = (j: JobState): boolean => j.job.message === undefined;

const pendingOf = (ctx: Ctx): JobState[] => ctx.jobs.filter((j) => j.result === undefined);

/** The message's envelope as it goes on the wire (addresses in wire form, DSN parameters). */
export function transaction(job: DomainJob): MailTransaction {
  return {
    from: job.from === '' ? '' : wireAddress(job.from),
    recipients: job.recipients.map((address) => {
      const own = job.rcptDsn?.get(address);
      const params =
        own !== undefined
          ? relayRcptParams(own)
          : job.dsn === undefined
            ? []
            : dsnRcptParams(job.dsn, address);
      const wire = wireAddress(address);
      return params.length === 0 ? { address: wire } : { address: wire, params };
    }),
    ...(job.dsn === undefined ? {} : { mailParams: dsnMailParams(job.dsn) }),
    ...(job.message === undefined ? {} : { message: job.message }),
    ...(job.smtputf8 === true ? { smtputf8: true } : {}),
  };
}

export function fromFinal(ctx: Ctx, j: JobState, out: TransactionOutcome): void {
  const verify = verifying(j);
  const dispositions = out.verdict.kind === 'final' ? out.verdict.recipients : new Map<string, Disposition>();
  const recipients: RecipientResult[] = j.job.recipients.map((address) => {
    const d = dispositions.get(wireAddress(address)) ?? missingDisposition();
    return {
      address,
      outcome: outcomeOf(d.kind, verify),
      enhanced: d.enhanced,
      reason: d.reason,
      reply: replyJson(d.reply),
    };
  });
  const worst = recipients[worstIndex(recipients)];
  settle(
    ctx,
    j,
    {
      outcome: worst?.outcome ?? 'deferred',
      enhanced: worst?.enhanced ?? '4.4.0',
      reason: worst?.reason ?? 'no recipients',
      tls: out.level,
      reply: worst?.reply ?? out.record.reply,
      mx_dnssec: ctx.mxStatus,
      mx: out.record.mx,
      address: out.record.address,
      attempts: j.attempts,
      recipients,
      log: j.log,
    },
    { remoteDsn: out.remoteDsn },
  );
}

export function destinationFinal(ctx: Ctx, fact: DestinationFact): void {
  const v = decideDestination(fact);
  const d = v.kind === 'final' ? v.disposition : decideExhausted({ hosts: 0, hostsWithoutAddress: 0 });
  for (const j of pendingOf(ctx)) finish(ctx, j, d);
}

/** The message ends with one disposition for every recipient. */
export function finish(ctx: Ctx, j: JobState, d: Disposition): DeliveryResult {
  const verify = verifying(j);
  const outcome = outcomeOf(d.kind, verify);
  const what = outcome === 'deferred' ? 'Deferred' : verify ? 'Rejected' : 'Bounced';
  ctx.say(`${what}: ${d.enhanced} ${d.reason}`, [j]);
  return settle(ctx, j, {
    outcome,
    enhanced: d.enhanced,
    reason: d.reason,
    tls: null,
    reply: null,
    mx_dnssec: ctx.mxStatus,
    mx: j.attempts.at(-1)?.mx ?? null,
    address: j.attempts.at(-1)?.address ?? null,
    attempts: j.attempts,
    recipients: j.job.recipients.map((address) => ({
      address,
      outcome,
      enhanced: d.enhanced,
      reason: d.reason,
      reply: null,
    })),
    log: j.log,
  });
}

function settle(
  ctx: Ctx,
  j: JobState,
  result: DeliveryResult,
  facts: ResultFacts = { remoteDsn: false },
): DeliveryResult {
  j.result = result;
  ctx.onResult?.(ctx.jobs.indexOf(j), result, facts);
  return result;
}

export function noAttempt(plan: {
  mx: string;
  dnssec: Proof;
  tlsa: string[];
  skip: { reason: string };
}): AttemptRecord {
  return {
    mx: plan.mx,
    address: null,
    dnssec: plan.dnssec,
    tlsa: plan.tlsa,
    tls: null,
    dane: 'none',
    reply: null,
    error: plan.skip.reason,
  };
}
