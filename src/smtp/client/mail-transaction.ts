/**
 * One mail transaction on an open session: the MAIL parameters this server allows, the
 * envelope (RSET first on every transaction after the first, pipelined when offered), then
 * DATA and the dot-stuffed body — or, without a message, nothing more (recipient verification).
 * RFC 5321 §3.3, §4.1.1.5 (RSET), RFC 2920, RFC 1870 §6, RFC 6152 §3, RFC 6531 §3.4,
 * RFC 3461 §4 (DSN parameters passed through when DSN is offered).
 * Must never: send DATA without an accepted recipient; send MAIL parameters the server did not
 * offer; decide defer / bounce / next MX (policy/ does).
 */
import {
  SmtpError,
  hasExtension,
  isPositive,
  mailCommand,
  rcptCommand,
  replyClass,
  sizeLimit,
  unstuff,
  type Extensions,
  type Reply,
} from '../protocol/index.ts';
import { bodyBlocks } from './message.ts';
import { acceptedCount, sendEnvelope, type Chat } from './pipelining.ts';
import type { PreparedTransaction } from './plan.ts';
import type { State } from './session.ts';
import { SessionStop, rejected } from './stops.ts';
import type { SmtpEvent, TransactionFacts } from './types.ts';

/** What a transaction needs of its session. */
export interface TxWire extends Chat {
  /** The extensions in force. */
  readonly extensions: Extensions;
  /** Record the state the session is in (for failures that carry no state of their own). */
  enter(state: State): void;
  /** Start the body: until its last block is written, any input is a protocol violation. */
  beginBody(): void;
  /** Write one block of the body (DATA_BODY, with the data-block timeout). */
  writeBody(block: Uint8Array, last: boolean): Promise<void>;
  /** A reply that already arrived and was not read yet. */
  takeReply(): Reply | undefined;
  emit(event: SmtpEvent): void;
}

/** How the transaction is framed on its session. */
export interface TxFraming {
  /** RSET before MAIL (every transaction after the first on a session). */
  reset: boolean;
  /** Recipient verification only: RSET after the RCPT replies (runTransaction's behaviour). */
  resetAfter: boolean;
  /** The server holds no transaction now (the first on the session, or after a final reply). */
  clean: boolean;
}

/** Empty facts for `p`. */
export function newFacts(p: PreparedTransaction): TransactionFacts {
  const facts: TransactionFacts = {
    mailParams: [],
    recipients: p.tx.recipients.map((r) => ({ address: r.address })),
  };
  if (p.message !== undefined) facts.message = { size: p.message.size, eightBit: p.message.eightBit };
  return facts;
}

/** MAIL parameters for this server (RFC 1870, 6152, 6531, 3461); stops when one is missing. */
function mailParams(wire: TxWire, p: PreparedTransaction): string[] {
  const ext = wire.extensions;
  const msg = p.message;
  const params: string[] = [];
  // RFC 6531 §3.2, §3.4: non-ASCII envelope addresses go only with the SMTPUTF8 parameter,
  // which a client may use only when the server offers the extension.
  if (p.smtputf8 && !hasExtension(ext, 'SMTPUTF8')) {
    throw new SessionStop(
      'SMTP_ERR_SMTPUTF8_REQUIRED',
      'the message needs SMTPUTF8 and the server does not offer it',
      { state: 'MAIL' },
    );
  }
  if (msg !== undefined && hasExtension(ext, 'SIZE')) {
    const limit = sizeLimit(ext);
    // RFC 1870 §6: a message over the server's declared maximum is not sent at all.
    if (limit !== undefined && msg.size > limit) {
      throw new SessionStop(
        'SMTP_ERR_SIZE',
        `message size ${msg.size} exceeds the server's limit of ${limit} octets`,
        { state: 'MAIL' },
      );
    }
    params.push(`SIZE=${msg.size}`);
  }
  if (msg?.eightBit === true && hasExtension(ext, '8BITMIME')) params.push('BODY=8BITMIME');
  if (p.smtputf8) params.push('SMTPUTF8');
  if (hasExtension(ext, 'DSN')) params.push(...(p.tx.mailParams ?? []));
  return params;
}

/** Run the transaction, recording into `facts`; throws a SessionStop / SmtpError to stop. */
export async function runMailTransaction(
  wire: TxWire,
  p: PreparedTransaction,
  options: { facts: TransactionFacts; framing: TxFraming },
): Promise<void> {
  const { facts, framing } = options;
  const ext = wire.extensions;
  const params = mailParams(wire, p);
  facts.mailParams = params;
  const dsn = hasExtension(ext, 'DSN');
  const rcpts = p.tx.recipients.map((r) => rcptCommand(r.address, dsn ? (r.params ?? []) : []));
  const withData = p.message !== undefined;
  const pipelining = hasExtension(ext, 'PIPELINING');
  const mail = mailCommand(p.tx.from, params);
  const chunk =
    p.message !== undefined && hasExtension(ext, 'CHUNKING')
      ? { body: unstuff(p.message.chunks), clean: framing.clean }
      : undefined;
  await sendEnvelope(
    wire,
    { reset: framing.reset, mail, rcpts, withData, pipelining, ...(chunk === undefined ? {} : { chunk }) },
    facts,
  );
  if (facts.mail === undefined) throw new Error('no MAIL reply');
  // With PIPELINING the replies to RCPT and DATA were read after this one.
  if (!isPositive(facts.mail)) throw rejected('MAIL', facts.mail, { state: 'MAIL' });
  if (acceptedCount(facts) === 0) {
    const last = facts.recipients
      .map((r) => r.reply)
      .filter((r) => r !== undefined)
      .pop();
    if (last === undefined) throw new Error('no RCPT reply');
    throw new SessionStop(
      'SMTP_ERR_REPLY',
      `all recipients were rejected; last: ${rejected('RCPT', last).message}`,
      { reply: last, state: 'RCPT' },
    );
  }
  if (!withData) {
    /* Recipient verification ends the transaction with RSET (RFC 5321 §4.1.1.5). */
    if (framing.resetAfter) await wire.command('RSET', 'RSET');
    return;
  }
  if (chunk !== undefined) {
    if (facts.data === undefined) throw new Error('no BDAT reply');
    wire.emit({ type: 'body', octets: chunk.body.length });
    if (!isPositive(facts.data)) throw rejected('DATA_BODY', facts.data);
    return;
  }
  const start = facts.dataStart;
  if (start === undefined) throw new Error('no DATA reply');
  if (replyClass(start) !== 3) throw rejected('DATA', start);
  await sendBody(wire, p, facts);
}

async function sendBody(wire: TxWire, p: PreparedTransaction, facts: TransactionFacts): Promise<void> {
  wire.enter('DATA_BODY');
  const blocks = [...bodyBlocks(p.message?.chunks ?? [])];
  let octets = 0;
  try {
    wire.beginBody();
    for (const [i, block] of blocks.entries()) {
      await wire.writeBody(block, i === blocks.length - 1);
      octets += block.length;
    }
  } catch (err) {
    // A server that spoke before the final dot broke the protocol (see connection.ts); what it
    // said is kept with the failure, never as the reply to the message.
    const early = wire.takeReply();
    if (early === undefined || !(err instanceof SmtpError)) throw err;
    wire.emit({ type: 'reply', state: 'DATA_BODY', reply: early });
    throw new SessionStop(err.code, err.message, { reply: early, polite: false });
  }
  wire.emit({ type: 'body', octets });
  const reply = await wire.read('DATA_BODY');
  facts.data = reply;
  if (!isPositive(reply)) throw rejected('DATA_BODY', reply);
}
