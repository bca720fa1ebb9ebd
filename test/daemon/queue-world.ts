/**
 * One running daemon (in this process, its clock movable) on the demo's three domains of the
 * simulated Internet, for the `dane-mta queue` tests: submit a message and wait for its first
 * attempts, wait for later attempts by position in the event log, and read `queue list --json`.
 * Retries are an hour apart, so an attempt soon after a command is the command's doing.
 * Test support only.
 */
import assert from 'node:assert/strict';
import type { Daemon } from '../../src/daemon/daemon.ts';
import type { AttemptEvent, QueueEvent } from '../../src/daemon/events.ts';
import { DEMO_SCENARIOS, startInternet, type Internet, type Receiver } from '../../src/lab/index.ts';
import { recordEvents, type EventLog } from './event-log.ts';
import {
  daemonWorld,
  intakeOf,
  queuedId,
  skipClock,
  startInProcess,
  submit,
  type DaemonWorld,
  type SkipClock,
} from './harness.ts';
import { queueJson, type CliRun, type ListedMessage } from './queue-cli.ts';

/** The sender: a DANE domain of the lab, so DSNs to it are delivered (and seen). */
export const SENDER = 'alice@dane-signed.test';
/** A deadline for one delivery attempt after a command: a broken daemon fails, never hangs. */
export const ATTEMPT_DEADLINE_MS = 20_000;
/** An ISO 8601 time as `queue list --json` writes it. */
export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export interface Sent {
  id: string;
  messageId: string;
  /** The first attempt to each recipient domain. */
  attempts: AttemptEvent[];
}

export interface QueueWorld {
  net: Internet;
  world: DaemonWorld;
  daemon: Daemon;
  clock: SkipClock;
  events: EventLog;
  receiver(host: string): Receiver;
  /** Submit one message and wait for its first attempt to each recipient domain. */
  send(to: string[], from?: string): Promise<Sent>;
  /** The first attempt of `id` (to `domain`) after position `from` of the event log. */
  attemptAfter(from: number, id: string, domain?: string): Promise<AttemptEvent>;
  listJson(...filters: string[]): Promise<ListedMessage[]>;
  listIds(...filters: string[]): Promise<string[]>;
  /** The message as `queue list --json` shows it. */
  listed(id: string): Promise<ListedMessage>;
  close(): Promise<void>;
}

export const attemptOf =
  (id: string, domain?: string) =>
  (e: QueueEvent): e is AttemptEvent =>
    e.event === 'attempt' && e.id === id && (domain === undefined || e.domain === domain);

/** The lab on `baseAddress` (127.N.0.0), the daemon's intake on `listen`. */
export async function startQueueWorld(opts: { baseAddress: string; listen: string }): Promise<QueueWorld> {
  const net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: opts.baseAddress });
  const world = await daemonWorld(net, { listen: opts.listen, retry: '1h', maxAge: '2d' });
  const clock = skipClock();
  const events = recordEvents();
  const { daemon } = await startInProcess(world, { clock });
  let serial = 0;
  const attemptAfter = (from: number, id: string, domain?: string): Promise<AttemptEvent> => {
    const what = `an attempt of ${id}${domain === undefined ? '' : ` to ${domain}`}`;
    return events.waitFor(attemptOf(id, domain), what, { from, deadlineMs: ATTEMPT_DEADLINE_MS });
  };
  const listJson = (...filters: string[]): Promise<ListedMessage[]> =>
    queueJson<ListedMessage[]>(world, 'list', ...filters);
  return {
    net,
    world,
    daemon,
    clock,
    events,
    receiver: (host) => {
      const rx = net.receivers.get(host);
      if (rx === undefined) throw new Error(`no receiver ${host}`);
      return rx;
    },
    send: async (to, from = SENDER) => {
      serial += 1;
      const messageId = `<queue-${serial}@client.daemon.test>`;
      const body = `Message-ID: ${messageId}\r\nFrom: ${from}\r\nTo: ${to.join(', ')}\r\nSubject: ${serial}\r\n\r\nhello\r\n`;
      const mark = events.mark();
      const id = queuedId(await submit(intakeOf(daemon), { from, to, body }));
      const domains = [...new Set(to.map((a) => a.slice(a.indexOf('@') + 1)))];
      const attempts = await Promise.all(domains.map((d) => attemptAfter(mark, id, d)));
      return { id, messageId, attempts };
    },
    attemptAfter,
    listJson,
    listIds: async (...filters) => (await listJson(...filters)).map((m) => m.id),
    listed: async (id) => {
      const m = (await listJson()).find((x) => x.id === id);
      if (m === undefined) throw new Error(`${id} not listed`);
      return m;
    },
    close: async () => {
      await daemon.stop('test');
      events.close();
      await world.close();
      await net.close();
    },
  };
}

/** A changing command's audit line: one JSON line on stderr naming the action and the user. */
export function assertAudit(r: CliRun, event: string): void {
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  const line = JSON.parse(lines[0] ?? '') as { event?: string; user?: string };
  assert.equal(line.event, event);
  assert.equal(typeof line.user, 'string');
}
