/**
 * One SMTP transaction on a connection of its own: a session opened for it (connect → greeting
 * → EHLO (HELO fallback) → STARTTLS per mode → verifyPeer → fresh EHLO), one mail transaction
 * (or, without a message, recipient verification ending with RSET), then QUIT.
 * RFC 5321 §3 and §4, RFC 3207 §4.2, RFC 2920 (see smtp-session.ts and mail-transaction.ts).
 * Must never: throw for anything the network or the server does (those are `failure` facts);
 * connect when the message cannot be sent at all (an over-long line); resolve host names.
 */
import { newFacts } from './mail-transaction.ts';
import { planSession, prepareTransaction } from './plan.ts';
import { Session } from './smtp-session.ts';
import type { SessionFacts, TransactionFacts, TransactionOptions, TransactionResult } from './types.ts';

/**
 * Run one SMTP transaction and report what happened. Resolves with facts for everything the
 * network or the server does; rejects only for bad arguments (SMTP_ERR_ARGUMENT).
 */
export async function runTransaction(options: TransactionOptions): Promise<TransactionResult> {
  const session = new Session(options, planSession(options));
  const prepared = await prepareTransaction(options);
  if (prepared.early !== undefined) {
    return merge(session.facts, await session.sendPrepared(prepared, { resetAfter: true }));
  }
  await session.open();
  const tx =
    session.facts.failure === undefined
      ? await session.sendPrepared(prepared, { resetAfter: true })
      : newFacts(prepared);
  await session.close();
  return merge(session.facts, tx);
}

/** The result shape of runTransaction: the session's facts and its one transaction's. */
function merge(s: SessionFacts, t: TransactionFacts): TransactionResult {
  const result: TransactionResult = {
    address: s.address,
    port: s.port,
    connected: s.connected,
    usedHelo: s.usedHelo,
    extensions: s.extensions,
    starttlsOffered: s.starttlsOffered,
    tls: s.tls,
    mailParams: t.mailParams,
    recipients: t.recipients,
  };
  if (s.greeting !== undefined) result.greeting = s.greeting;
  if (s.hello !== undefined) result.hello = s.hello;
  if (t.mail !== undefined) result.mail = t.mail;
  if (t.dataStart !== undefined) result.dataStart = t.dataStart;
  if (t.data !== undefined) result.data = t.data;
  if (s.quit !== undefined) result.quit = s.quit;
  if (t.message !== undefined) result.message = t.message;
  const failure = s.failure ?? t.failure;
  if (failure !== undefined) result.failure = failure;
  return result;
}
