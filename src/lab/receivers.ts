/**
 * Receiving MX servers of the simulated Internet, built on smtp-server and bound to loopback.
 * Each receiver records every session (commands, replies, TLS use, the SNI name the client sent)
 * and every accepted message, and can be told to present a chosen certificate chain, to offer no
 * STARTTLS, or to refuse the connection, the sender, recipients or the message with chosen replies.
 * Plays RFC 5321 §4.2 / §4.3.2 (replies per command) and RFC 3207 (STARTTLS) on the server side.
 * Never binds anything but 127.0.0.0/8 or ::1, never writes to stdout/stderr, never lets a client
 * error escape as an exception, and close() never waits for clients.
 */
import type { Socket } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';
import type { SecureContext, SecureVersion } from 'node:tls';
import type { KeyObject } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { MtaError, describeError, isLoopback, systemClock } from '../util/index.ts';
import type { Clock } from '../util/index.ts';

/** Machine codes of errors thrown by receivers. */
export type LabReceiverErrorCode = 'LAB_ERR_RECEIVER_ARGUMENT' | 'LAB_ERR_RECEIVER_LISTEN';

/** A bad receiver option or a failure to listen. */
export class LabReceiverError extends MtaError<LabReceiverErrorCode> {
  constructor(
    code: LabReceiverErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'LabReceiverError';
  }
}

/** A refusal: the reply code (4xx or 5xx) and text. */
export interface SmtpRejection {
  code: number;
  /**
   * Reply text. With `enhancedStatusCodes` on (the default) smtp-server prefixes an enhanced
   * code derived from `code` (550 → 5.1.1, 450 → 4.2.1, 554 → 5.6.0 …); turn it off to write
   * your own enhanced code at the start of the text.
   */
  message: string;
}

/** Key and certificate chain (leaf first, PEM) a receiver presents. */
export interface ReceiverCredentials {
  key: KeyObject | string;
  certChainPem: string;
}

/** TLS settings of a receiver. */
export interface ReceiverTlsOptions extends ReceiverCredentials {
  /** Other credentials chosen by the SNI name the client sends (matched case-insensitively). */
  sni?: Record<string, ReceiverCredentials>;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
}

/** Options of `startReceiver`. */
export interface StartReceiverOptions {
  /** 127.x.y.z or ::1 — nothing else. */
  address: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Name in the 220 banner and the EHLO reply. */
  hostname: string;
  /** Without it no STARTTLS is offered. */
  tls?: ReceiverTlsOptions;
  /** false → STARTTLS is neither advertised nor accepted even when `tls` is set. */
  offerStartTls?: boolean;
  /** Refuse every session in the greeting (e.g. 554 or 421). */
  rejectConnection?: SmtpRejection;
  rejectSender?: (address: string) => SmtpRejection | undefined;
  rejectRecipients?: (address: string) => SmtpRejection | undefined;
  /** Decide on a complete message after the final dot. */
  rejectData?: (message: {
    from: string;
    to: readonly string[];
    data: Uint8Array;
  }) => SmtpRejection | undefined;
  /** SIZE limit in octets; bigger messages get 552. */
  maxSize?: number;
  /** Advertise SMTPUTF8 (default true). */
  smtputf8?: boolean;
  /** Advertise ENHANCEDSTATUSCODES and use them in replies (default true). */
  enhancedStatusCodes?: boolean;
  /** Idle timeout per session (default 30 s). */
  idleTimeoutMs?: number;
  /** Clock for the recorded times (default: the system clock). */
  clock?: Clock;
  /** Called for every accepted message. */
  onMessage?: (message: ReceivedMessage) => void;
  /** smtp-server is always silent; only `false` is accepted. */
  logger?: false;
}

/** TLS facts of a session or a message. */
export interface ReceivedTls {
  used: boolean;
  protocol?: string;
  cipher?: string;
  /** SNI name the client sent (lower case), if any. */
  servername?: string;
}

/** One connection, as the receiver saw it. Fields are filled in while the session runs. */
export interface ReceivedSession {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly startedAt: number;
  closedAt?: number;
  /** Name given in the last HELO/EHLO. */
  heloName?: string;
  /**
   * TLS facts. `servername` is set when the handshake completes, or — for a failed handshake —
   * when exactly one session was waiting in a handshake as the ClientHello arrived. A client
   * that rejects the certificate after a TLS 1.2 handshake shows as `used` with no further
   * commands; after TLS 1.3 it shows as not `used` with an `error`.
   */
  tls: ReceivedTls & {
    /** The client sent STARTTLS. */
    startTls: boolean;
    /** Why the TLS handshake failed, when it did. */
    error?: string;
  };
  /** Command lines as received (never message content). */
  readonly commands: string[];
  /** Reply lines as sent. */
  readonly replies: string[];
  /** Last connection-level error (handshake failure, reset …). */
  error?: string;
}

/** A message the receiver accepted (250 after DATA). */
export interface ReceivedMessage {
  sessionId: string;
  queueId: string;
  from: string;
  to: string[];
  data: Uint8Array;
  smtputf8: boolean;
  tls: ReceivedTls;
  receivedAt: number;
}

/** A running receiving MX. */
export interface Receiver {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly messages: ReceivedMessage[];
  readonly sessions: ReceivedSession[];
  /** Every SNI name seen in a ClientHello, in order (also from failed handshakes). */
  readonly sniSeen: string[];
  /** Stop listening and drop every open connection at once. */
  close(): Promise<void>;
}

/** Largest message kept in memory when no `maxSize` is set. */
const DEFAULT_CAPTURE_LIMIT = 64 * 1024 * 1024;
/** The longest close() waits for smtp-server to report the listener closed. */
const CLOSE_GRACE_MS = 1000;

/** Start a receiving MX on a loopback address. */
export async function startReceiver(opts: StartReceiverOptions): Promise<Receiver> {
  checkOptions(opts);
  const state = new ReceiverState(opts);
  const server = new SMTPServer(serverOptions(opts, state));
  // An 'error' event without a listener would throw. Session errors are recorded through the
  // logger (which knows the session id); listener errors surface through listen().
  server.on('error', () => undefined);
  server.server.on('connection', (socket: Socket) => {
    state.track(socket);
  });
  const port = await listen(server, opts);
  let closing: Promise<void> | undefined;
  return {
    address: opts.address,
    port,
    hostname: opts.hostname,
    messages: state.messages,
    sessions: state.sessions,
    sniSeen: state.sniSeen,
    close: () => (closing ??= closeServer(server, state)),
  };
}

function checkOptions(opts: StartReceiverOptions): void {
  if (!isLoopback(opts.address)) {
    throw new LabReceiverError(
      'LAB_ERR_RECEIVER_ARGUMENT',
      `receiver address ${opts.address} is not loopback (127.0.0.0/8 or ::1)`,
    );
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LabReceiverError('LAB_ERR_RECEIVER_ARGUMENT', `receiver port ${port} is not 0..65535`);
  }
  if (!/^[A-Za-z0-9.-]+$/.test(opts.hostname)) {
    throw new LabReceiverError(
      'LAB_ERR_RECEIVER_ARGUMENT',
      `receiver hostname ${opts.hostname} is not a host name`,
    );
  }
  if (opts.maxSize !== undefined && (!Number.isInteger(opts.maxSize) || opts.maxSize <= 0)) {
    throw new LabReceiverError('LAB_ERR_RECEIVER_ARGUMENT', 'maxSize must be a positive integer');
  }
}

/** Per-receiver bookkeeping: sessions by smtp-server id, messages, open sockets. */
class ReceiverState {
  readonly messages: ReceivedMessage[] = [];
  readonly sessions: ReceivedSession[] = [];
  readonly sniSeen: string[] = [];
  readonly byId = new Map<string, ReceivedSession>();
  readonly sockets = new Set<Socket>();
  readonly opts: StartReceiverOptions;
  readonly clock: Clock;
  #queued = 0;

  constructor(opts: StartReceiverOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
  }

  track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // smtp-server listens for errors once it owns the socket; this one covers the gaps.
    socket.on('error', () => undefined);
  }

  open(session: SMTPServerSession): ReceivedSession {
    const record: ReceivedSession = {
      id: session.id,
      remoteAddress: session.remoteAddress,
      remotePort: session.remotePort,
      startedAt: this.clock.now(),
      tls: { used: false, startTls: false },
      commands: [],
      replies: [],
    };
    this.byId.set(session.id, record);
    this.sessions.push(record);
    return record;
  }

  close(id: string): void {
    const record = this.byId.get(id);
    if (record === undefined) return;
    record.closedAt = this.clock.now();
    if (record.tls.startTls && !record.tls.used) {
      record.tls.error ??= 'connection closed before the TLS handshake completed';
    }
    this.onSessionClosed?.();
  }

  /** Set by close(): called whenever a session ends. */
  onSessionClosed: (() => void) | undefined;

  allClosed(): boolean {
    return this.sessions.every((s) => s.closedAt !== undefined);
  }

  nextQueueId(sessionId: string): string {
    this.#queued += 1;
    return `${sessionId}.${this.#queued}`;
  }

  /** SNI from a ClientHello: credited to the one session waiting in a handshake, if unambiguous. */
  noteSni(servername: string): void {
    this.sniSeen.push(servername);
    const waiting = this.sessions.filter(
      (s) => s.tls.startTls && !s.tls.used && s.closedAt === undefined && s.tls.servername === undefined,
    );
    if (waiting.length === 1 && waiting[0] !== undefined) waiting[0].tls.servername = servername;
  }

  /** smtp-server's debug log is the only place that sees each command and reply. */
  onLog(level: string, entry: Record<string, unknown>, args: unknown[]): void {
    // Connection errors are logged as ('%s %s %s', id, address, message): the id is args[1].
    const cid = typeof entry.cid === 'string' ? entry.cid : typeof args[1] === 'string' ? args[1] : undefined;
    const record = cid === undefined ? undefined : this.byId.get(cid);
    if (record === undefined) return;
    if (level === 'debug' && entry.tnx === 'command' && typeof args[1] === 'string') {
      this.noteCommand(record, args[1]);
    } else if (level === 'debug' && entry.tnx === 'send' && typeof args[1] === 'string') {
      record.replies.push(...args[1].split('\r\n'));
    } else if (level === 'error' && entry.tnx === 'error') {
      const text = describeError(entry.err);
      record.error = text;
      if (record.tls.startTls && !record.tls.used) record.tls.error = text;
    }
  }

  private noteCommand(record: ReceivedSession, line: string): void {
    record.commands.push(line);
    const [verb = '', arg] = line.trim().split(/\s+/);
    const upper = verb.toUpperCase();
    if (upper === 'STARTTLS') record.tls.startTls = true;
    if ((upper === 'EHLO' || upper === 'HELO') && arg !== undefined) record.heloName = arg;
  }
}

function serverOptions(opts: StartReceiverOptions, state: ReceiverState): SMTPServerOptions {
  const offerTls = opts.tls !== undefined && opts.offerStartTls !== false;
  const options: SMTPServerOptions = {
    name: opts.hostname,
    logger: captureLogger(state),
    disableReverseLookup: true,
    disabledCommands: offerTls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    authOptional: true,
    hideENHANCEDSTATUSCODES: opts.enhancedStatusCodes === false,
    hideSMTPUTF8: opts.smtputf8 === false,
    socketTimeout: opts.idleTimeoutMs ?? 30_000,
    closeTimeout: CLOSE_GRACE_MS,
    onConnect: (session, cb) => {
      state.open(session);
      cb(opts.rejectConnection === undefined ? null : smtpError(opts.rejectConnection));
    },
    onSecure: (socket, session, cb) => {
      onSecure(state, socket, session);
      cb();
    },
    onMailFrom: (address, _session, cb) => {
      cb(smtpErrorOrNull(opts.rejectSender?.(address.address)));
    },
    onRcptTo: (address, _session, cb) => {
      cb(smtpErrorOrNull(opts.rejectRecipients?.(address.address)));
    },
    onData: (stream, session, cb) => {
      onData(state, stream, session, cb);
    },
    onClose: (session) => {
      state.close(session.id);
    },
  };
  // RFC 1870 §6: SIZE advertises the limit; MAIL with a larger SIZE= and DATA beyond it get 552.
  if (opts.maxSize !== undefined) Object.assign(options, { size: opts.maxSize, rejectOversized: true });
  if (opts.tls !== undefined) Object.assign(options, tlsOptions(opts.tls, state));
  return options;
}

function tlsOptions(tls: ReceiverTlsOptions, state: ReceiverState): Partial<SMTPServerOptions> {
  const versions = {
    ...(tls.minVersion === undefined ? {} : { minVersion: tls.minVersion }),
    ...(tls.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
  };
  const contexts = new Map<string, SecureContext>();
  for (const [name, creds] of Object.entries(tls.sni ?? {})) {
    contexts.set(name.toLowerCase(), createSecureContext({ ...versions, ...credentialOptions(creds) }));
  }
  return {
    ...versions,
    ...credentialOptions(tls),
    SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
      const name = servername.toLowerCase();
      state.noteSni(name);
      cb(null, contexts.get(name));
    },
  };
}

function credentialOptions(creds: ReceiverCredentials): { key: string; cert: string } {
  const key =
    typeof creds.key === 'string' ? creds.key : creds.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key, cert: creds.certChainPem };
}

function onSecure(state: ReceiverState, socket: Socket | TLSSocket, session: SMTPServerSession): void {
  const record = state.byId.get(session.id);
  if (socket instanceof TLSSocket) {
    state.track(socket);
  }
  if (record === undefined) return;
  const protocol = socket instanceof TLSSocket ? socket.getProtocol() : null;
  const servername =
    typeof session.servername === 'string' && session.servername !== '' ? session.servername : undefined;
  record.tls = {
    used: true,
    startTls: record.tls.startTls,
    ...(protocol === null ? {} : { protocol }),
    ...(session.tlsOptions === false ? {} : { cipher: session.tlsOptions.name }),
    ...(servername === undefined ? {} : { servername: servername.toLowerCase() }),
  };
}

function onData(
  state: ReceiverState,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  cb: (err?: Error | null, message?: string) => void,
): void {
  const limit = state.opts.maxSize ?? DEFAULT_CAPTURE_LIMIT;
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  });
  // The client may vanish mid-message; smtp-server then destroys the stream with an error.
  stream.on('error', () => undefined);
  stream.on('end', () => {
    // With rejectOversized smtp-server answers 552 itself.
    if (stream.sizeExceeded || size > limit) {
      cb();
      return;
    }
    const envelope = session.envelope;
    const from = envelope.mailFrom === false ? '' : envelope.mailFrom.address;
    const to = envelope.rcptTo.map((r) => r.address);
    const data = new Uint8Array(Buffer.concat(chunks));
    const refusal = state.opts.rejectData?.({ from, to, data });
    if (refusal !== undefined) {
      cb(smtpError(refusal));
      return;
    }
    const record = state.byId.get(session.id);
    const tls: ReceivedTls = record === undefined ? { used: session.secure } : sessionTls(record);
    const queueId = state.nextQueueId(session.id);
    const message: ReceivedMessage = {
      sessionId: session.id,
      queueId,
      from,
      to,
      data,
      smtputf8: envelope.smtpUtf8 === true,
      tls,
      receivedAt: state.clock.now(),
    };
    state.messages.push(message);
    state.opts.onMessage?.(message);
    cb(null, `Ok: queued as ${queueId}`);
  });
}

function sessionTls(record: ReceivedSession): ReceivedTls {
  const { used, protocol, cipher, servername } = record.tls;
  return {
    used,
    ...(protocol === undefined ? {} : { protocol }),
    ...(cipher === undefined ? {} : { cipher }),
    ...(servername === undefined ? {} : { servername }),
  };
}

/** An Error carrying the reply code smtp-server sends. */
function smtpError(rejection: SmtpRejection): Error {
  const valid = Number.isInteger(rejection.code) && rejection.code >= 400 && rejection.code <= 599;
  const err = new Error(
    valid ? rejection.message : `lab misconfigured: reply code ${rejection.code} is not 4xx/5xx`,
  );
  return Object.assign(err, { responseCode: valid ? rejection.code : 451 });
}

function smtpErrorOrNull(rejection: SmtpRejection | undefined): Error | null {
  return rejection === undefined ? null : smtpError(rejection);
}

/** A bunyan-shaped logger that prints nothing and feeds the session records. */
function captureLogger(state: ReceiverState): Record<string, (...args: unknown[]) => void> {
  const at =
    (level: string) =>
    (...args: unknown[]): void => {
      const [entry, ...rest] = args;
      if (typeof entry !== 'object' || entry === null) return;
      try {
        state.onLog(level, entry as Record<string, unknown>, rest);
      } catch {
        // Recording must never break a session.
      }
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
  };
}

function listen(server: SMTPServer, opts: StartReceiverOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new LabReceiverError(
          'LAB_ERR_RECEIVER_LISTEN',
          `cannot listen on ${opts.address}: ${describeError(err)}`,
          {
            cause: err,
          },
        ),
      );
    };
    server.server.once('error', onError);
    server.listen(opts.port ?? 0, opts.address, () => {
      server.server.off('error', onError);
      const bound = server.server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : 0);
    });
  });
}

function closeServer(server: SMTPServer, state: ReceiverState): Promise<void> {
  return new Promise((resolve) => {
    let listenerClosed = false;
    const finish = (): void => {
      clearTimeout(timer);
      state.onSessionClosed = undefined;
      resolve();
    };
    // Done when the listener is closed and smtp-server has reported every session closed
    // (it does so a turn of the event loop after the socket closes); the timer is a backstop.
    const check = (): void => {
      if (listenerClosed && state.allClosed()) finish();
    };
    const timer = setTimeout(finish, CLOSE_GRACE_MS);
    timer.unref();
    state.onSessionClosed = check;
    server.close(() => {
      listenerClosed = true;
      check();
    });
    // TLS sockets first (they sit on top of the TCP sockets), then whatever is left.
    const sockets = [...state.sockets].sort(
      (a, b) => Number(b instanceof TLSSocket) - Number(a instanceof TLSSocket),
    );
    for (const socket of sockets) socket.destroy();
  });
}
