/**
 * `dane-mta serve`: the MTA daemon (DESIGN.md "The daemon (C6)"). Wires the configuration into
 * the queue store, the validating resolver (the composition root's `createResolver`), SMTP
 * intake, the delivery scheduler, the log, the metrics and the HTTP endpoint; prunes final
 * messages; reloads destinations and TLS policy on request; stops gracefully.
 * Promises: a message acknowledged with 250 is in the store (intake enqueues, fsync'd, before
 * the 250) and stays there until it is delivered, bounced with a DSN, or deleted by an operator.
 * Must never: start on a store whose schema it does not know; lose a message on shutdown.
 */
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { loadConfig, type Config } from '../config/index.ts';
import type { OpenSession } from '../delivery/index.ts';
import { createResolver, type DnsSettings } from '../mta/index.ts';
import { createLogger, Metrics, type LogFormat } from '../obs/index.ts';
import { newQueueId, openQueueStore, redactUrl, type QueueStore } from '../queue/index.ts';
import { startIntake, type Intake, type IntakeEvent } from '../smtp/server/index.ts';
import { cryptoRandom, describeError, systemClock, type Clock, type Random } from '../util/index.ts';
import { queueEventChannel } from './events.ts';
import { checkHealth } from './health.ts';
import { startHttp, type HttpEndpoint } from './http.ts';
import { Scheduler } from './scheduler.ts';
import { subscribeTelemetry } from './telemetry.ts';

export interface DaemonOptions {
  /** The configuration file (its problems are ConfigLoadErrors). */
  configFile: string;
  /** `--log-format`, overriding the configuration's `log.format`. */
  logFormat?: LogFormat;
  /** Where log lines go (default: standard output). */
  write?: (line: string) => void;
  clock?: Clock;
  random?: Random;
  /** Lease owner name (default: host name, pid and a random suffix). */
  owner?: string;
  /** Test seam: the SMTP client's session opener. */
  open?: OpenSession;
  /** Scheduler poll interval (default 1 s). */
  pollMs?: number;
}

export interface Daemon {
  readonly config: Config;
  /** Bound intake listeners (`IP:port`). */
  readonly listeners: readonly string[];
  /** Bound HTTP endpoint, when configured. */
  readonly http: string | null;
  readonly store: QueueStore;
  readonly metrics: Metrics;
  /** Re-read the configuration and apply `delivery` (destinations, TLS policy, limits). */
  reload(): string[];
  /** Stop accepting, let in-flight work finish within the grace period, close everything. */
  stop(reason?: string): Promise<void>;
}

const readText = (file: string): string => readFileSync(file, 'utf8');

/** The configuration's `dns:` section as the composition root's settings (files read here). */
export function dnsSettingsOf(config: Config): DnsSettings {
  const d = config.dns;
  const settings: DnsSettings = { mode: d.mode, timeoutMs: d.timeout };
  if (d.resolvers.length > 0)
    settings.resolvers = d.resolvers.map((r) =>
      r.host.includes(':') ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`,
    );
  if (d.trust_anchors.length > 0) settings.trustAnchors = d.trust_anchors.map(readText).join('\n');
  if (d.root_hints !== undefined) settings.rootHints = readText(d.root_hints);
  if (d.port !== undefined) settings.port = d.port;
  return settings;
}

/** Every 10 minutes, final messages older than `queue.retain` are pruned. */
const PRUNE_EVERY_MS = 10 * 60_000;
/** Queue gauges (depth by state, oldest age) are refreshed this often. */
const STATS_EVERY_MS = 5000;

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? cryptoRandom;
  const loaded = loadConfig(opts.configFile, { now: clock.now() });
  let config = loaded.config;
  const log = createLogger({
    format: opts.logFormat ?? config.log.format,
    level: config.log.level,
    ...(opts.write === undefined ? {} : { write: opts.write }),
  });
  for (const w of loaded.warnings) log.warn({ event: 'config-warning' }, w);
  const metrics = new Metrics({ processMetrics: true });
  const unsubscribe = subscribeTelemetry(log, metrics);
  const owner = opts.owner ?? `${osHostname()}:${process.pid}:${random.int(1 << 30).toString(36)}`;
  const resolver = createResolver(dnsSettingsOf(config), {
    clock,
    random,
    onWarning: (w) => {
      log.warn({ event: 'dns-warning' }, w);
    },
  });
  const store = await openQueueStore(config.queue.url, {
    requireCurrent: true,
    listen: config.queue.listen_notify,
  });
  const started: { intake?: Intake; http?: HttpEndpoint; scheduler?: Scheduler } = {};
  const timers: NodeJS.Timeout[] = [];
  try {
    const scheduler = new Scheduler({
      store,
      owner,
      clock,
      random,
      resolver,
      config,
      base: baseOf(config),
      useSlots: store.kind === 'postgres',
      ...(opts.open === undefined ? {} : { open: opts.open }),
      ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
    });
    started.scheduler = scheduler;
    started.intake = await startIntake({
      listen: config.listen,
      hostname: config.hostname,
      limits: config.limits,
      queue: {
        enqueue: async (m) => {
          await store.enqueue(m);
          scheduler.kick();
        },
      },
      newId: newQueueId,
      clock,
      random,
      onEvent: (e: IntakeEvent) => {
        if (e.type === 'disconnected') return;
        metrics.intake.inc({ result: e.type });
        if (e.type === 'accepted') log.info({ event: 'received', ...e }, `${e.id} received from ${e.client}`);
        else
          log.warn(
            { event: 'refused', ...e },
            `${e.stage} refused for ${e.client}: ${e.code} ${e.enhanced} ${e.reason}`,
          );
      },
    });
    if (config.http.listen !== undefined) {
      started.http = await startHttp(config.http.listen, {
        metrics,
        health: () => checkHealth({ store, resolver, clock }),
        now: () => clock.now(),
      });
    }
    scheduler.start();
    timers.push(
      setInterval(() => {
        void store.prune(clock.now() - config.queue.retain).then(
          (n) => {
            if (n > 0) queueEventChannel.publish({ event: 'pruned', messages: n });
          },
          (e: unknown) => {
            queueEventChannel.publish({ event: 'store-error', operation: 'prune', error: describeError(e) });
          },
        );
      }, PRUNE_EVERY_MS),
      setInterval(() => void refreshGauges(store, metrics, clock), STATS_EVERY_MS),
    );
    for (const t of timers) t.unref();
    await refreshGauges(store, metrics, clock);
  } catch (e) {
    await Promise.allSettled([started.intake?.close({ graceMs: 0 }), started.http?.close()]);
    await store.close();
    unsubscribe();
    throw e;
  }
  const { intake, scheduler } = started as Required<Pick<typeof started, 'intake' | 'scheduler'>>;
  const listeners = intake.listeners.map((l) => l.name);
  queueEventChannel.publish({ event: 'started', owner, store: redactUrl(config.queue.url), listeners });
  let stopping: Promise<void> | undefined;
  return {
    get config() {
      return config;
    },
    listeners,
    http: started.http?.address ?? null,
    store,
    metrics,
    reload: () => {
      const next = loadConfig(opts.configFile, { now: clock.now() });
      const kept = {
        ...next.config,
        listen: config.listen,
        queue: config.queue,
        dns: config.dns,
        http: config.http,
      };
      config = kept;
      scheduler.reload(kept);
      const warnings = [...next.warnings];
      for (const key of ['listen', 'queue', 'dns', 'http'] as const) {
        if (JSON.stringify(next.config[key]) !== JSON.stringify(loaded.config[key])) {
          warnings.push(`${key} changed: it takes effect at the next restart`);
        }
      }
      queueEventChannel.publish({
        event: 'reloaded',
        destinations: kept.delivery.destinations.length,
        warnings,
      });
      return warnings;
    },
    stop: (reason = 'stop') =>
      (stopping ??= (async () => {
        queueEventChannel.publish({ event: 'stopping', signal: reason, in_flight: scheduler.inFlight });
        const grace = config.shutdown.grace;
        for (const t of timers) clearInterval(t);
        await intake.close({ graceMs: grace });
        await scheduler.stop(grace);
        await started.http?.close();
        await store.close();
        unsubscribe();
      })()),
  };
}

function baseOf(config: Config) {
  const d = config.delivery;
  return {
    helo: d.helo,
    ca: d.ca.map(readText),
    ...(d.source === undefined ? {} : { source: d.source }),
    ...(d.timeout === undefined ? {} : { timeoutMs: d.timeout }),
  };
}

async function refreshGauges(store: QueueStore, metrics: Metrics, clock: Clock): Promise<void> {
  try {
    const s = await store.stats(clock.now(), { top: 0 });
    metrics.setQueue({
      byState: s.byState,
      held: s.held,
      oldestSeconds: s.oldestMs === null ? 0 : s.oldestMs / 1000,
    });
  } catch (e) {
    queueEventChannel.publish({ event: 'store-error', operation: 'stats', error: describeError(e) });
  }
}
