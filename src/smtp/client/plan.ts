/**
 * Everything worked out before a byte is sent: the session options validated (a bad argument
 * is a thrown SMTP_ERR_ARGUMENT, never a network fault), the timeouts resolved, the EHLO/HELO
 * lines formatted; per transaction the envelope validated, whether SMTPUTF8 is needed, and the
 * message read and dot-stuffed (an over-long line is found here, before any server is bothered).
 * RFC 5321 §4.1.2 (paths), §4.5.3.1.6 (line length), RFC 6531 §3.2 (when SMTPUTF8 is needed).
 * Must never: do network I/O or resolve names.
 */
import net from 'node:net';
import {
  SmtpError,
  assertEsmtpParam,
  ehloCommand,
  heloCommand,
  needsSmtpUtf8,
  parseMailbox,
  parsePath,
  type StuffedMessage,
} from '../protocol/index.ts';
import { prepareMessage } from './message.ts';
import { resolveTimeouts, type Timeouts } from './session.ts';
import type { MailTransaction, SessionOptions } from './types.ts';

/** What a session works out before connecting. */
export interface SessionPlan {
  timeouts: Timeouts;
  ehlo: string;
  helo: string;
}

/** A transaction checked and its message prepared, ready to be sent on any session. */
export interface PreparedTransaction {
  tx: MailTransaction;
  smtputf8: boolean;
  message: StuffedMessage | undefined;
  /** A message that cannot be sent at all (SMTP_ERR_LINE_TOO_LONG): a fact, not a throw. */
  early: SmtpError | undefined;
}

/** Validate the session options (throws SMTP_ERR_ARGUMENT). */
export function planSession(o: SessionOptions): SessionPlan {
  const timeouts = resolveTimeouts(o.timeouts);
  // Only addresses: a host name would be resolved by the OS, around our DNSSEC validation.
  if (net.isIP(o.address) === 0) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `not an IP address: ${JSON.stringify(o.address)}`);
  }
  if (o.localAddress !== undefined && net.isIP(o.localAddress) === 0) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `not an IP address: ${JSON.stringify(o.localAddress)}`);
  }
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `invalid port ${String(o.port)}`);
  }
  if (!['never', 'if-offered', 'required'].includes(o.starttls)) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `invalid starttls mode ${JSON.stringify(o.starttls)}`);
  }
  if (o.trustStore !== undefined && !['system', 'none'].includes(o.trustStore)) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `invalid trust store ${JSON.stringify(o.trustStore)}`);
  }
  return { timeouts, ehlo: ehloCommand(o.helo), helo: heloCommand(o.helo) };
}

/** Validate the envelope (throws SMTP_ERR_ARGUMENT) without reading the message. */
function checkEnvelope(tx: MailTransaction): void {
  if (tx.recipients.length === 0) throw new SmtpError('SMTP_ERR_ARGUMENT', 'no recipients');
  parsePath(tx.from, { allowNull: true });
  for (const r of tx.recipients) {
    parseMailbox(r.address);
    for (const p of r.params ?? []) assertEsmtpParam(p);
  }
  for (const p of tx.mailParams ?? []) assertEsmtpParam(p);
}

/** Validate the envelope (throws SMTP_ERR_ARGUMENT) and prepare the message. */
export async function prepareTransaction(tx: MailTransaction): Promise<PreparedTransaction> {
  checkEnvelope(tx);
  const smtputf8 =
    tx.smtputf8 === true || [tx.from, ...tx.recipients.map((r) => r.address)].some(needsSmtpUtf8);
  let message: StuffedMessage | undefined;
  let early: SmtpError | undefined;
  try {
    if (tx.message !== undefined) message = await prepareMessage(tx.message);
  } catch (err) {
    if (!(err instanceof SmtpError) || err.code !== 'SMTP_ERR_LINE_TOO_LONG') throw err;
    early = err;
  }
  return { tx, smtputf8, message, early };
}
