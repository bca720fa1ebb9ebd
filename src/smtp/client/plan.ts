/**
 * Everything a transaction works out before it connects: the options validated (a bad
 * argument is a thrown SMTP_ERR_ARGUMENT, never a network fault), the timeouts resolved, the
 * EHLO/HELO lines formatted, whether SMTPUTF8 is needed, and the message read and dot-stuffed
 * (an over-long line is found here, before any server is bothered).
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
import type { TransactionOptions } from './types.ts';

/** Everything worked out before connecting. */
export interface Plan {
  timeouts: Timeouts;
  ehlo: string;
  helo: string;
  smtputf8: boolean;
  message: StuffedMessage | undefined;
  early: SmtpError | undefined;
}

/** Validate the options (throws SMTP_ERR_ARGUMENT) and prepare the message. */
export async function plan(o: TransactionOptions): Promise<Plan> {
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
  if (o.recipients.length === 0) throw new SmtpError('SMTP_ERR_ARGUMENT', 'no recipients');
  parsePath(o.from, { allowNull: true });
  for (const r of o.recipients) {
    parseMailbox(r.address);
    for (const p of r.params ?? []) assertEsmtpParam(p);
  }
  for (const p of o.mailParams ?? []) assertEsmtpParam(p);
  const smtputf8 = o.smtputf8 === true || [o.from, ...o.recipients.map((r) => r.address)].some(needsSmtpUtf8);
  let message: StuffedMessage | undefined;
  let early: SmtpError | undefined;
  try {
    if (o.message !== undefined) message = await prepareMessage(o.message);
  } catch (err) {
    if (!(err instanceof SmtpError) || err.code !== 'SMTP_ERR_LINE_TOO_LONG') throw err;
    early = err;
  }
  return { timeouts, ehlo: ehloCommand(o.helo), helo: heloCommand(o.helo), smtputf8, message, early };
}
