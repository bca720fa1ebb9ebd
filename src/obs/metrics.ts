/**
 * The Prometheus metrics of the daemon (DESIGN.md "Observability"; prom-client, text format at
 * GET /metrics). The names of DESIGN.md are a contract: `dane_mta_deliveries_total{outcome,tls}`,
 * `dane_mta_dane_results_total{result}`, `dane_mta_dnssec_answers_total{status}`,
 * `dane_mta_queue_recipients{state}`, `dane_mta_queue_oldest_seconds`; the others are additions
 * an operator expects (latency, connections, intake, DSNs, exceptions, store errors, and the
 * statements and commits sent to the queue store: the database's cost per delivered message).
 * Core code never imports this: the daemon updates it from the diagnostics channels.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What a queue store has cost the database so far (the store's `counters()`). */
export interface StoreCost {
  queries: number;
  commits: number;
}

export interface QueueGauges {
  byState: Record<string, number>;
  held: number;
  oldestSeconds: number;
}

export class Metrics {
  readonly registry = new Registry();
  /** One per delivery of a message to a destination, by outcome and TLS of the deciding attempt. */
  readonly deliveries: Counter<'outcome' | 'tls'>;
  /** One per TLS peer judged under DANE and per attempt without DANE: validated, failed, unusable, none. */
  readonly daneResults: Counter<'result'>;
  /** One per answer of the validating resolver, by DNSSEC status. */
  readonly dnssecAnswers: Counter<'status'>;
  readonly queueRecipients: Gauge<'state'>;
  readonly queueHeld: Gauge;
  readonly queueOldest: Gauge;
  readonly deliveryDuration: Histogram<'outcome'>;
  readonly connectionsOpen: Gauge<'destination'>;
  readonly intake: Counter<'result'>;
  readonly dsns: Counter<'kind'>;
  readonly exceptions: Counter<'destination' | 'state'>;
  readonly storeErrors: Counter<'operation'>;
  /** Statements and write commits this process sent to the queue store (read at each scrape). */
  readonly storeStatements: Counter;
  readonly storeCommits: Counter;
  #storeCost: (() => StoreCost) | undefined;
  #storeSeen: StoreCost = { queries: 0, commits: 0 };

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.deliveries = new Counter({
      name: 'dane_mta_deliveries_total',
      help: 'Deliveries of a message to a destination, by outcome and TLS level of the deciding attempt',
      labelNames: ['outcome', 'tls'],
      registers,
    });
    this.daneResults = new Counter({
      name: 'dane_mta_dane_results_total',
      help: 'DANE results of connection attempts: validated, failed, unusable (TLSA but none usable), none',
      labelNames: ['result'],
      registers,
    });
    this.dnssecAnswers = new Counter({
      name: 'dane_mta_dnssec_answers_total',
      help: 'Answers of the validating resolver by DNSSEC status (secure, insecure, bogus, indeterminate)',
      labelNames: ['status'],
      registers,
    });
    this.queueRecipients = new Gauge({
      name: 'dane_mta_queue_recipients',
      help: 'Recipients in the queue by state (queued, deferred, delivered, bounced)',
      labelNames: ['state'],
      registers,
    });
    this.queueHeld = new Gauge({
      name: 'dane_mta_queue_held_recipients',
      help: 'Recipients held by an operator (queue hold)',
      registers,
    });
    this.queueOldest = new Gauge({
      name: 'dane_mta_queue_oldest_seconds',
      help: 'Age of the oldest message with a recipient not yet delivered or bounced',
      registers,
    });
    this.deliveryDuration = new Histogram({
      name: 'dane_mta_delivery_duration_seconds',
      help: 'Time from the start of a delivery to its result, by outcome',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.connectionsOpen = new Gauge({
      name: 'dane_mta_connections_open',
      help: 'Outbound connections open now, by destination',
      labelNames: ['destination'],
      registers,
    });
    this.intake = new Counter({
      name: 'dane_mta_intake_messages_total',
      help: 'Messages offered to SMTP intake, by result (accepted, rejected)',
      labelNames: ['result'],
      registers,
    });
    this.dsns = new Counter({
      name: 'dane_mta_dsn_total',
      help: 'Delivery status notifications queued, by kind (failure, delay, relayed)',
      labelNames: ['kind'],
      registers,
    });
    this.exceptions = new Counter({
      name: 'dane_mta_policy_exceptions_total',
      help: 'Deliveries under a DANE exception (state applied) or with an expired one ignored (state expired)',
      labelNames: ['destination', 'state'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'dane_mta_store_errors_total',
      help: 'Queue store operations that failed, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.storeStatements = new Counter({
      name: 'dane_mta_store_statements_total',
      help: 'SQL statements this process sent to the queue store (transaction control not counted)',
      registers,
      collect: () => {
        this.#syncStore();
      },
    });
    this.storeCommits = new Counter({
      name: 'dane_mta_store_commits_total',
      help: 'Write transactions this process committed to the queue store with a durable flush (fsync) of their own',
      registers,
      collect: () => {
        this.#syncStore();
      },
    });
    if (opts.processMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'dane_mta_' });
  }

  /** Count the store's statements and commits (its `counters()`, read at each scrape). */
  watchStore(read: () => StoreCost): void {
    this.#storeCost = read;
  }

  #syncStore(): void {
    const now = this.#storeCost?.();
    if (now === undefined) return;
    const seen = this.#storeSeen;
    if (now.queries > seen.queries) this.storeStatements.inc(now.queries - seen.queries);
    if (now.commits > seen.commits) this.storeCommits.inc(now.commits - seen.commits);
    this.#storeSeen = {
      queries: Math.max(now.queries, seen.queries),
      commits: Math.max(now.commits, seen.commits),
    };
  }

  /** Set the queue gauges from a store's statistics. */
  setQueue(q: QueueGauges): void {
    for (const [state, n] of Object.entries(q.byState)) this.queueRecipients.set({ state }, n);
    this.queueHeld.set(q.held);
    this.queueOldest.set(q.oldestSeconds);
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
