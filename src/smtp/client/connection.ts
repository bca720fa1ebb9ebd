/**
 * One SMTP connection: TCP connect (IPv4/IPv6, optional local address), reply reading with a
 * hard line-length and reply-size cap, writes with back-pressure and per-state timeouts, and
 * the STARTTLS upgrade with the facts a caller needs to judge the peer (chain, PKIX result).
 * RFC 5321 §4.5.3.2 (timeouts), RFC 3207 §4.2 (after the 220 the client starts TLS at once),
 * RFC 6066 §3 (SNI carries a host name, never an IP literal).
 * Must never: resolve host names (only IP addresses: DNS is the caller's, DNSSEC-validated);
 * decide whether a certificate is acceptable (it reports facts); keep bytes that arrived before
 * the TLS handshake (STARTTLS response injection); buffer without bound.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ReplyParser, SmtpError, type Reply, type ReplyLimits } from '../protocol/index.ts';
import { STATES, type State } from './session.ts';
import { ticketBound, waitForSessionTicket, type TicketWait } from './session-ticket.ts';
import { peerInfo, sniName, type PeerInfo } from './tls-peer.ts';

export type { PeerInfo } from './tls-peer.ts';

/** How a connection is opened. */
export interface ConnectOptions {
  /** IPv4 or IPv6 address (never a host name). */
  address: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  limits?: Partial<ReplyLimits>;
}

/** The roots of Node's PKIX check: its built-in ones (plus `ca`), or none at all. */
export type TrustStore = 'system' | 'none';

/** TLS versions a caller may set as the minimum. */
export type TlsMinVersion = 'TLSv1' | 'TLSv1.2' | 'TLSv1.3';

/** How STARTTLS is done. */
export interface StartTlsOptions {
  /** SNI host name; ignored when it is an IP literal (RFC 6066 §3). */
  servername?: string;
  /** Reference name for Node's PKIX host-name check (default: servername, else the address). */
  verifyHostname?: string;
  minVersion?: TlsMinVersion;
  /** Extra PKIX trust anchors (PEM), added to Node's built-in roots. */
  ca?: readonly string[];
  /** 'none': an empty store, so the peer chain is only what the server sent (default 'system'). */
  trustStore?: TrustStore;
  /** TLS 1.3: wait (about one round trip) for the server's session ticket (default true; see session-ticket.ts). */
  awaitSessionTicket?: boolean;
  timeoutMs: number;
}

/** Most replies kept unread before the server counts as flooding us. */
const MAX_QUEUED_REPLIES = 10_000;
/**
 * Most reply octets kept unread (a reply may have 200 lines of 4,096 octets; the replies to a
 * pipelined group of 1,000 recipients take well under 100 KiB).
 */
export const MAX_QUEUED_OCTETS = 1024 * 1024;
type Waker = () => void;

/** An open SMTP connection. Create with `SmtpConnection.open`. */
export class SmtpConnection {
  readonly address: string;
  readonly port: number;
  #socket: net.Socket;
  readonly #limits: Partial<ReplyLimits>;
  #parser: ReplyParser;
  #queue: Reply[] = [];
  #queuedOctets = 0;
  /** Between the 354 and the last block of the body: the server must be silent. */
  #inBody = false;
  #error: SmtpError | undefined;
  #draining = false;
  #closing = false;
  #tls = false;
  #sessionTicket: TicketWait = 'not-waited';
  readonly #wakers = new Set<Waker>();
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => {
    this.#fail(new SmtpError('SMTP_ERR_ABORTED', 'aborted by the caller'));
    this.#socket.destroy();
  };

  private constructor(socket: net.Socket, options: ConnectOptions) {
    this.address = options.address;
    this.port = options.port;
    this.#socket = socket;
    this.#limits = options.limits ?? {};
    this.#parser = new ReplyParser(this.#limits);
    this.#signal = options.signal;
    this.#attach(socket);
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Connect over TCP. Rejects with SMTP_ERR_CONNECT, SMTP_ERR_TIMEOUT or SMTP_ERR_ABORTED;
   * throws SMTP_ERR_ARGUMENT when `address` is not an IP address.
   */
  static open(options: ConnectOptions): Promise<SmtpConnection> {
    if (net.isIP(options.address) === 0) {
      throw new SmtpError('SMTP_ERR_ARGUMENT', `not an IP address: ${JSON.stringify(options.address)}`);
    }
    if (options.signal?.aborted === true) {
      return Promise.reject(new SmtpError('SMTP_ERR_ABORTED', 'aborted by the caller'));
    }
    return new Promise((resolve, reject) => {
      const where = formatAddress(options.address, options.port);
      const socket = net.connect({
        host: options.address,
        port: options.port,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      });
      const finish = (err: SmtpError | undefined): void => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.removeListener('connect', onConnect);
        options.signal?.removeEventListener('abort', onAbort);
        if (err === undefined) return;
        socket.destroy();
        reject(err);
      };
      const onError = (e: NodeJS.ErrnoException): void => {
        finish(
          new SmtpError('SMTP_ERR_CONNECT', `cannot connect to ${where}: ${e.code ?? e.message}`, {
            cause: e,
          }),
        );
      };
      const onAbort = (): void => {
        finish(new SmtpError('SMTP_ERR_ABORTED', 'aborted by the caller'));
      };
      const onConnect = (): void => {
        finish(undefined);
        socket.setNoDelay(true);
        resolve(new SmtpConnection(socket, options));
      };
      const timer = setTimeout(() => {
        finish(
          new SmtpError('SMTP_ERR_TIMEOUT', `timed out after ${options.timeoutMs} ms connecting to ${where}`),
        );
      }, options.timeoutMs);
      socket.once('error', onError);
      socket.once('connect', onConnect);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** True once the connection broke (closed, reset, garbage, timeout of the socket, abort). */
  get isBroken(): boolean {
    return this.#error !== undefined || this.#socket.destroyed;
  }

  /** Why the connection broke, once it did (undefined while it is fine or after our own close). */
  get failure(): SmtpError | undefined {
    if (this.#error !== undefined) return this.#error;
    if (this.#socket.destroyed && !this.#closing) {
      return new SmtpError('SMTP_ERR_PROTOCOL', 'connection closed by the server');
    }
    return undefined;
  }

  /** True after a successful STARTTLS handshake. */
  get isTls(): boolean {
    return this.#tls;
  }

  /** How the wait for a TLS 1.3 session ticket after the handshake ended. */
  get sessionTicket(): TicketWait {
    return this.#sessionTicket;
  }

  /** Read the next reply, waiting at most `timeoutMs` (the replies come in order). */
  readReply(state: State, timeoutMs: number): Promise<Reply> {
    return this.#waitFor(state, timeoutMs, () => {
      const reply = this.#shift();
      if (reply !== undefined) return reply;
      if (this.#error !== undefined) throw this.#error;
      return undefined;
    });
  }

  /** A reply that already arrived and was not read yet (e.g. a rejection sent during DATA). */
  takeReply(): Reply | undefined {
    return this.#shift();
  }

  #shift(): Reply | undefined {
    const reply = this.#queue.shift();
    if (reply !== undefined) this.#queuedOctets -= replyOctets(reply);
    return reply;
  }

  /** Write bytes (a string is sent as UTF-8); waits for 'drain' when the socket buffer is full. */
  write(data: string | Uint8Array, state: State, timeoutMs: number): Promise<void> {
    return this.#write(data, { state, timeoutMs });
  }

  /*
   * RFC 5321 §4.2: "Every command MUST generate exactly one reply." DATA has had its 354, and
   * the mail data is answered once, after the final dot (§4.3.2: "DATA  I: 354 -> data ->
   * S: 250"). Until the last block of the body is written the server has nothing to say: any
   * byte from it is a protocol violation, and nothing it sends is kept beyond the first reply.
   */

  /** Start a message body: from now until its last block, any input is a protocol violation. */
  beginBody(): void {
    this.#inBody = true;
    if (this.#error !== undefined) throw this.#error;
    if (this.#queue.length > 0 || this.#parser.hasPartial) {
      const err = this.#spokeDuringBody();
      this.#hostile(err);
      throw err;
    }
  }

  /** Write one block of the body; after the write of the `last` one, replies are welcome again. */
  writeBody(block: Uint8Array, options: { timeoutMs: number; last: boolean }): Promise<void> {
    return this.#write(block, {
      state: 'DATA_BODY',
      timeoutMs: options.timeoutMs,
      written: () => {
        if (options.last) this.#inBody = false;
      },
    });
  }

  async #write(
    data: string | Uint8Array,
    o: { state: State; timeoutMs: number; written?: () => void },
  ): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    if (!this.#socket.write(data)) this.#draining = true;
    o.written?.();
    if (!this.#draining) return;
    const { state, timeoutMs } = o;
    await this.#waitFor(state, timeoutMs, () => {
      if (this.#error !== undefined) throw this.#error;
      return this.#draining ? undefined : true;
    });
  }

  /**
   * Throw SMTP_ERR_PROTOCOL when the server sent more than we asked for: replies nobody read
   * yet, or part of one. Called before STARTTLS's handshake (bytes that arrived in plaintext
   * must never be read as if they came over TLS) and before each lock-step command.
   */
  assertNoPendingInput(what: string): void {
    if (this.#queue.length > 0 || this.#parser.hasPartial) {
      const err = new SmtpError('SMTP_ERR_PROTOCOL', `server sent unexpected data ${what}`);
      this.#fail(err);
      throw err;
    }
    if (this.#error !== undefined) throw this.#error;
  }

  /** Upgrade to TLS after a 220 reply to STARTTLS. Rejects with SMTP_ERR_TLS_HANDSHAKE etc. */
  async startTls(options: StartTlsOptions): Promise<PeerInfo> {
    this.assertNoPendingInput('after its reply to STARTTLS');
    const plain = this.#socket;
    plain.removeAllListeners('data');
    const servername = sniName(options.servername);
    const reference = options.verifyHostname ?? servername ?? this.address;
    const secure = tls.connect({
      socket: plain,
      rejectUnauthorized: false,
      ...(servername === undefined ? {} : { servername }),
      ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
      ...caOption(options),
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(reference, cert),
    });
    this.#socket = secure;
    const started = performance.now();
    await this.#handshake(secure, options.timeoutMs);
    const handshakeMs = performance.now() - started;
    this.#tls = true;
    this.#parser = new ReplyParser(this.#limits);
    this.#attach(secure);
    if (options.awaitSessionTicket !== false) {
      this.#sessionTicket = await waitForSessionTicket(secure, ticketBound(handshakeMs));
    }
    return peerInfo(secure, servername);
  }

  #handshake(secure: tls.TLSSocket, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: SmtpError): void => {
        clearTimeout(timer);
        this.#wakers.delete(onAbort);
        secure.removeListener('secureConnect', onSecure);
        secure.removeListener('error', onError);
        secure.removeListener('close', onClose);
        if (err === undefined) resolve();
        else {
          secure.on('error', () => undefined);
          secure.destroy();
          this.#fail(err);
          reject(err);
        }
      };
      const onSecure = (): void => {
        done();
      };
      const onError = (e: Error): void => {
        done(new SmtpError('SMTP_ERR_TLS_HANDSHAKE', `TLS handshake failed: ${oneLine(e)}`, { cause: e }));
      };
      const onClose = (): void => {
        done(
          new SmtpError('SMTP_ERR_TLS_HANDSHAKE', 'TLS handshake failed: connection closed by the server'),
        );
      };
      const onAbort = (): void => {
        if (this.#error?.code === 'SMTP_ERR_ABORTED') done(this.#error);
      };
      const timer = setTimeout(() => {
        done(
          new SmtpError(
            'SMTP_ERR_TIMEOUT',
            `timed out after ${timeoutMs} ms ${STATES.TLS_HANDSHAKE.description}`,
          ),
        );
      }, timeoutMs);
      this.#wakers.add(onAbort);
      secure.once('secureConnect', onSecure);
      secure.once('error', onError);
      secure.once('close', onClose);
      onAbort();
    });
  }

  /** Close gracefully (FIN / TLS close_notify), destroying the socket after `graceMs`. */
  async close(graceMs = 200): Promise<void> {
    this.#closing = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const socket = this.#socket;
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
      }, graceMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  /**
   * Destroy the connection at once (after a timeout or protocol error). With `reason`, waits
   * that are still pending (a read, a drain) fail with it instead of running into their timeout.
   */
  destroy(reason?: SmtpError): void {
    if (reason !== undefined) this.#fail(reason);
    this.#closing = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#socket.destroy();
  }

  #attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    socket.on('drain', () => {
      this.#draining = false;
      this.#wake();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.#fail(
        new SmtpError('SMTP_ERR_PROTOCOL', `connection lost: ${e.code ?? oneLine(e)}`, { cause: e }),
      );
    });
    socket.on('close', () => {
      this.#fail(new SmtpError('SMTP_ERR_PROTOCOL', 'connection closed by the server'));
    });
  }

  #onData(chunk: Uint8Array): void {
    if (this.#error !== undefined) return;
    const { replies, error } = this.#parser.push(chunk);
    for (const reply of replies) {
      this.#queue.push(reply);
      this.#queuedOctets += replyOctets(reply);
    }
    if (error !== undefined) this.#fail(error);
    else if (this.#inBody) this.#hostile(this.#spokeDuringBody());
    else if (this.#queue.length > MAX_QUEUED_REPLIES) {
      this.#hostile(
        new SmtpError('SMTP_ERR_PROTOCOL', `server sent more than ${MAX_QUEUED_REPLIES} replies nobody read`),
      );
    } else if (this.#queuedOctets > MAX_QUEUED_OCTETS) {
      this.#hostile(
        new SmtpError(
          'SMTP_ERR_PROTOCOL',
          `server sent more than ${MAX_QUEUED_OCTETS} octets of replies nobody read`,
        ),
      );
    }
    this.#wake();
  }

  #spokeDuringBody(): SmtpError {
    const first = this.#queue[0];
    if (first === undefined) {
      return new SmtpError('SMTP_ERR_PROTOCOL', 'server sent data before the end of the message body');
    }
    const text = first.lines[0] ?? '';
    const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
    return new SmtpError(
      'SMTP_ERR_PROTOCOL',
      `server replied before the end of the message body: ${`${first.code} ${shown}`.trim()}`,
    );
  }

  /** Fail for good and stop reading: a hostile peer gets no more of our memory or time. */
  #hostile(err: SmtpError): void {
    this.#fail(err);
    // Keep the first reply (the caller may report it); drop everything after it.
    this.#queue.splice(1);
    this.#queuedOctets = this.#queue.reduce((n, r) => n + replyOctets(r), 0);
    this.#socket.destroy();
  }

  #fail(err: SmtpError): void {
    if (this.#error !== undefined) return;
    if (this.#closing && err.code === 'SMTP_ERR_PROTOCOL') return;
    this.#error = err;
    this.#wake();
  }

  #wake(): void {
    for (const w of [...this.#wakers]) w();
  }

  #waitFor<T>(state: State, timeoutMs: number, check: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = (): void => {
        try {
          const v = check();
          if (v === undefined) return;
          done();
          resolve(v);
        } catch (e) {
          done();
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(attempt);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new SmtpError('SMTP_ERR_TIMEOUT', `timed out after ${timeoutMs} ms ${STATES[state].description}`),
        );
      }, timeoutMs);
      this.#wakers.add(attempt);
      attempt();
    });
  }
}

/** Octets a queued reply stands for: each line's text plus `NNN-` and CRLF. */
function replyOctets(reply: Reply): number {
  let n = 0;
  for (const line of reply.lines) n += line.length + 6;
  return n;
}

/*
 * With an empty CA store OpenSSL has no issuer to add: getPeerCertificate(true) then reports
 * only the certificates the server sent. With Node's store, the issuer of the last certificate
 * sent is appended when the store has it — a trust anchor the server never presented.
 */
function caOption(o: StartTlsOptions): { ca?: string[] } {
  if (o.trustStore === 'none') return { ca: [] };
  return o.ca === undefined ? {} : { ca: [...tls.rootCertificates, ...o.ca] };
}

/** `[address]:port`, as transcripts print it. */
export function formatAddress(address: string, port: number): string {
  return `[${address}]:${port}`;
}

function oneLine(e: Error): string {
  return e.message.replace(/\s*\n\s*/g, ' ').trim() || e.name;
}
