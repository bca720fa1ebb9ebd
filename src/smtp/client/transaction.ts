/**
 * One SMTP client transaction, start to end: connect → greeting → EHLO (HELO fallback) →
 * STARTTLS per mode → verifyPeer → fresh EHLO → MAIL/RCPT (pipelined when offered) → DATA and
 * the dot-stuffed body (or, without a message, RSET for recipient verification) → QUIT.
 * RFC 5321 §3 and §4, RFC 3207 §4.2, RFC 2920, RFC 1870 §6, RFC 6152 §3, RFC 6531 §3.4,
 * RFC 3461 §4 (DSN parameters passed through when DSN is offered).
 * Must never: throw for anything the network or the server does (those are `failure` facts);
 * continue in plaintext when STARTTLS is required; send anything but QUIT after verifyPeer said
 * no; decide defer / bounce / next MX (policy/ does); resolve host names.
 */
import {
  SmtpError,
  hasExtension,
  isPositive,
  mailCommand,
  parseEhlo,
  rcptCommand,
  replyClass,
  sizeLimit,
  type Reply,
  type SmtpErrorCode,
} from '../protocol/index.ts';
import { SmtpConnection, type PeerInfo } from './connection.ts';
import { eventEmitter } from './events.ts';
import { bodyBlocks } from './message.ts';
import { plan, type Plan } from './plan.ts';
import { ServerClosing, acceptedCount, sendEnvelope, type Chat, type OutCommand } from './pipelining.ts';
import { STATES, timeoutFor, type State } from './session.ts';
import type { PeerVerdict, SmtpEvent, TransactionOptions, TransactionResult } from './types.ts';

/** A stop the session can end politely (QUIT): the server and the connection are fine. */
class PoliteStop extends SmtpError {
  readonly reply: Reply | undefined;
  constructor(code: SmtpErrorCode, message: string, reply?: Reply) {
    super(code, message);
    this.reply = reply;
  }
}

function rejected(state: State, reply: Reply): PoliteStop {
  const enhanced = reply.enhanced === undefined ? '' : ` ${reply.enhanced}`;
  const text = reply.text === '' ? '' : ` ${reply.text}`;
  return new PoliteStop(
    'SMTP_ERR_REPLY',
    `${reply.code}${enhanced}${text} (${STATES[state].description})`,
    reply,
  );
}

/**
 * Run one SMTP transaction and report what happened. Resolves with facts for everything the
 * network or the server does; rejects only for bad arguments (SMTP_ERR_ARGUMENT).
 */
export async function runTransaction(options: TransactionOptions): Promise<TransactionResult> {
  const p = await plan(options);
  return new Transaction(options, p).run();
}

class Transaction implements Chat {
  readonly #o: TransactionOptions;
  readonly #plan: Plan;
  readonly #emit: (e: SmtpEvent) => void;
  readonly result: TransactionResult;
  #conn: SmtpConnection | undefined;
  #state: State = 'CONNECT';

  constructor(options: TransactionOptions, p: Plan) {
    this.#o = options;
    this.#plan = p;
    this.#emit = eventEmitter(options, options.onEvent);
    this.result = {
      address: options.address,
      port: options.port,
      connected: false,
      usedHelo: false,
      extensions: {},
      starttlsOffered: false,
      tls: { used: false },
      mailParams: [],
      recipients: options.recipients.map((r) => ({ address: r.address })),
    };
    if (p.message !== undefined) this.result.message = { size: p.message.size, eightBit: p.message.eightBit };
  }

  async run(): Promise<TransactionResult> {
    if (this.#plan.early !== undefined) {
      this.#state = 'DATA_BODY';
      this.#record(this.#plan.early);
      return this.result;
    }
    let polite = true;
    try {
      await this.#connect();
      await this.#greeting();
      await this.#hello();
      await this.#secure();
      await this.#transact();
    } catch (err) {
      if (!(err instanceof SmtpError) || err.code === 'SMTP_ERR_ARGUMENT') {
        this.#conn?.destroy();
        throw err;
      }
      polite = err instanceof PoliteStop;
      this.#record(err);
    }
    await this.#finish(polite);
    return this.result;
  }

  #record(err: SmtpError): void {
    const state = err instanceof ServerClosing ? err.state : this.#state;
    const reply = err instanceof PoliteStop || err instanceof ServerClosing ? err.reply : undefined;
    this.result.failure = {
      code: err.code,
      message: err.message,
      state,
      ...(reply === undefined ? {} : { reply }),
    };
    this.#emit({ type: 'error', code: err.code, message: err.message, state });
  }

  async #connect(): Promise<void> {
    const { address, port, localAddress, signal } = this.#o;
    this.#emit({ type: 'connect', address, port });
    this.#conn = await SmtpConnection.open({
      address,
      port,
      timeoutMs: this.#plan.timeouts.connect,
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(signal === undefined ? {} : { signal }),
    });
    this.result.connected = true;
  }

  async #greeting(): Promise<void> {
    const reply = await this.read('GREETING');
    this.result.greeting = reply;
    /* RFC 5321 §3.1: "A server taking this approach MUST still wait for the client to send a
       QUIT (see Section 4.1.1.10) before closing the connection". */
    if (!isPositive(reply)) throw rejected('GREETING', reply);
  }

  /* RFC 5321 §3.2: "if the server returns a "command not recognized" response to EHLO, the
     client SHOULD be able to fall back and send HELO." We fall back on any 5xx. */
  async #hello(): Promise<void> {
    const ehlo = await this.command('EHLO', this.#plan.ehlo);
    this.result.hello = ehlo;
    if (isPositive(ehlo)) {
      this.result.extensions = parseEhlo(ehlo).extensions;
      return;
    }
    if (replyClass(ehlo) !== 5) throw rejected('EHLO', ehlo);
    const helo = await this.command('HELO', this.#plan.helo);
    this.result.hello = helo;
    this.result.usedHelo = true;
    this.result.extensions = {};
    if (!isPositive(helo)) throw rejected('HELO', helo);
  }

  async #secure(): Promise<void> {
    const offered = hasExtension(this.result.extensions, 'STARTTLS');
    this.result.starttlsOffered = offered;
    const mode = this.#o.starttls;
    if (mode === 'never' || (mode === 'if-offered' && !offered)) return;
    if (!offered) {
      this.#state = 'STARTTLS';
      throw new PoliteStop(
        'SMTP_ERR_STARTTLS_NOT_OFFERED',
        'STARTTLS is required but the server does not offer it',
      );
    }
    const reply = await this.command('STARTTLS', 'STARTTLS');
    /* RFC 3207 §4: "220 Ready to start TLS"; anything else means no TLS on this session. */
    if (reply.code !== 220) {
      const r = rejected('STARTTLS', reply);
      throw new PoliteStop('SMTP_ERR_STARTTLS_REFUSED', `STARTTLS refused: ${r.message}`, reply);
    }
    await this.#handshake();
    /* RFC 3207 §4.2: "The client SHOULD send an EHLO command as the first command after a
       successful TLS negotiation." The earlier extension list is discarded. */
    this.result.extensions = {};
    await this.#hello();
  }

  async #handshake(): Promise<void> {
    this.#state = 'TLS_HANDSHAKE';
    const { servername, verifyHostname, minTlsVersion, ca } = this.#o;
    const peer = await this.#connection().startTls({
      timeoutMs: this.#plan.timeouts.tlsHandshake,
      ...(servername === undefined ? {} : { servername }),
      ...(verifyHostname === undefined ? {} : { verifyHostname }),
      ...(minTlsVersion === undefined ? {} : { minVersion: minTlsVersion }),
      ...(ca === undefined ? {} : { ca }),
    });
    this.result.tls = { used: true, protocol: peer.protocol, cipher: peer.cipher, peer };
    this.#emit({
      type: 'tls',
      protocol: peer.protocol,
      cipher: peer.cipher,
      ...(peer.servername === undefined ? {} : { servername: peer.servername }),
    });
    if (this.#o.verifyPeer === undefined) return;
    const verdict = await this.#verify(peer);
    this.result.tls.verdict = verdict;
    this.#emit({ type: 'verdict', verdict });
    if (!verdict.ok) {
      throw new PoliteStop(
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

  /** MAIL parameters for this server (RFC 1870, 6152, 6531, 3461); stops when one is missing. */
  #mailParams(): string[] {
    this.#state = 'MAIL';
    const ext = this.result.extensions;
    const msg = this.#plan.message;
    const params: string[] = [];
    // RFC 6531 §3.2, §3.4: non-ASCII envelope addresses go only with the SMTPUTF8 parameter,
    // which a client may use only when the server offers the extension.
    if (this.#plan.smtputf8 && !hasExtension(ext, 'SMTPUTF8')) {
      throw new PoliteStop(
        'SMTP_ERR_SMTPUTF8_REQUIRED',
        'the message needs SMTPUTF8 and the server does not offer it',
      );
    }
    if (msg !== undefined && hasExtension(ext, 'SIZE')) {
      const limit = sizeLimit(ext);
      // RFC 1870 §6: a message over the server's declared maximum is not sent at all.
      if (limit !== undefined && msg.size > limit) {
        throw new PoliteStop(
          'SMTP_ERR_SIZE',
          `message size ${msg.size} exceeds the server's limit of ${limit} octets`,
        );
      }
      params.push(`SIZE=${msg.size}`);
    }
    if (msg?.eightBit === true && hasExtension(ext, '8BITMIME')) params.push('BODY=8BITMIME');
    if (this.#plan.smtputf8) params.push('SMTPUTF8');
    if (hasExtension(ext, 'DSN')) params.push(...(this.#o.mailParams ?? []));
    return params;
  }

  async #transact(): Promise<void> {
    const params = this.#mailParams();
    this.result.mailParams = params;
    const dsn = hasExtension(this.result.extensions, 'DSN');
    const rcpts = this.#o.recipients.map((r) => rcptCommand(r.address, dsn ? (r.params ?? []) : []));
    const withData = this.#plan.message !== undefined;
    const pipelining = hasExtension(this.result.extensions, 'PIPELINING');
    await sendEnvelope(
      this,
      { mail: mailCommand(this.#o.from, params), rcpts, withData, pipelining },
      this.result,
    );
    const mail = this.result.mail;
    if (mail === undefined) throw new Error('no MAIL reply');
    if (!isPositive(mail)) {
      // With PIPELINING the replies to RCPT and DATA were read after this one.
      this.#state = 'MAIL';
      throw rejected('MAIL', mail);
    }
    if (acceptedCount(this.result) === 0) {
      const last = this.result.recipients
        .map((r) => r.reply)
        .filter((r) => r !== undefined)
        .pop();
      this.#state = 'RCPT';
      if (last === undefined) throw new Error('no RCPT reply');
      throw new PoliteStop(
        'SMTP_ERR_REPLY',
        `all recipients were rejected; last: ${rejected('RCPT', last).message}`,
        last,
      );
    }
    if (!withData) return this.#rset();
    const start = this.result.dataStart;
    if (start === undefined) throw new Error('no DATA reply');
    if (replyClass(start) !== 3) throw rejected('DATA', start);
    await this.#body();
  }

  async #body(): Promise<void> {
    this.#state = 'DATA_BODY';
    const conn = this.#connection();
    let octets = 0;
    try {
      for (const block of bodyBlocks(this.#plan.message?.chunks ?? [])) {
        await conn.write(block, 'DATA_BODY', this.#plan.timeouts.dataBlock);
        octets += block.length;
      }
    } catch (err) {
      // A server may reject mid-body and drop the connection; its reply is the better fact.
      const early = conn.takeReply();
      if (early === undefined || isPositive(early)) throw err;
      this.#emit({ type: 'reply', state: 'DATA_BODY', reply: early });
      this.result.data = early;
      throw rejected('DATA_BODY', early);
    }
    this.#emit({ type: 'body', octets });
    const reply = await this.read('DATA_BODY');
    this.result.data = reply;
    if (!isPositive(reply)) throw rejected('DATA_BODY', reply);
  }

  /* Recipient verification ends the transaction with RSET (RFC 5321 §4.1.1.5). */
  async #rset(): Promise<void> {
    await this.command('RSET', 'RSET');
  }

  /** QUIT (never waiting longer than its timeout) and close; or just close after a fault. */
  async #finish(polite: boolean): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined) return;
    if (!polite || conn.isBroken) {
      conn.destroy();
      return;
    }
    try {
      await this.send([{ state: 'QUIT', line: 'QUIT' }]);
      this.result.quit = await this.read('QUIT');
    } catch (err) {
      const e = err instanceof SmtpError ? err : new SmtpError('SMTP_ERR_PROTOCOL', String(err));
      this.#emit({ type: 'error', code: e.code, message: e.message, state: 'QUIT' });
    }
    await conn.close();
  }

  #connection(): SmtpConnection {
    if (this.#conn === undefined) throw new Error('not connected');
    return this.#conn;
  }

  async send(commands: readonly OutCommand[]): Promise<void> {
    const first = commands[0];
    if (first === undefined) return;
    this.#state = first.state;
    for (const c of commands) this.#emit({ type: 'command', state: c.state, line: c.line });
    const wire = commands.map((c) => `${c.line}\r\n`).join('');
    await this.#connection().write(wire, first.state, timeoutFor(first.state, this.#plan.timeouts));
  }

  async read(state: State): Promise<Reply> {
    this.#state = state;
    const reply = await this.#connection().readReply(state, timeoutFor(state, this.#plan.timeouts));
    this.#emit({ type: 'reply', state, reply });
    return reply;
  }

  async command(state: State, line: string): Promise<Reply> {
    this.#state = state;
    this.#connection().assertNoPendingInput(`before ${line.split(' ')[0] ?? line}`);
    await this.send([{ state, line }]);
    return this.read(state);
  }
}
