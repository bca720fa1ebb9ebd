/**
 * The envelope phase: (RSET before every transaction after the first on a session,) MAIL FROM,
 * one RCPT TO per recipient and (when a message follows) DATA, either as one pipelined group
 * (RFC 2920) or in lock-step. Replies are recorded into the facts as they arrive; deciding what
 * they mean is the caller's.
 * RFC 2920 §3.1 (command groups, DATA last, the lone dot), RFC 5321 §3.3 (mail transactions),
 * §4.1.1.5 (RSET), §3.8 (421 closes the session at any time).
 * Must never: send DATA when no recipient was accepted (lock-step); read replies out of order;
 * send a body or a dot into a transaction whose RSET was refused.
 */
import { isPositive, replyClass, type Reply } from '../protocol/index.ts';
import type { State } from './session.ts';
import { checkClosing, rejected } from './stops.ts';
import type { TransactionFacts } from './types.ts';

/** One command line to send, with the state its reply belongs to. */
export interface OutCommand {
  state: State;
  line: string;
}

/** The I/O the envelope phase needs (implemented by the session). */
export interface Chat {
  /** Send lines in one write (each gets CRLF). */
  send(commands: readonly OutCommand[]): Promise<void>;
  /** Send lines and then `body` in one write (BDAT, RFC 3030). */
  sendWithBody(commands: readonly OutCommand[], body: Uint8Array): Promise<void>;
  /** Read the next reply in `state`. */
  read(state: State): Promise<Reply>;
  /** Lock-step: check nothing unread is pending, send one line, read its reply. */
  command(state: State, line: string): Promise<Reply>;
}

/** What the envelope phase sends. */
export interface Envelope {
  /** Send RSET first (a transaction after the first on the session). */
  reset: boolean;
  mail: string;
  rcpts: readonly string[];
  withData: boolean;
  pipelining: boolean;
  /**
   * RFC 3030: the message goes as one `BDAT n LAST` chunk, written with the envelope when
   * pipelining and the server holds no transaction (`clean`), else after the RCPT replies.
   */
  chunk?: { body: Uint8Array; clean: boolean };
}

/** Number of recipients with a 2xx reply. */
export function acceptedCount(facts: Pick<TransactionFacts, 'recipients'>): number {
  return facts.recipients.filter((r) => r.reply !== undefined && isPositive(r.reply)).length;
}

/** Run the envelope phase, recording replies in `facts` (rset, mail, recipients[i].reply, dataStart). */
export async function sendEnvelope(chat: Chat, env: Envelope, facts: TransactionFacts): Promise<void> {
  if (env.chunk !== undefined) await chunked(chat, { ...env, chunk: env.chunk }, facts);
  else if (env.pipelining) await pipelined(chat, env, facts);
  else await lockStep(chat, env, facts);
}

/*
 * RFC 3030 §2: "BDAT <SP> chunk-size [ <SP> end-marker ]"; the chunk is the next chunk-size
 * octets, with no transparency, and the reply to the LAST chunk is the reply to the message.
 * Pipelined with its envelope only when the server is known to hold no transaction (the first
 * on the session, or after a message's final reply): then whatever RSET, MAIL or the RCPTs
 * answer, the chunk cannot join a transaction of earlier recipients — without a valid recipient
 * the server rejects it. Otherwise the envelope goes first and its replies are checked, as for
 * DATA. The reply to BDAT is kept as the message's final reply (`facts.data`).
 */
async function chunked(
  chat: Chat,
  env: Envelope & { chunk: { body: Uint8Array; clean: boolean } },
  facts: TransactionFacts,
): Promise<void> {
  const bdat: OutCommand = { state: 'DATA', line: `BDAT ${env.chunk.body.length} LAST` };
  if (!env.pipelining || !env.chunk.clean) {
    const { chunk: _, ...envelope } = env;
    await sendEnvelope(chat, { ...envelope, withData: false }, facts);
    if (facts.mail === undefined || !isPositive(facts.mail) || acceptedCount(facts) === 0) return;
    await chat.sendWithBody([bdat], env.chunk.body);
    facts.data = await chat.read('DATA_BODY');
    return;
  }
  const group: OutCommand[] = [
    ...(env.reset ? [{ state: 'RSET', line: 'RSET' } as const] : []),
    { state: 'MAIL', line: env.mail },
    ...env.rcpts.map((line): OutCommand => ({ state: 'RCPT', line })),
    bdat,
  ];
  await chat.sendWithBody(group, env.chunk.body);
  if (env.reset) facts.rset = checkClosing('RSET', await chat.read('RSET'));
  facts.mail = checkClosing('MAIL', await chat.read('MAIL'));
  for (const slot of facts.recipients) {
    slot.reply = await chat.read('RCPT');
    checkClosing('RCPT', slot.reply);
  }
  facts.data = checkClosing('DATA_BODY', await chat.read('DATA_BODY'));
  if (facts.rset !== undefined && !isPositive(facts.rset)) resetRefused(facts.rset);
}

/*
 * RFC 5321 §4.1.1.5: "If the RSET command is issued, any stored sender, recipients, and mail
 * data MUST be discarded" and "The receiver MUST send a "250 OK" reply to a RSET command with
 * no arguments." Anything else leaves the server's transaction state unknown: the session
 * cannot be used for another transaction (QUIT is still fine).
 */
function resetRefused(rset: Reply): never {
  throw rejected('RSET', rset, { state: 'RSET', reusable: false });
}

async function lockStep(chat: Chat, env: Envelope, facts: TransactionFacts): Promise<void> {
  if (env.reset) {
    facts.rset = checkClosing('RSET', await chat.command('RSET', 'RSET'));
    if (!isPositive(facts.rset)) resetRefused(facts.rset);
  }
  facts.mail = checkClosing('MAIL', await chat.command('MAIL', env.mail));
  if (!isPositive(facts.mail)) return;
  for (const [i, line] of env.rcpts.entries()) {
    const reply = await chat.command('RCPT', line);
    const slot = facts.recipients[i];
    if (slot !== undefined) slot.reply = reply;
    checkClosing('RCPT', reply);
  }
  if (env.withData && acceptedCount(facts) > 0) {
    facts.dataStart = checkClosing('DATA', await chat.command('DATA', 'DATA'));
  }
}

/*
 * RFC 2920 §3.1: "The EHLO, DATA, VRFY, EXPN, TURN, QUIT, and NOOP commands can only appear as
 * the last command in a group since their success or failure produces a change of state which
 * the client SMTP must accommodate." RSET is not among them: it may lead the group.
 */
async function pipelined(chat: Chat, env: Envelope, facts: TransactionFacts): Promise<void> {
  const group: OutCommand[] = [
    ...(env.reset ? [{ state: 'RSET', line: 'RSET' } as const] : []),
    { state: 'MAIL', line: env.mail },
    ...env.rcpts.map((line): OutCommand => ({ state: 'RCPT', line })),
  ];
  if (env.withData) group.push({ state: 'DATA', line: 'DATA' });
  await chat.send(group);
  if (env.reset) facts.rset = checkClosing('RSET', await chat.read('RSET'));
  facts.mail = checkClosing('MAIL', await chat.read('MAIL'));
  for (const slot of facts.recipients) {
    slot.reply = await chat.read('RCPT');
    checkClosing('RCPT', slot.reply);
  }
  if (env.withData) facts.dataStart = checkClosing('DATA', await chat.read('DATA'));
  if (facts.rset !== undefined && !isPositive(facts.rset)) {
    // A 354 here would open a transaction of unknown recipients: never answer it, drop the line.
    if (facts.dataStart !== undefined && replyClass(facts.dataStart) === 3) {
      throw rejected('RSET', facts.rset, { state: 'RSET', polite: false });
    }
    resetRefused(facts.rset);
  }
  if (facts.dataStart === undefined) return;
  /* RFC 2920 §3.1: "If the DATA command was accepted the SMTP client should send a single dot." */
  if (replyClass(facts.dataStart) === 3 && (!isPositive(facts.mail) || acceptedCount(facts) === 0)) {
    await chat.send([{ state: 'DATA_BODY', line: '.' }]);
    await chat.read('DATA_BODY');
  }
}
