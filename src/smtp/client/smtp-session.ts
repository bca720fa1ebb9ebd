/**
 * An SMTP client session that carries several transactions: connect → greeting → EHLO (HELO
 * fallback) → STARTTLS per mode → verifyPeer → fresh EHLO, then any number of mail
 * transactions (RSET before every one after the first), then QUIT.
 * RFC 5321 §3, §4.1.1.5 (RSET), §4.1.1.10 (QUIT), RFC 3207 §4.2, RFC 2920 §3.1.
 * Must never: throw for anything the network or the server does (those are `failure` facts);
 * continue in plaintext when STARTTLS is required; send anything but QUIT after verifyPeer said
 * no; start a transaction on a connection in an unknown state; resolve host names.
 */
import { SmtpError, hasExtension, isPositive, parseEhlo, replyClass, type Reply } from '../protocol/index.ts';
import { SmtpConnection, type PeerInfo } from './connection.ts';
import { eventEmitter } from './events.ts';
import { newFacts, runMailTransaction, type TxFraming } from './mail-transaction.ts';
import { planSession, prepareTransaction, type PreparedTransaction, type SessionPlan } from './plan.ts';
import type { State } from './session.ts';
import { SessionStop, rejected } from './stops.ts';
import { Wire } from './wire.ts';
import type {
  MailTransaction,
  PeerVerdict,
  SessionFacts,
  SessionOptions,
  SmtpEvent,
  TransactionFacts,
  TransactionFailure,
} from './types.ts';

/**
 * Open a session: connect, greeting, EHLO (HELO fallback), STARTTLS per mode, verifyPeer, fresh
 * EHLO. Resolves for everything the network or the server does (see `facts.failure` and
 * `usable`); rejects only for bad arguments (SMTP_ERR_ARGUMENT).
 */
export async function openSession(options: SessionOptions): Promise<Session> {
  const session = new Session(options, planSession(options));
  await session.open();
  return session;
}

/** An open (or failed) SMTP session. Make one with `openSession`. */
export class Session {
  /** What the session found out; `failure` says why it could not be opened. */
  readonly facts: SessionFacts;
  readonly #o: SessionOptions;
  readonly #plan: SessionPlan;
  readonly #emit: (e: SmtpEvent) => void;
  readonly #wire: Wire;
  /** Why no transaction may be started any more (undefined while one may). */
  #unusable: TransactionFailure | undefined;
  /** The connection is in a known state: QUIT may be sent. */
  #polite = true;
  #needsReset = false;
  /** The server holds no transaction (a chunked message may go with its envelope, RFC 3030). */
  #clean = true;
  #busy: Promise<unknown> | undefined;
  #closed: Promise<void> | undefined;

  /** Use `openSession`. */
  constructor(options: SessionOptions, plan: SessionPlan) {
    this.#o = options;
    this.#plan = plan;
    this.#emit = eventEmitter(options, options.onEvent);
    this.facts = {
      address: options.address,
      port: options.port,
      connected: false,
      usedHelo: false,
      extensions: {},
      starttlsOffered: false,
      tls: { used: false },
    };
    this.#wire = new Wire(plan.timeouts, { emit: this.#emit, facts: this.facts });
  }

  /** True while another transaction may be started on this session. */
  get usable(): boolean {
    return this.#whyUnusable() === undefined && this.#busy === undefined;
  }

  /** Connect and get ready for transactions (called once, by openSession). */
  async open(): Promise<void> {
    try {
      await this.#connect();
      await this.#greeting();
      await this.#hello();
      await this.#secure();
    } catch (err) {
      const failure = this.#stopped(err);
      this.facts.failure = failure;
      this.#unusable = failure;
    }
  }

  /**
   * Run one mail transaction: RSET first unless it is the session's first, MAIL, RCPT, and
   * DATA with the message (no message: recipient verification, no DATA). Resolves with facts
   * for everything the network or the server does; rejects with SMTP_ERR_ARGUMENT for a bad
   * envelope, after `close()`/`destroy()`, or while another transaction is running.
   */
  async send(tx: MailTransaction): Promise<TransactionFacts> {
    this.#assertIdle();
    const run = prepareTransaction(tx).then((p) => this.#run(p, { resetAfter: false }));
    return this.#track(run);
  }

  /** `send` for a transaction prepared before the session was opened (runTransaction). */
  sendPrepared(p: PreparedTransaction, options: { resetAfter: boolean }): Promise<TransactionFacts> {
    this.#assertIdle();
    return this.#track(this.#run(p, options));
  }

  /** QUIT (waiting at most the QUIT timeout) and close; idempotent. Waits for a running transaction. */
  close(): Promise<void> {
    this.#closed ??= this.#quit();
    return this.#closed;
  }

  /** Drop the connection at once; a running transaction fails with SMTP_ERR_ABORTED. */
  destroy(): void {
    this.#polite = false;
    this.#closed ??= Promise.resolve();
    this.#unusable ??= { code: 'SMTP_ERR_ABORTED', message: 'session destroyed', state: this.#wire.state };
    this.#wire.conn?.destroy(new SmtpError('SMTP_ERR_ABORTED', 'session destroyed by the caller'));
  }

  #assertIdle(): void {
    if (this.#closed !== undefined) throw new SmtpError('SMTP_ERR_ARGUMENT', 'the session is closed');
    if (this.#busy !== undefined) {
      throw new SmtpError('SMTP_ERR_ARGUMENT', 'a transaction is already running on this session');
    }
  }

  #track<T>(run: Promise<T>): Promise<T> {
    const busy = run.finally(() => {
      if (this.#busy === busy) this.#busy = undefined;
    });
    this.#busy = busy;
    return busy;
  }

  #whyUnusable(): TransactionFailure | undefined {
    if (this.#unusable !== undefined) return this.#unusable;
    if (this.#closed !== undefined)
      return { code: 'SMTP_ERR_ABORTED', message: 'session closed', state: 'QUIT' };
    const lost = this.#wire.conn?.failure;
    if (lost !== undefined) return { code: lost.code, message: lost.message, state: this.#wire.state };
    return undefined;
  }

  async #run(p: PreparedTransaction, framing: Omit<TxFraming, 'reset' | 'clean'>): Promise<TransactionFacts> {
    const facts = newFacts(p);
    if (p.early !== undefined) {
      facts.failure = this.#failure(p.early, 'DATA_BODY');
      return facts;
    }
    const why = this.#whyUnusable();
    if (why !== undefined) {
      facts.failure = this.#failure(
        new SmtpError(why.code, `the session cannot take a transaction: ${why.message}`),
        'MAIL',
      );
      return facts;
    }
    const reset = this.#needsReset;
    const clean = this.#clean;
    this.#needsReset = true;
    this.#clean = false;
    try {
      await runMailTransaction(this.#wire, p, { facts, framing: { ...framing, reset, clean } });
      if (framing.resetAfter && p.message === undefined) this.#needsReset = false;
      // After the message's final reply, or the RSET that ends a verification.
      this.#clean = p.message !== undefined || framing.resetAfter;
    } catch (err) {
      // Not clean: a server that refused a message or a recipient may still hold the MAIL.
      const failure = this.#stopped(err);
      facts.failure = failure;
      if (!(err instanceof SessionStop && err.reusable)) this.#unusable = failure;
    }
    return facts;
  }

  /** Turn a stop into a failure fact; rethrow what is no stop (bad argument, bug). */
  #stopped(err: unknown): TransactionFailure {
    if (!(err instanceof SmtpError) || err.code === 'SMTP_ERR_ARGUMENT') {
      this.#wire.conn?.destroy();
      throw err;
    }
    const stop = err instanceof SessionStop ? err : undefined;
    if (stop?.polite !== true) {
      this.#polite = false;
      this.#wire.conn?.destroy();
    }
    return this.#failure(err, stop?.state ?? this.#wire.state, stop?.reply);
  }

  #failure(err: SmtpError, state: State, reply?: Reply): TransactionFailure {
    this.#emit({ type: 'error', code: err.code, message: err.message, state });
    return { code: err.code, message: err.message, state, ...(reply === undefined ? {} : { reply }) };
  }

  async #quit(): Promise<void> {
    await this.#busy?.catch(() => undefined);
    const conn = this.#wire.conn;
    if (conn === undefined) return;
    if (!this.#polite || conn.isBroken) {
      conn.destroy();
      return;
    }
    try {
      await this.#wire.send([{ state: 'QUIT', line: 'QUIT' }]);
      this.facts.quit = await this.#wire.read('QUIT');
    } catch (err) {
      const e = err instanceof SmtpError ? err : new SmtpError('SMTP_ERR_PROTOCOL', String(err));
      this.#emit({ type: 'error', code: e.code, message: e.message, state: 'QUIT' });
    }
    await conn.close();
  }

  async #connect(): Promise<void> {
    const { address, port, localAddress, signal } = this.#o;
    this.#emit({ type: 'connect', address, port });
    this.#wire.conn = await SmtpConnection.open({
      address,
      port,
      timeoutMs: this.#plan.timeouts.connect,
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(signal === undefined ? {} : { signal }),
    });
    this.facts.connected = true;
  }

  async #greeting(): Promise<void> {
    const reply = await this.#wire.read('GREETING');
    this.facts.greeting = reply;
    /* RFC 5321 §3.1: "A server taking this approach MUST still wait for the client to send a
       QUIT (see Section 4.1.1.10) before closing the connection". */
    if (!isPositive(reply)) throw rejected('GREETING', reply);
  }

  /* RFC 5321 §3.2: "if the server returns a "command not recognized" response to EHLO, the
     client SHOULD be able to fall back and send HELO." We fall back on any 5xx. */
  async #hello(): Promise<void> {
    const ehlo = await this.#wire.command('EHLO', this.#plan.ehlo);
    this.facts.hello = ehlo;
    if (isPositive(ehlo)) {
      this.facts.extensions = parseEhlo(ehlo).extensions;
      return;
    }
    if (replyClass(ehlo) !== 5) throw rejected('EHLO', ehlo);
    const helo = await this.#wire.command('HELO', this.#plan.helo);
    this.facts.hello = helo;
    this.facts.usedHelo = true;
    this.facts.extensions = {};
    if (!isPositive(helo)) throw rejected('HELO', helo);
  }

  async #secure(): Promise<void> {
    const offered = hasExtension(this.facts.extensions, 'STARTTLS');
    this.facts.starttlsOffered = offered;
    const mode = this.#o.starttls;
    if (mode === 'never' || (mode === 'if-offered' && !offered)) return;
    if (!offered) {
      throw new SessionStop(
        'SMTP_ERR_STARTTLS_NOT_OFFERED',
        'STARTTLS is required but the server does not offer it',
        { state: 'STARTTLS' },
      );
    }
    const reply = await this.#wire.command('STARTTLS', 'STARTTLS');
    /* RFC 3207 §4: "220 Ready to start TLS"; anything else means no TLS on this session. */
    if (reply.code !== 220) {
      const r = rejected('STARTTLS', reply);
      throw new SessionStop('SMTP_ERR_STARTTLS_REFUSED', `STARTTLS refused: ${r.message}`, { reply });
    }
    await this.#handshake();
    /* RFC 3207 §4.2: "The client SHOULD send an EHLO command as the first command after a
       successful TLS negotiation." The earlier extension list is discarded. */
    this.facts.extensions = {};
    await this.#hello();
  }

  async #handshake(): Promise<void> {
    this.#wire.enter('TLS_HANDSHAKE');
    const { servername, verifyHostname, minTlsVersion, ca, trustStore, awaitSessionTicket } = this.#o;
    const conn = this.#wire.connection();
    const peer = await conn.startTls({
      timeoutMs: this.#plan.timeouts.tlsHandshake,
      ...(servername === undefined ? {} : { servername }),
      ...(verifyHostname === undefined ? {} : { verifyHostname }),
      ...(minTlsVersion === undefined ? {} : { minVersion: minTlsVersion }),
      ...(ca === undefined ? {} : { ca }),
      ...(trustStore === undefined ? {} : { trustStore }),
      ...(awaitSessionTicket === undefined ? {} : { awaitSessionTicket }),
    });
    this.facts.tls = { used: true, protocol: peer.protocol, cipher: peer.cipher, peer };
    this.#emit({
      type: 'tls',
      protocol: peer.protocol,
      cipher: peer.cipher,
      ...(peer.servername === undefined ? {} : { servername: peer.servername }),
      sessionTicket: conn.sessionTicket,
    });
    if (this.#o.verifyPeer === undefined) return;
    const verdict = await this.#verify(peer);
    this.facts.tls.verdict = verdict;
    this.#emit({ type: 'verdict', verdict });
    if (!verdict.ok) {
      throw new SessionStop(
        'SMTP_ERR_PEER_REJECTED',
        `TLS peer rejected: ${verdict.reason ?? 'no reason given'}`,
      );
    }
  }

  /** Call verifyPeer; a throw or a malformed answer counts as a rejection (fail closed). */
  async #verify(peer: PeerInfo): Promise<PeerVerdict> {
    try {
      const verdict = await this.#o.verifyPeer?.(peer);
      if (typeof verdict?.ok !== 'boolean') return { ok: false, reason: 'verifyPeer returned no verdict' };
      return verdict;
    } catch (err) {
      return { ok: false, reason: `verifyPeer failed: ${(err as Error).message}` };
    }
  }
}
