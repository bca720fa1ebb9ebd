/**
 * Between the queue and delivery: a queued message's recipients of one destination as a
 * delivery job (relayed DSN parameters, SMTPUTF8, an address literal), the attempt event of
 * DESIGN.md's log line built from a delivery result, and the updates that hold a destination's
 * waiting messages back until its next retry (no attempt counted, never past a message's expiry).
 */
import type { DeliveryResult, DomainJob } from '../delivery/index.ts';
import type { RecipientUpdate } from '../queue/index.ts';
import { queueEventChannel, type AttemptEvent } from './events.ts';
import type { Applied, QueueJob } from './outcomes.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The delivery job of one message for one destination key. */
export function domainJob(key: string, j: QueueJob, body: Uint8Array): DomainJob {
  const m = j.message;
  const literal = key.startsWith('[') ? key.slice(1, -1).replace(/^ipv6:/i, '') : undefined;
  const rcptDsn = new Map(
    j.recipients
      .filter((r) => r.notify !== undefined || r.orcpt !== undefined)
      .map((r) => [
        r.address,
        {
          ...(r.notify === undefined ? {} : { notify: r.notify }),
          ...(r.orcpt === undefined ? {} : { orcpt: r.orcpt }),
        },
      ]),
  );
  const dsn = {
    ...(m.ret === undefined ? {} : { ret: m.ret }),
    ...(m.envid === undefined ? {} : { envid: m.envid }),
  };
  return {
    domain: key,
    from: m.from,
    recipients: j.recipients.map((r) => r.address),
    message: body,
    ...(literal === undefined ? {} : { literal }),
    ...(Object.keys(dsn).length === 0 ? {} : { dsn }),
    ...(rcptDsn.size === 0 ? {} : { rcptDsn }),
    ...(m.smtputf8 ? { smtputf8: true } : {}),
  };
}

/** DESIGN.md: `{"event":"attempt","id","domain","recipients","outcome", …record, "transcript"}`. */
export function attemptEvent(
  job: QueueJob,
  result: DeliveryResult,
  applied: Applied,
  run: { now: number; started: number; exception: { reason: string; until: string } | null },
): AttemptEvent {
  const decided = result.attempts.at(-1);
  return {
    event: 'attempt',
    id: job.message.id,
    domain: job.recipients[0]?.domain ?? '',
    recipients: job.recipients.map((r) => r.address),
    outcome: result.outcome === 'delivered' || result.outcome === 'bounced' ? result.outcome : 'deferred',
    enhanced: result.enhanced,
    reason: result.reason,
    mx: decided?.mx ?? result.mx ?? '',
    address: decided?.address ?? result.address,
    dnssec: decided?.dnssec ?? 'indeterminate',
    tlsa: decided?.tlsa ?? [],
    tls: result.tls,
    dane: decided?.dane ?? 'none',
    reply: result.reply ?? decided?.reply ?? null,
    error: decided?.error ?? null,
    mx_dnssec: result.mx_dnssec,
    results: applied.recipients.map((r) => ({
      address: r.address,
      state: r.state,
      enhanced: r.enhanced,
      ...(r.nextAttempt === undefined ? {} : { next_attempt: iso(r.nextAttempt) }),
      ...(r.expired === true ? { expired: true as const } : {}),
    })),
    duration_ms: run.now - run.started,
    ...(run.exception === null ? {} : { exception: run.exception }),
    transcript: result.log,
  };
}

/** Defer waiting messages of a destination whose hosts all failed until `until`. */
export function holdBackUpdates(
  waiting: readonly QueueJob[],
  o: { key: string; until: number; reason: string; maxAgeMs: number },
): RecipientUpdate[] {
  return waiting.flatMap((j) =>
    j.recipients.map((r) => ({
      rid: r.rid,
      state: 'deferred' as const,
      nextAttempt: Math.min(o.until, j.message.received + r.heldMs + o.maxAgeMs),
      enhanced: r.enhanced ?? '4.4.1',
      reason: `destination ${o.key} held back after every host failed: ${o.reason}`,
      last: r.last,
      countAttempt: false,
    })),
  );
}

/** Publish a delivery's attempt event and its DSNs; resolves to its earliest next attempt. */
export function publishOutcome(
  job: QueueJob,
  result: DeliveryResult,
  applied: Applied,
  run: { now: number; started: number; exception: { reason: string; until: string } | null },
): number | undefined {
  queueEventChannel.publish(attemptEvent(job, result, applied, run));
  for (const dsn of applied.dsns) {
    queueEventChannel.publish({
      event: 'dsn',
      id: dsn.id,
      of: job.message.id,
      kind: dsn.kind,
      recipients: dsn.reported,
    });
  }
  const retries = applied.recipients.flatMap((r) => (r.nextAttempt === undefined ? [] : [r.nextAttempt]));
  return retries.length === 0 ? undefined : Math.min(...retries);
}
