/**
 * Receiving MX servers of the simulated Internet, built on smtp-server and bound to loopback.
 * Each receiver records every connection, session (commands and replies rebuilt by a socket tap,
 * TLS use, the SNI name the client sent, transactions and RSETs) and accepted message (envelope,
 * Message-ID, TLS facts, times from the injected clock), and can be told to present a chosen
 * certificate chain, to offer no STARTTLS, to refuse the connection, the sender, recipients or
 * the message with chosen replies — and, at runtime, to answer temporary failures to RCPT or to
 * the final dot, or to go down and come back up.
 * Plays RFC 5321 §4.2 / §4.3.2 (replies per command) and RFC 3207 (STARTTLS) on the server side.
 * Never binds anything but 127.0.0.0/8 or ::1, never writes to stdout/stderr, never reads
 * smtp-server's log, never lets a client error escape as an exception, and close() never waits
 * for clients.
 */
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { describeError, isLoopback } from '../../util/index.ts';
import { messageIdOf } from './message-facts.ts';
import { ReceiverState } from './receiver-state.ts';
import { onSecure, tlsOptions } from './receiver-tls.ts';
import {
  LabReceiverError,
  type Receiver,
  type ReceivedTls,
  type SmtpRejection,
  type StartReceiverOptions,
} from './receiver-types.ts';

export * from './receiver-types.ts';
export { countPerMinute, messageIdOf } from './message-facts.ts';

/** Largest message kept in memory when no `maxSize` is set. */
const DEFAULT_CAPTURE_LIMIT = 64 * 1024 * 1024;
/** The longest close() waits for smtp-server to report the listener closed. */
const CLOSE_GRACE_MS = 1000;

/** Start a receiving MX on a loopback address. */
export async function startReceiver(opts: StartReceiverOptions): Promise<Receiver> {
  checkOptions(opts);
  const state = new ReceiverState(opts);
  const server: SMTPServer = new SMTPServer(serverOptions(opts, state, (id) => connectionOf(server, id)));
  // An 'error' event without a listener would throw; sessions' errors are recorded per session.
  server.on('error', () => undefined);
  server.server.on('connection', (socket: Socket) => {
    state.accept(socket);
  });
  const port = await listen(server, { address: opts.address, port: opts.port ?? 0 });
  let closing: Promise<void> | undefined;
  let down = false;
  const receiver: Receiver = {
    address: opts.address,
    port,
    hostname: opts.hostname,
    messages: state.messages,
    sessions: state.sessions,
    sniSeen: state.sniSeen,
    stats: () => state.stats(),
    failTemporarily: (stage, o) => {
      state.failTemporarily(stage, o);
    },
    stopFailing: (stage) => {
      state.stopFailing(stage);
    },
    get isDown() {
      return down;
    },
    down: async (o = {}) => {
      if (closing !== undefined || down) return;
      down = true;
      // Closing the listening socket is synchronous: from here on a connect is refused.
      server.server.close();
      if (o.dropConnections === true) state.destroySockets();
      await Promise.resolve();
    },
    up: async () => {
      if (closing !== undefined || !down) return;
      await listen(server, { address: opts.address, port });
      down = false;
    },
    waitFor: (condition, o) => state.waitFor(() => condition(receiver), o),
    close: () => (closing ??= closeServer(server, state)),
  };
  return receiver;
}

function checkOptions(opts: StartReceiverOptions): void {
  const bad = (message: string): never => {
    throw new LabReceiverError('LAB_ERR_RECEIVER_ARGUMENT', message);
  };
  if (!isLoopback(opts.address)) bad(`receiver address ${opts.address} is not loopback (127.0.0.0/8 or ::1)`);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) bad(`receiver port ${port} is not 0..65535`);
  if (!/^[A-Za-z0-9.-]+$/.test(opts.hostname)) bad(`receiver hostname ${opts.hostname} is not a host name`);
  if (opts.maxSize !== undefined && (!Number.isInteger(opts.maxSize) || opts.maxSize <= 0)) {
    bad('maxSize must be a positive integer');
  }
}

/** The connection object smtp-server made for a session (it emits the session's errors). */
function connectionOf(
  server: SMTPServer,
  id: string,
): { on(event: 'error', listener: (err: Error) => void): unknown } | undefined {
  for (const c of server.connections) if (c.id === id) return c;
  return undefined;
}

type ConnectionLookup = (id: string) => ReturnType<typeof connectionOf>;

function serverOptions(
  opts: StartReceiverOptions,
  state: ReceiverState,
  connection: ConnectionLookup,
): SMTPServerOptions {
  const offerTls = opts.tls !== undefined && opts.offerStartTls !== false;
  const options: SMTPServerOptions = {
    name: opts.hostname,
    logger: false,
    disableReverseLookup: true,
    disabledCommands: offerTls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    authOptional: true,
    hideENHANCEDSTATUSCODES: opts.enhancedStatusCodes === false,
    hideSMTPUTF8: opts.smtputf8 === false,
    socketTimeout: opts.idleTimeoutMs ?? 30_000,
    closeTimeout: CLOSE_GRACE_MS,
    onConnect: (session, cb) => {
      state.open(session);
      connection(session.id)?.on('error', (err) => {
        state.noteError(session.id, err);
      });
      cb(opts.rejectConnection === undefined ? null : smtpError(opts.rejectConnection));
    },
    onSecure: (socket, session, cb) => {
      onSecure(state, socket, session);
      cb();
    },
    onMailFrom: (address, session, cb) => {
      const refusal = opts.rejectSender?.(address.address);
      if (refusal === undefined) state.beginTransaction(session.id);
      cb(smtpErrorOrNull(refusal));
    },
    onRcptTo: (address, session, cb) => {
      cb(smtpErrorOrNull(state.rcptFailure(session.id) ?? opts.rejectRecipients?.(address.address)));
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
    const refusal = state.dataFailure() ?? state.opts.rejectData?.({ from, to, data });
    if (refusal !== undefined) {
      cb(smtpError(refusal));
      return;
    }
    const record = state.byId.get(session.id);
    const messageId = messageIdOf(data);
    const message = state.accepted({
      sessionId: session.id,
      from,
      to,
      ...(messageId === undefined ? {} : { messageId }),
      data,
      smtputf8: envelope.smtpUtf8 === true,
      tls: record === undefined ? { used: session.secure, startTls: false } : sessionTls(record.tls),
      receivedAt: state.clock.now(),
    });
    state.opts.onMessage?.(message);
    cb(null, `Ok: queued as ${message.queueId}`);
  });
}

function sessionTls(tls: ReceivedTls): ReceivedTls {
  const { used, startTls, protocol, cipher, servername } = tls;
  return {
    used,
    startTls,
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

function listen(server: SMTPServer, at: { address: string; port: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(
        new LabReceiverError(
          'LAB_ERR_RECEIVER_LISTEN',
          `cannot listen on ${at.address}: ${describeError(err)}`,
          {
            cause: err,
          },
        ),
      );
    };
    server.server.once('error', onError);
    server.server.listen(at.port, at.address, () => {
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
      state.closed();
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
    state.destroySockets();
  });
}
