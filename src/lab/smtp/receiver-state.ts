/**
 * The bookkeeping of one receiving MX: connections (counted as the TCP listener accepts them,
 * each with its ConnectionTap), sessions by smtp-server id with the commands and replies the tap
 * rebuilt, accepted messages, the temporary-failure switches (RFC 5321 §4.2.5: 451 "Requested
 * action aborted: local error in processing") and the waiters of `waitFor`, woken at every
 * recorded event. Takes no facts from smtp-server's log. Never throws into smtp-server's code
 * paths (the callers wrap it) and never reads the clock except through the injected one.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { describeError, systemClock } from '../../util/index.ts';
import type { Clock } from '../../util/index.ts';
import { ConnectionTap } from './connection-tap.ts';
import {
  LabReceiverError,
  type FailureStage,
  type ReceivedMessage,
  type ReceivedSession,
  type ReceiverStats,
  type SmtpRejection,
  type StartReceiverOptions,
  type TemporaryFailureOptions,
  type WaitOptions,
} from './receiver-types.ts';

/** The reply of a temporary failure unless a test names another. */
const DEFAULT_TEMPORARY_FAILURE: SmtpRejection = {
  code: 451,
  message: 'Requested action aborted: local error in processing',
};
const DEFAULT_WAIT_MS = 10_000;
const STAGES: readonly string[] = ['rcpt', 'data'] satisfies FailureStage[];

interface FailureSwitch {
  readonly reply: SmtpRejection;
  /** Messages still to fail (Infinity: until turned off). */
  remaining: number;
  /** Transactions (`session#n`) whose RCPTs fail: every RCPT of one transaction alike. */
  readonly charged: Set<string>;
}

interface Waiter {
  check(): void;
  fail(why: string): void;
}

function endpoint(address: string | undefined, port: number | undefined): string {
  return `${(address ?? '').replace(/^::ffff:/, '')}|${port ?? 0}`;
}

/** Per-receiver bookkeeping. */
export class ReceiverState {
  readonly messages: ReceivedMessage[] = [];
  readonly sessions: ReceivedSession[] = [];
  readonly sniSeen: string[] = [];
  readonly byId = new Map<string, ReceivedSession>();
  /** Open sockets (plaintext and TLS), for close() and down(). */
  readonly sockets = new Set<Socket>();
  readonly opts: StartReceiverOptions;
  readonly clock: Clock;
  /** Taps of accepted connections by remote endpoint, until onConnect claims them. */
  readonly #taps = new Map<string, ConnectionTap>();
  readonly #sessionOfTap = new WeakMap<ConnectionTap, ReceivedSession>();
  readonly #tapOfSession = new Map<string, ConnectionTap>();
  readonly #connections = { total: 0, open: 0, peak: 0 };
  readonly #temporaryFailures = { rcpt: 0, data: 0 };
  readonly #switches = new Map<FailureStage, FailureSwitch>();
  readonly #waiters = new Set<Waiter>();
  #queued = 0;
  #closed = false;
  /** Set by close(): called whenever a session ends. */
  onSessionClosed: (() => void) | undefined;

  constructor(opts: StartReceiverOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
  }

  /** A TCP connection was accepted: count it and tap it. */
  accept(socket: Socket): void {
    const c = this.#connections;
    c.total += 1;
    c.open += 1;
    c.peak = Math.max(c.peak, c.open);
    this.sockets.add(socket);
    const key = endpoint(socket.remoteAddress, socket.remotePort);
    const tap = new ConnectionTap(socket, {
      onClose: () => {
        c.open -= 1;
        this.sockets.delete(socket);
        if (this.#taps.get(key) === tap) this.#taps.delete(key);
        this.notify();
      },
      onError: (err) => {
        this.#noteError(this.#sessionOf(tap), err);
      },
    });
    this.#taps.set(key, tap);
    this.notify();
  }

  #sessionOf(tap: ConnectionTap): ReceivedSession | undefined {
    return this.#sessionOfTap.get(tap);
  }

  /** smtp-server's onConnect: the session record, and the transcript from the greeting on. */
  open(session: { id: string; remoteAddress: string; remotePort: number }): ReceivedSession {
    const record: ReceivedSession = {
      id: session.id,
      remoteAddress: session.remoteAddress,
      remotePort: session.remotePort,
      startedAt: this.clock.now(),
      tls: { used: false, startTls: false },
      commands: [],
      replies: [],
      transactions: 0,
      messagesAccepted: 0,
      resets: 0,
    };
    this.byId.set(session.id, record);
    this.sessions.push(record);
    const tap = this.#taps.get(endpoint(session.remoteAddress, session.remotePort));
    if (tap !== undefined) {
      this.#sessionOfTap.set(tap, record);
      this.#tapOfSession.set(session.id, tap);
      tap.attach({
        onCommand: (line) => {
          this.#noteCommand(record, line);
        },
        onReply: (lines) => {
          record.replies.push(...lines);
          this.notify();
        },
      });
    }
    this.notify();
    return record;
  }

  /** The TLS socket of a session after STARTTLS: tap it and keep it for close(). */
  secured(sessionId: string, socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.#tapOfSession.get(sessionId)?.secure(socket);
  }

  /** A connection-level error of a session (smtp-server's connection 'error' or a socket's). */
  noteError(sessionId: string, err: unknown): void {
    this.#noteError(this.byId.get(sessionId), err);
  }

  #noteError(record: ReceivedSession | undefined, err: unknown): void {
    if (record === undefined) return;
    const text = describeError(err);
    record.error = text;
    if (record.tls.startTls && !record.tls.used) record.tls.error = text;
    this.notify();
  }

  #noteCommand(record: ReceivedSession, line: string): void {
    record.commands.push(line);
    const [verb = '', arg] = line.trim().split(/\s+/);
    const upper = verb.toUpperCase();
    if (upper === 'STARTTLS') record.tls.startTls = true;
    if (upper === 'RSET') record.resets += 1;
    if ((upper === 'EHLO' || upper === 'HELO') && arg !== undefined) record.heloName = arg;
    this.notify();
  }

  /** smtp-server's onClose. */
  close(id: string): void {
    const record = this.byId.get(id);
    if (record === undefined) return;
    record.closedAt = this.clock.now();
    this.#tapOfSession.delete(id);
    if (record.tls.startTls && !record.tls.used) {
      record.tls.error ??= 'connection closed before the TLS handshake completed';
    }
    this.onSessionClosed?.();
    this.notify();
  }

  allClosed(): boolean {
    return this.sessions.every((s) => s.closedAt !== undefined);
  }

  /** A MAIL command was accepted: a transaction begins. */
  beginTransaction(sessionId: string): void {
    const record = this.byId.get(sessionId);
    if (record !== undefined) record.transactions += 1;
  }

  /** Record an accepted message and give it its queue id. */
  accepted(message: Omit<ReceivedMessage, 'queueId' | 'transaction'>): ReceivedMessage {
    this.#queued += 1;
    const record = this.byId.get(message.sessionId);
    if (record !== undefined) record.messagesAccepted += 1;
    const full: ReceivedMessage = {
      ...message,
      queueId: `${message.sessionId}.${this.#queued}`,
      transaction: record?.transactions ?? 0,
    };
    this.messages.push(full);
    this.notify();
    return full;
  }

  /** SNI from a ClientHello: credited to the one session waiting in a handshake, if unambiguous. */
  noteSni(servername: string): void {
    this.sniSeen.push(servername);
    const waiting = this.sessions.filter(
      (s) => s.tls.startTls && !s.tls.used && s.closedAt === undefined && s.tls.servername === undefined,
    );
    if (waiting.length === 1 && waiting[0] !== undefined) waiting[0].tls.servername = servername;
  }

  stats(): ReceiverStats {
    return {
      connections: { ...this.#connections },
      sessions: this.sessions.length,
      messages: this.messages.length,
      temporaryFailures: { ...this.#temporaryFailures },
    };
  }

  /** Turn a temporary-failure switch on (replacing one of the same stage). */
  failTemporarily(stage: FailureStage, opts: TemporaryFailureOptions = {}): void {
    if (!STAGES.includes(stage)) {
      throw new LabReceiverError('LAB_ERR_RECEIVER_ARGUMENT', `unknown failure stage ${stage}`);
    }
    const count = opts.count ?? Infinity;
    if (count !== Infinity && (!Number.isInteger(count) || count <= 0)) {
      throw new LabReceiverError(
        'LAB_ERR_RECEIVER_ARGUMENT',
        `count must be a positive integer, got ${count}`,
      );
    }
    const reply = opts.reply ?? DEFAULT_TEMPORARY_FAILURE;
    if (!Number.isInteger(reply.code) || reply.code < 400 || reply.code > 599) {
      throw new LabReceiverError('LAB_ERR_RECEIVER_ARGUMENT', `reply code ${reply.code} is not 4xx/5xx`);
    }
    this.#switches.set(stage, { reply, remaining: count, charged: new Set() });
  }

  stopFailing(stage?: FailureStage): void {
    if (stage === undefined) this.#switches.clear();
    else this.#switches.delete(stage);
  }

  /** The temporary failure for this RCPT, if a switch says so. */
  rcptFailure(sessionId: string): SmtpRejection | undefined {
    const sw = this.#switches.get('rcpt');
    if (sw === undefined) return undefined;
    const transaction = `${sessionId}#${this.byId.get(sessionId)?.transactions ?? 0}`;
    if (!sw.charged.has(transaction)) {
      if (sw.remaining <= 0) {
        this.#switches.delete('rcpt');
        return undefined;
      }
      sw.remaining -= 1;
      sw.charged.add(transaction);
    }
    this.#temporaryFailures.rcpt += 1;
    return sw.reply;
  }

  /** The temporary failure for this message's final dot, if a switch says so. */
  dataFailure(): SmtpRejection | undefined {
    const sw = this.#switches.get('data');
    if (sw === undefined) return undefined;
    sw.remaining -= 1;
    if (sw.remaining <= 0) this.#switches.delete('data');
    this.#temporaryFailures.data += 1;
    return sw.reply;
  }

  /** Resolve once `condition` holds (checked now and at every event; once after close). */
  waitFor(condition: () => boolean, opts: WaitOptions = {}): Promise<void> {
    if (this.#closed) {
      return condition()
        ? Promise.resolve()
        : Promise.reject(new LabReceiverError('LAB_ERR_RECEIVER_WAIT', 'waitFor: the receiver is closed'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter.fail(`condition not reached within ${opts.timeoutMs ?? DEFAULT_WAIT_MS} ms`);
      }, opts.timeoutMs ?? DEFAULT_WAIT_MS);
      const onAbort = (): void => {
        waiter.fail('wait aborted');
      };
      const settle = (): void => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        check: () => {
          let holds: boolean;
          try {
            holds = condition();
          } catch (e) {
            settle();
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          if (!holds) return;
          settle();
          resolve();
        },
        fail: (why) => {
          settle();
          reject(new LabReceiverError('LAB_ERR_RECEIVER_WAIT', `waitFor: ${why}`));
        },
      };
      this.#waiters.add(waiter);
      if (opts.signal?.aborted === true) waiter.fail('wait aborted');
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      waiter.check();
    });
  }

  /** Wake the waiters. */
  notify(): void {
    for (const w of [...this.#waiters]) w.check();
  }

  /** The receiver closed: a last look for the waiters, then nobody waits any more. */
  closed(): void {
    this.#closed = true;
    this.notify();
    for (const w of [...this.#waiters]) w.fail('the receiver closed first');
  }

  /** TLS sockets first (they sit on top of the TCP sockets), then whatever is left. */
  destroySockets(): void {
    const sockets = [...this.sockets].sort(
      (a, b) => Number(b instanceof TLSSocket) - Number(a instanceof TLSSocket),
    );
    for (const socket of sockets) socket.destroy();
  }
}
