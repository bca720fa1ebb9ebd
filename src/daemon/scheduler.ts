/**
 * The delivery scheduler (DESIGN.md "Queue model"): claims due recipients from the queue store
 * with a lease, groups them by destination and message, and runs deliveries — one destination
 * per run, up to `messages_per_connection` messages per connection (RSET between them), at most
 * `concurrency` runs in all and the destination's concurrency (slow start, rate limits, and
 * across nodes a connection slot in the store on PostgreSQL). Results go back to the store in one
 * atomic `complete` per message, with DSNs (outcomes.ts). A destination whose every host failed
 * is held back until its next retry. Leases are renewed while work is in memory, slots while
 * their connection is open.
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
import { ConnectionCache, type Carrier } from './connection-cache.ts';
import { queueEventChannel } from './events.ts';
import { LeaseKeeper } from './leases.ts';
import { Limiter } from './limits.ts';
import { domainJob, holdBackUpdates, publishOutcome } from './jobs.ts';
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
  /** Every host failed: messages for it are deferred until then (Postfix's dead destination). */
  backoffUntil: number;
  backoffReason: string;
  /** No connection slot was free across the nodes: try again then. */
  waitUntil: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Two policies that open connections alike: same TLS mode, insecure-MX policy, port, exception. */
function sameTransport(a: DestinationPolicy, b: DestinationPolicy): boolean {
  return (
    a.tls === b.tls &&
    a.insecure_mx === b.insecure_mx &&
    a.port === b.port &&
    a.exception?.until === b.exception?.until
  );
}

export class Scheduler {
  readonly #o: SchedulerOptions;
  #config: Config;
  readonly #destinations = new Map<string, Destination>();
  readonly #limiters = new Map<string, Limiter>();
  /** Row ids leased and in memory (queued or running), for lease renewal. */
  readonly #leases = new LeaseKeeper();
  /** Connection slots held by running deliveries (PostgreSQL), renewed with the leases. */
  readonly #slots = new Set<{ key: string; slot: number }>();
  readonly #runs = new Set<Promise<void>>();
  /** Runs whose connection waits for more mail to its destination. */
  readonly #cache = new ConnectionCache();
  /** Bumped by every reload: a connection opened under an older configuration takes no more mail. */
  #generation = 0;
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
    this.#generation++;
    this.#cache.release();
    // A destination held back was judged under the old policy: give it a fresh try under the new.
    for (const d of this.#destinations.values()) d.backoffUntil = 0;
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
    this.#cache.release();
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

  /**
   * Claims work. Mail for a destination held back after every host failed waits for the hold to
   * end, unattempted — but a recipient tried before coming due again (an operator's `queue
   * retry` or `release`, or its own retry time) ends the hold at once, as Postfix's flush
   * revives a dead destination.
   */
  async #claim(): Promise<void> {
    const c = this.#config;
    const cap = c.delivery.concurrency * 4;
    const room = cap - this.#inMemory();
    if (room <= 0 || this.#runs.size - this.#cache.size >= c.delivery.concurrency) return;
    const now = this.#o.clock.now();
    const exclude = [...this.#destinations.values()]
      .filter((d) => d.jobs.length >= this.#policy(d.key, now).messages_per_connection * 4)
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
        this.#leases.add([r.rid]);
        byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r]);
      }
      for (const [domain, recipients] of byDomain) {
        const d = this.#destination(domain);
        d.jobs.push({ message: m.message, recipients });
        if (d.backoffUntil > now && recipients.some((r) => r.attempts > 0)) d.backoffUntil = 0;
      }
    }
    if ((claimed?.length ?? 0) > 0) this.#again = true;
  }

  #destination(key: string): Destination {
    let d = this.#destinations.get(key);
    if (d === undefined) {
      d = { key, jobs: [], limiter: this.#limiter(key), backoffUntil: 0, backoffReason: '', waitUntil: 0 };
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
        if (d.limiter.running === 0 && d.backoffUntil <= now) this.#destinations.delete(d.key);
        continue;
      }
      if (d.backoffUntil > now) {
        void this.#holdBack(d, d.backoffUntil, d.backoffReason);
        continue;
      }
      if (d.waitUntil > now) {
        wakeAt = Math.min(wakeAt, d.waitUntil);
        continue;
      }
      const policy = this.#policy(d.key, now);
      if (this.#cache.waiting(d.key) > 0) {
        const allowed = Math.min(d.jobs.length, d.limiter.reuseAllowance(now, policy.rate));
        this.#cache.offer(d.key, allowed, (carrier, n) => {
          if (!this.#mayCarry(d, carrier, policy, now)) return [];
          const jobs = this.#takeBatch(d, n, carrier.requireTls);
          d.limiter.carried(now, jobs.length);
          return jobs;
        });
      }
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
      // Every run is taken, some by connections only waiting for mail: close those, so that
      // this destination gets its turn.
      if (d.jobs.length > 0 && this.#runs.size >= this.#config.delivery.concurrency) this.#cache.release();
    }
    return wakeAt;
  }

  /** Up to `n` jobs that share a TLS requirement (REQUIRETLS or not; default: the first job's). */
  #takeBatch(d: Destination, n: number, requireTls = d.jobs[0]?.message.requireTls ?? false): QueueJob[] {
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
    let waiting = false;
    const run = this.#run(d, policy, batch)
      .then((ran) => {
        waiting = !ran;
      })
      .catch((e: unknown) => {
        queueEventChannel.publish({ event: 'store-error', operation: 'deliver', error: describeError(e) });
      })
      .finally(() => {
        d.limiter.running--;
        queueEventChannel.publish({ event: 'connection', domain: d.key, open: d.limiter.running });
        // A batch back in the queue for want of a slot keeps its leases (renewed while it waits).
        if (!waiting) for (const j of batch) this.#leases.remove(j.recipients.map((r) => r.rid));
        this.#runs.delete(run);
        this.kick();
      });
    this.#runs.add(run);
  }

  /** Deliver a batch; false when no connection slot was free and the batch went back to wait. */
  async #run(d: Destination, policy: DestinationPolicy, batch: QueueJob[]): Promise<boolean> {
    const o = this.#o;
    const started = o.clock.now();
    const slot = o.useSlots === true ? await this.#slot(d, policy, started) : null;
    if (slot === undefined) {
      d.jobs.unshift(...batch);
      return false;
    }
    const held = slot === null ? undefined : { key: d.limiter.key, slot };
    if (held !== undefined) this.#slots.add(held);
    try {
      const bodies = await Promise.all(batch.map((j) => o.store.body(j.message.id)));
      const live = batch.filter((_, i) => bodies[i] !== undefined);
      if (live.length === 0) return true;
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
      const generation = this.#generation;
      const slowStart = { credited: false };
      const results = await deliverJobs(
        live.map((j, i) => domainJob(d.key, j, liveBodies[i] ?? new Uint8Array())),
        {
          resolver: o.resolver,
          profile,
          clock: o.clock,
          random: o.random,
          ...(o.open === undefined ? {} : { open: o.open }),
          more: async (room) => {
            if (generation !== this.#generation) return [];
            const more = await this.#more(d, { requireTls, room, started, policy });
            batch.push(...more);
            const moreBodies = await Promise.all(more.map((j) => o.store.body(j.message.id)));
            const jobs: DomainJob[] = [];
            more.forEach((j, i) => {
              const body = moreBodies[i];
              if (body === undefined) return; // deleted meanwhile (queue delete)
              live.push(j);
              liveBodies.push(body);
              jobs.push(domainJob(d.key, j, body));
            });
            return jobs;
          },
          onResult: (i, result, facts) => {
            // Slow start grows as soon as a server answers (Postfix: feedback per delivery), not
            // when the run ends — a run on a cached connection can last minutes.
            if (!slowStart.credited && result.tls !== null) {
              slowStart.credited = true;
              d.limiter.succeeded(policy.concurrency);
              this.kick();
            }
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
      const nextRetry = retries.length === 0 ? undefined : Math.min(...retries);
      if (!slowStart.credited)
        this.#learn(d, policy, results, batch[0]?.message.requireTls === true ? undefined : nextRetry);
      return true;
    } finally {
      if (held !== undefined) {
        this.#slots.delete(held);
        await this.#safely('releaseSlot', () => o.store.releaseSlot(held.key, held.slot, o.owner));
      }
    }
  }

  /**
   * More mail for a run's connection that sent all of its own: jobs waiting for the destination
   * now (its share, when other connections to it are open), else whatever comes within
   * `connection_cache_time`. None once the connection is `connection_reuse_time` old, while
   * stopping, when the destination is held back, or when its policy is not the one the
   * connection was opened under any more (a DANE exception that has just ended).
   */
  async #more(d: Destination, w: Carrier): Promise<QueueJob[]> {
    const c = this.#config.delivery;
    const now = this.#o.clock.now();
    const policy = this.#policy(d.key, now);
    if (!this.#mayCarry(d, w, policy, now)) return [];
    const room = Math.min(w.room, d.limiter.reuseAllowance(now, policy.rate));
    if (room <= 0) return [];
    const share = Math.ceil(d.jobs.length / Math.max(1, d.limiter.running - this.#cache.waiting(d.key)));
    const jobs = this.#takeBatch(d, Math.min(room, share), w.requireTls);
    if (jobs.length > 0 || c.connection_cache_time === 0) {
      d.limiter.carried(now, jobs.length);
      return jobs;
    }
    return this.#cache.wait(d.key, { ...w, room }, c.connection_cache_time);
  }

  /**
   * May a connection opened for `carrier` take more mail now? Not while stopping, once it is
   * `connection_reuse_time` old, while the destination is held back, nor when the destination's
   * policy now (`policy`) opens connections differently — a DANE exception that has just ended.
   */
  #mayCarry(d: Destination, carrier: Carrier, policy: DestinationPolicy, now: number): boolean {
    if (this.#stopping || d.backoffUntil > now) return false;
    if (now - carrier.started >= this.#config.delivery.connection_reuse_time) return false;
    return sameTransport(policy, carrier.policy);
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
    if (slot === undefined) d.waitUntil = now + 1000;
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
    return publishOutcome(job, result, applied, {
      now,
      started: run.started,
      exception: run.policy.exception,
    });
  }

  #schedule(): RetrySchedule {
    const q = this.#config.queue;
    return { intervals: q.retry, maxAgeMs: q.max_age, delayWarningMs: q.delay_warning };
  }

  /**
   * Slow start learns from a run: a server answered → one more connection allowed; every host
   * failed → halve the window and hold the destination back until its next retry (the messages
   * waiting in memory for it are deferred to then without counting an attempt). A REQUIRETLS
   * batch that failed says nothing about ordinary mail to the destination: it holds nothing back.
   */
  #learn(
    d: Destination,
    policy: DestinationPolicy,
    results: readonly DeliveryResult[],
    /** When the destination is held back after every host failed; undefined: not at all. */
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
    d.backoffReason = deferred.reason;
    void this.#holdBack(d, nextRetry, deferred.reason, true);
  }

  async #holdBack(d: Destination, until: number, reason: string, announce = false): Promise<void> {
    this.#cache.release(d.key);
    const waiting = d.jobs;
    d.jobs = [];
    if (announce)
      queueEventChannel.publish({
        event: 'backoff',
        domain: d.key,
        until: iso(until),
        reason,
        messages: waiting.length,
      });
    if (waiting.length === 0) return;
    const updates = holdBackUpdates(waiting, {
      key: d.key,
      until,
      reason,
      maxAgeMs: this.#config.queue.max_age,
    });
    this.#leases.remove(updates.map((u) => u.rid));
    await this.#safely('complete', () =>
      this.#o.store.complete(this.#o.owner, { updates }, this.#o.clock.now()),
    );
  }

  /** Extend the leases of recipients in memory and of the slots of connections still open. */
  async #renew(): Promise<void> {
    const until = this.#o.clock.now() + this.#config.queue.lease;
    await Promise.all([this.#renewLeases(until), this.#renewSlots(until)]);
  }

  /**
   * A connection may outlive the slot's lease (a long batch): without renewal another node
   * would take the expired slot over while this connection is still open, and the destination
   * would see one connection more than its limit.
   */
  async #renewSlots(until: number): Promise<void> {
    const o = this.#o;
    await Promise.all(
      [...this.#slots].map(async (held) => {
        const kept = await this.#safely('renewSlot', () =>
          o.store.renewSlot(held.key, held.slot, { owner: o.owner, until }),
        );
        if (kept === false && this.#slots.has(held))
          queueEventChannel.publish({ event: 'slot-lost', domain: held.key, slot: held.slot });
      }),
    );
  }

  async #renewLeases(until: number): Promise<void> {
    const o = this.#o;
    const lost = await this.#safely('renew', () => this.#leases.renew(o.store, o.owner, until));
    if (lost === undefined || lost.size === 0) return;
    for (const d of this.#destinations.values()) {
      const dropped = d.jobs.filter((j) => j.recipients.some((r) => lost.has(r.rid)));
      if (dropped.length === 0) continue;
      d.jobs = d.jobs.filter((j) => !dropped.includes(j));
      for (const j of dropped) this.#leases.remove(j.recipients.map((r) => r.rid));
      const recipients = dropped.reduce((n, j) => n + j.recipients.length, 0);
      queueEventChannel.publish({ event: 'lease-lost', id: d.key, recipients });
    }
  }
}
