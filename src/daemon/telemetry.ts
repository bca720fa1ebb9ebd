/**
 * The daemon's subscriptions: queue events, delivery attempts and (once intake and the resolver
 * publish them) intake and DNS answers become log lines (DESIGN.md's `{"event":"attempt", …}`)
 * and Prometheus metrics. Core code only publishes; this is where the daemon listens.
 */
import type { Logger } from 'pino';
import { attemptChannel } from '../delivery/index.ts';
import { dnsAnswerChannel } from '../dns/resolver/index.ts';
import type { Metrics } from '../obs/index.ts';
import { queueEventChannel, type QueueEvent } from './events.ts';

const WARN_EVENTS = new Set<QueueEvent['event']>([
  'backoff',
  'exception-expired',
  'lease-lost',
  'slot-lost',
  'store-error',
]);

function logEvent(log: Logger, e: QueueEvent): void {
  switch (e.event) {
    case 'attempt': {
      const text = `${e.id} → ${e.domain}: ${e.outcome} ${e.enhanced} (${e.tls ?? 'no connection'}) ${e.reason}`;
      if (e.outcome === 'delivered') log.info(e, text);
      else log.warn(e, text);
      if (e.exception !== undefined) {
        log.warn(
          { event: 'exception', id: e.id, domain: e.domain, ...e.exception },
          `${e.id} → ${e.domain}: ${e.outcome} under a DANE exception until ${e.exception.until}: ${e.exception.reason}`,
        );
      }
      return;
    }
    case 'connection':
      return;
    default:
      if (WARN_EVENTS.has(e.event)) log.warn(e, e.event);
      else log.info(e, e.event);
  }
}

function countEvent(metrics: Metrics, e: QueueEvent): void {
  switch (e.event) {
    case 'attempt':
      metrics.deliveries.inc({ outcome: e.outcome, tls: e.tls ?? 'none' });
      metrics.deliveryDuration.observe({ outcome: e.outcome }, e.duration_ms / 1000);
      if (e.exception !== undefined) metrics.exceptions.inc({ destination: e.domain, state: 'applied' });
      return;
    case 'dsn':
      metrics.dsns.inc({ kind: e.kind });
      return;
    case 'exception-expired':
      metrics.exceptions.inc({ destination: e.domain, state: 'expired' });
      return;
    case 'store-error':
      metrics.storeErrors.inc({ operation: e.operation });
      return;
    case 'connection':
      metrics.connectionsOpen.set({ destination: e.domain }, e.open);
      return;
    default:
      return;
  }
}

/** Subscribe the logger and the metrics; returns the unsubscribe function. */
export function subscribeTelemetry(log: Logger, metrics: Metrics): () => void {
  const stops = [
    queueEventChannel.subscribe((e) => {
      logEvent(log, e);
      countEvent(metrics, e);
    }),
    dnsAnswerChannel.subscribe((a) => {
      metrics.dnssecAnswers.inc({ status: a.status });
    }),
    attemptChannel.subscribe((a) => {
      if (a.tls !== null || a.dane !== 'none') metrics.daneResults.inc({ result: a.dane });
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
