/**
 * The envelope phase: MAIL FROM, one RCPT TO per recipient and (when a message follows) DATA,
 * either as one pipelined group (RFC 2920) or in lock-step. Replies are recorded into the
 * result as they arrive; deciding what they mean is the caller's.
 * RFC 2920 §3.1 (command groups, DATA last, the lone dot), RFC 5321 §3.3 (mail transactions),
 * §3.8 (421 closes the session at any time).
 * Must never: send DATA when no recipient was accepted (lock-step); read replies out of order.
 */
import { SmtpError, isPositive, replyClass, type Reply } from '../protocol/index.ts';
import type { State } from './session.ts';
import type { TransactionResult } from './types.ts';

/** One command line to send, with the state its reply belongs to. */
export interface OutCommand {
  state: State;
  line: string;
}

/** The I/O the envelope phase needs (implemented by the transaction). */
export interface Chat {
  /** Send lines in one write (each gets CRLF). */
  send(commands: readonly OutCommand[]): Promise<void>;
  /** Read the next reply in `state`. */
  read(state: State): Promise<Reply>;
  /** Lock-step: check nothing unread is pending, send one line, read its reply. */
  command(state: State, line: string): Promise<Reply>;
}

/** What the envelope phase sends. */
export interface Envelope {
  mail: string;
  rcpts: readonly string[];
  withData: boolean;
  pipelining: boolean;
}

/** Thrown when the server said 421 (closing): nothing more will be answered. */
export class ServerClosing extends SmtpError {
  readonly reply: Reply;
  readonly state: State;
  constructor(state: State, reply: Reply) {
    super('SMTP_ERR_REPLY', `server is closing the session: ${reply.code} ${reply.text}`.trim());
    this.reply = reply;
    this.state = state;
  }
}

/*
 * RFC 5321 §3.8: a server closes the connection "After detecting the need to shut down the SMTP
 * service and returning a 421 response code. This response code can be issued after the server
 * receives any command or, if necessary, asynchronously from command receipt".
 */
function checkClosing(state: State, reply: Reply): Reply {
  if (reply.code === 421) throw new ServerClosing(state, reply);
  return reply;
}

/** Number of recipients with a 2xx reply. */
export function acceptedCount(result: TransactionResult): number {
  return result.recipients.filter((r) => r.reply !== undefined && isPositive(r.reply)).length;
}

/** Run the envelope phase, recording replies in `result` (mail, recipients[i].reply, dataStart). */
export async function sendEnvelope(chat: Chat, env: Envelope, result: TransactionResult): Promise<void> {
  if (env.pipelining) await pipelined(chat, env, result);
  else await lockStep(chat, env, result);
}

async function lockStep(chat: Chat, env: Envelope, result: TransactionResult): Promise<void> {
  result.mail = checkClosing('MAIL', await chat.command('MAIL', env.mail));
  if (!isPositive(result.mail)) return;
  for (const [i, line] of env.rcpts.entries()) {
    const reply = await chat.command('RCPT', line);
    const slot = result.recipients[i];
    if (slot !== undefined) slot.reply = reply;
    checkClosing('RCPT', reply);
  }
  if (env.withData && acceptedCount(result) > 0) {
    result.dataStart = checkClosing('DATA', await chat.command('DATA', 'DATA'));
  }
}

/*
 * RFC 2920 §3.1: "The EHLO, DATA, VRFY, EXPN, TURN, QUIT, and NOOP commands can only appear as
 * the last command in a group since their success or failure produces a change of state which
 * the client SMTP must accommodate."
 */
async function pipelined(chat: Chat, env: Envelope, result: TransactionResult): Promise<void> {
  const group: OutCommand[] = [
    { state: 'MAIL', line: env.mail },
    ...env.rcpts.map((line): OutCommand => ({ state: 'RCPT', line })),
  ];
  if (env.withData) group.push({ state: 'DATA', line: 'DATA' });
  await chat.send(group);
  result.mail = checkClosing('MAIL', await chat.read('MAIL'));
  for (const slot of result.recipients) {
    slot.reply = await chat.read('RCPT');
    checkClosing('RCPT', slot.reply);
  }
  if (!env.withData) return;
  result.dataStart = checkClosing('DATA', await chat.read('DATA'));
  /* RFC 2920 §3.1: "If the DATA command was accepted the SMTP client should send a single dot." */
  if (replyClass(result.dataStart) === 3 && (!isPositive(result.mail) || acceptedCount(result) === 0)) {
    await chat.send([{ state: 'DATA_BODY', line: '.' }]);
    await chat.read('DATA_BODY');
  }
}
