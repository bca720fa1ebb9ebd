/**
 * Observability of deliveries through node:diagnostics_channel (STYLE.md: core code publishes,
 * obs/ subscribes; nothing here imports a logger). Subscribers get every transcript line, every
 * DANE verdict and every attempt record as it happens.
 */
import { channel } from 'node:diagnostics_channel';

export const DeliveryChannel = {
  /** `{ domain, line }`: one transcript line. */
  LOG: 'mta:delivery:log',
  /** `{ mx, address, ok, usage?, depth?, tlsa?, reason }`: one DANE peer verdict. */
  DANE_VERDICT: 'mta:dane:verdict',
  /** `AttemptRecord & { domain }`: one finished connection attempt. */
  ATTEMPT: 'mta:delivery:attempt',
} as const;

const log = channel(DeliveryChannel.LOG);
const verdict = channel(DeliveryChannel.DANE_VERDICT);
const attempt = channel(DeliveryChannel.ATTEMPT);

export function publishLog(domain: string, line: string): void {
  if (log.hasSubscribers) log.publish({ domain, line });
}

export function publishVerdict(message: Record<string, unknown>): void {
  if (verdict.hasSubscribers) verdict.publish(message);
}

export function publishAttempt(message: Record<string, unknown>): void {
  if (attempt.hasSubscribers) attempt.publish(message);
}
