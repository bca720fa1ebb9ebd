/**
 * The delivery scheduler (DESIGN.md "Queue model"): claims due recipients from the queue store
 * with a lease, groups them by destination and message, and runs deliveries — one destination
 * per run, up to `messages_per_connection` messages per connection (RSET between them), at most
 * `concurrency` runs in all and the destination's concurrency (slow start, rate limits, and
 * across nodes a connection slot in the store on PostgreSQL). Results go back to the store in one
 * atomic `complete` per message, with DSNs (outcomes.ts). A destination whose every host failed
 * is held back until its next retry. Leases are renewed while work is in memory.
 * Must never: decide bounce or defer itself (delivery and policy/ do); keep a store transaction
 * open across SMTP; let two messages with different TLS requirements share a connection.
 */
import type { Config, DestinationPolicy } from '../config/index.ts';
import { destinationPolicy } from '../config/index.ts';
import type { DaneResolver } from '../dane/index.ts';
import {
  deliverJobs,
  type DeliveryResult,
  type DomainJob,
  type OpenSession,
  type ResultFacts,
} from '../delivery/index.ts';
import type { RetrySchedule } from '../policy/index.ts';
import type { QueueStore, QueuedRecipient } from '../queue/index.ts';
import { describeError, type Clock, type Random } from '../util/index.ts';
import { queueEventChannel, type AttemptEvent } from './events.ts';
import { Limiter } from './limits.ts';
import { applyResult, type QueueJob } from './outcomes.ts';
import { profileFor, type ProfileBase } from './profile.ts';

export interface SchedulerOptions {
  store: QueueStore;
  /** Lease owner: unique per running process. */
  owner: string;
  clock: Clock;
  random: Random;
  resolver: DaneResolver;
  config: Config;
  /** HELO, source address, SMTP timeout cap and extra CAs. */
  base: ProfileBase;
  open?: OpenSession;
  /** How often to look for due work when nothing wakes the scheduler (default 1 s). */
  pollMs?: number;
  /** Take a connection slot in the store per connection (PostgreSQL: limits across nodes). */
  useSlots?: boolean;
}

interface Destination {
  key: string;
  jobs: QueueJob[];
  limiter: Limiter;
  backoffUntil: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class Scheduler {
  readonly #o: SchedulerOptions;
  #config: Config;
  readonly #destinations = new Map<string, Destination>();
  readonly #limiters = new Map<string, Limiter>();
  /** Row ids leased and in memory (queued or running), for lease renewal. */
  readonly #leased = new Set<number>();
  readonly #runs = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  #stopping = false;
  #ticking = false;
  #again = false;

  constructor(opts: SchedulerOptions) {
    this.#o = opts;
    this.#config = opts.config;
  }

  /** Deliveries running now. */
  get inFlight(): number {
    return this.#runs.size;
  }

  /** Replace the configuration (SIGHUP: destinations and TLS policy). */
  reload(config: Config): void {
    this.#config = config;
    this.kick();
  }

  start(): void {
    this.#unwatch = this.#o.store.onWork(() => {
      this.kick();
    });
    const leaseMs = this.#config.queue.lease;
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(1000, Math.floor(leaseMs / 3)));
    this.#renewTimer.unref();
    this.kick();
  }

  /** Look for work now (coalesced with a tick in progress). */
  kick(): void {
    if (this.#stopping) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), 0);
  }

  /**
   * Stop claiming, let running deliveries finish for up to `graceMs`, then give the leases of
   * work that never started back at once (running work keeps its lease until it expires).
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#unwatch?.();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([...this.#runs]), grace]);
    if (timer !== undefined) clearTimeout(timer);
    if (this.#renewTimer !== undefined) clearInterval(this.#renewTimer);
    const waiting = [...this.#destinations.values()].flatMap((d) =>
      d.jobs.flatMap((j) => j.recipients.map((r) => r.rid)),
    );
    if (waiting.length > 0)
      await this.#safely('renew', () => this.#o.store.renew(this.#o.owner, waiting, this.#o.clock.now()));
    if (this.#runs.size === 0)
      await this.#safely('releaseLeases', () => this.#o.store.releaseLeases(this.#o.owner));
  }

  /** Read through a method: `stop()` may have run while this tick awaited the store. */
  #stopped(): boolean {
    return this.#stopping;
  }

  async #safely<T>(operation: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (e) {
      queueEventChannel.publish({ event: 'store-error', operation, error: describeError(e) });
      return undefined;
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopping) return;
    this.#ticking = true;
    let wakeAt = this.#o.clock.now() + (this.#o.pollMs ?? 1000);
    try {
      await this.#claim();
      wakeAt = Math.min(wakeAt, this.#dispatch());
    } finally {
      this.#ticking = false;
    }
    if (this.#stopped()) return;
    const delay = this.#again ? 0 : Math.max(0, wakeAt - this.#o.clock.now());
    this.#again = false;
    this.#timer = setTimeout(() => void this.#tick(), delay);
  }

  #inMemory(): number {
    let n = 0;
    for (const d of this.#destinations.values()) n += d.jobs.length;
    return n;
  }

  async #claim(): Promise<void> {
    const c = this.#config;
    const cap = c.delivery.concurrency * 4;
    const room = cap - this.#inMemory();
    if (room <= 0 || this.#runs.size >= c.delivery.concurrency) return;
    const now = this.#o.clock.now();
    const exclude = [...this.#destinations.values()]
      .filter(
        (d) => d.backoffUntil > now || d.jobs.length >= this.#policy(d.key, now).messages_per_connection * 4,
      )
      .map((d) => d.key);
    const claimed = await this.#safely('claim', () =>
      this.#o.store.claim({
        owner: this.#o.owner,
        now,
        leaseMs: c.queue.lease,
        limit: Math.min(room, 1000),
        excludeDomains: exclude,
      }),
    );
    for (const m of claimed ?? []) {
      const byDomain = new Map<string, QueuedRecipient[]>();
      for (const r of m.recipients) {
        this.#leased.add(r.rid);
        byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r]);
      }
      for (const [domain, recipients] of byDomain)
        this.#destination(domain).jobs.push({ message: m.message, recipients });
    }
    if ((claimed?.length ?? 0) > 0) this.#again = true;
  }

  #destination(key: string): Destination {
    let d = this.#destinations.get(key);
    if (d === undefined) {
      d = { key, jobs: [], limiter: this.#limiter(key), backoffUntil: 0 };
      this.#destinations.set(key, d);
    }
    return d;
  }

  #limiter(key: string): Limiter {
    let l = this.#limiters.get(key);
    if (l === undefined) {
      l = new Limiter(key);
      this.#limiters.set(key, l);
    }
    return l;
  }

  #policy(domain: string, now: number): DestinationPolicy {
    return destinationPolicy(this.#config, domain.startsWith('[') ? '' : domain, now);
  }

  /** Start every run that limits allow; resolves to the time a rate limit next frees up. */
  #dispatch(): number {
    let wakeAt = Number.POSITIVE_INFINITY;
    const now = this.#o.clock.now();
    for (const d of this.#destinations.values()) {
      if (d.jobs.length === 0) {
        if (d.limiter.running === 0) this.#destinations.delete(d.key);
        continue;
      }
      if (d.backoffUntil > now) continue;
      const policy = this.#policy(d.key, now);
      while (d.jobs.length > 0 && this.#runs.size < this.#config.delivery.concurrency) {
        if (d.limiter.freeConnections(policy.concurrency) === 0) break;
        const allowance = d.limiter.allowance(now, policy.rate);
        if (allowance.messages === 0) {
          wakeAt = Math.min(wakeAt, allowance.retryAt ?? now + 1000);
          break;
        }
        const batch = this.#takeBatch(d, Math.min(policy.messages_per_connection, allowance.messages));
        d.limiter.took(now, batch.length);
        this.#start(d, policy, batch);
      }
    }
    return wakeAt;
  }

  /** Up to `n` jobs that share the first job's TLS requirement (REQUIRETLS or not). */
  #takeBatch(d: Destination, n: number): QueueJob[] {
    const requireTls = d.jobs[0]?.message.requireTls ?? false;
    const batch: QueueJob[] = [];
    d.jobs = d.jobs.filter((j) => {
      if (batch.length < n && j.message.requireTls === requireTls) {
        batch.push(j);
        return false;
      }
      return true;
    });
    return batch;
  }

  #start(d: Destination, policy: DestinationPolicy, batch: QueueJob[]): void {
    d.limiter.running++;
    queueEventChannel.publish({ event: 'connection', domain: d.key, open: d.limiter.running });
    const run = this.#run(d, policy, batch)
      .catch((e: unknown) => {
        queueEventChannel.publish({ event: 'store-error', operation: 'deliver', error: describeError(e) });
      })
      .finally(() => {
        d.limiter.running--;
        queueEventChannel.publish({ event: 'connection', domain: d.key, open: d.limiter.running });
        for (const j of batch) for (const r of j.recipients) this.#leased.delete(r.rid);
        this.#runs.delete(run);
        this.kick();
      });
    this.#runs.add(run);
  }

  async #run(d: Destination, policy: DestinationPolicy, batch: QueueJob[]): Promise<void> {
    const o = this.#o;
    const started = o.clock.now();
    const slot = o.useSlots === true ? await this.#slot(d, policy, started) : null;
    if (slot === undefined) {
      d.jobs.unshift(...batch);
      return;
    }
    try {
      const bodies = await Promise.all(batch.map((j) => o.store.body(j.message.id)));
      const live = batch.filter((_, i) => bodies[i] !== undefined);
      if (live.length === 0) return;
      const liveBodies = bodies.filter((b): b is Uint8Array => b !== undefined);
      if (policy.expired !== null) {
        queueEventChannel.publish({
          event: 'exception-expired',
          domain: d.key,
          entry: policy.match ?? d.key,
          ...policy.expired,
        });
      }
      const requireTls = live[0]?.message.requireTls ?? false;
      const profile = profileFor(policy, o.base, { requireTls });
      const commits: Promise<number | undefined>[] = [];
      const results = await deliverJobs(
        live.map((j, i) => domainJob(d.key, j, liveBodies[i] ?? new Uint8Array())),
        {
          resolver: o.resolver,
          profile,
          clock: o.clock,
          random: o.random,
          ...(o.open === undefined ? {} : { open: o.open }),
          onResult: (i, result, facts) => {
            const job = live[i];
            if (job !== undefined)
              commits.push(
                this.#commit(job, result, facts, {
                  body: liveBodies[i] ?? new Uint8Array(),
                  started,
                  policy,
                }),
              );
          },
        },
      );
      const retries = (await Promise.all(commits)).filter((t): t is number => t !== undefined);
      this.#learn(d, policy, results, retries.length === 0 ? undefined : Math.min(...retries));
    } finally {
      if (slot !== null)
        await this.#safely('releaseSlot', () => o.store.releaseSlot(d.limiter.key, slot, o.owner));
    }
  }

  /** A connection slot across nodes; undefined when none is free (the batch waits). */
  async #slot(d: Destination, policy: DestinationPolicy, now: number): Promise<number | undefined> {
    const slot = await this.#safely('acquireSlot', () =>
      this.#o.store.acquireSlot(d.limiter.key, {
        owner: this.#o.owner,
        limit: policy.concurrency,
        now,
        until: now + this.#config.queue.lease,
      }),
    );
    if (slot === undefined) d.backoffUntil = now + 1000;
    return slot;
  }

  async #commit(
    job: QueueJob,
    result: DeliveryResult,
    facts: ResultFacts,
    run: { body: Uint8Array; started: number; policy: DestinationPolicy },
  ): Promise<number | undefined> {
    const o = this.#o;
    const now = o.clock.now();
    const applied = applyResult(job, result, facts, {
      now,
      random: o.random,
      schedule: this.#schedule(),
      hostname: this.#config.hostname,
      body: run.body,
    });
    const done = await this.#safely('complete', () => o.store.complete(o.owner, applied.complete, now));
    if (done !== undefined && done.skipped.length > 0) {
      queueEventChannel.publish({ event: 'lease-lost', id: job.message.id, recipients: done.skipped.length });
    }
    const decided = result.attempts.at(-1);
    const event: AttemptEvent = {
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
      duration_ms: now - run.started,
      ...(run.policy.exception === null ? {} : { exception: run.policy.exception }),
      transcript: result.log,
    };
    queueEventChannel.publish(event);
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

  #schedule(): RetrySchedule {
    const q = this.#config.queue;
    return { intervals: q.retry, maxAgeMs: q.max_age, delayWarningMs: q.delay_warning };
  }

  /**
   * Slow start learns from a run: a server answered → one more connection allowed; every host
   * failed → halve the window and hold the destination back until its next retry (the messages
   * waiting in memory for it are deferred to then without counting an attempt).
   */
  #learn(
    d: Destination,
    policy: DestinationPolicy,
    results: readonly DeliveryResult[],
    nextRetry: number | undefined,
  ): void {
    const reached = results.some((r) => r.tls !== null);
    if (reached) {
      d.limiter.succeeded(policy.concurrency);
      return;
    }
    d.limiter.failed();
    const deferred = results.find((r) => r.outcome === 'deferred');
    if (deferred === undefined || nextRetry === undefined) return;
    d.backoffUntil = nextRetry;
    void this.#holdBack(d, nextRetry, deferred.reason);
  }

  async #holdBack(d: Destination, until: number, reason: string): Promise<void> {
    const waiting = d.jobs;
    d.jobs = [];
    queueEventChannel.publish({
      event: 'backoff',
      domain: d.key,
      until: iso(until),
      reason,
      messages: waiting.length,
    });
    if (waiting.length === 0) return;
    const maxAge = this.#config.queue.max_age;
    const updates = waiting.flatMap((j) =>
      j.recipients.map((r) => ({
        rid: r.rid,
        state: 'deferred' as const,
        nextAttempt: Math.min(until, j.message.received + r.heldMs + maxAge),
        enhanced: r.enhanced ?? '4.4.1',
        reason: `destination ${d.key} held back after every host failed: ${reason}`,
        last: r.last,
        countAttempt: false,
      })),
    );
    for (const u of updates) this.#leased.delete(u.rid);
    await this.#safely('complete', () =>
      this.#o.store.complete(this.#o.owner, { updates }, this.#o.clock.now()),
    );
  }

  async #renew(): Promise<void> {
    if (this.#leased.size === 0) return;
    const rids = [...this.#leased];
    const until = this.#o.clock.now() + this.#config.queue.lease;
    const held = await this.#safely('renew', () => this.#o.store.renew(this.#o.owner, rids, until));
    if (held === undefined) return;
    const kept = new Set(held);
    for (const d of this.#destinations.values()) {
      const before = d.jobs.length;
      d.jobs = d.jobs.filter((j) => j.recipients.every((r) => kept.has(r.rid)));
      if (d.jobs.length < before)
        queueEventChannel.publish({ event: 'lease-lost', id: d.key, recipients: before - d.jobs.length });
    }
  }
}

/** The delivery job of one message for one destination key. */
function domainJob(key: string, j: QueueJob, body: Uint8Array): DomainJob {
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
