/**
 * The SMTP layers' error codes and error class. Both smtp/protocol (parse and format errors)
 * and smtp/client (network, TLS and transaction failures) use this one code union, so a
 * failure code reads the same in a thrown error, an event and a `TransactionResult`.
 * Must never: carry policy (defer / bounce / next MX); that is decided in policy/.
 */
import { MtaError } from '../../util/index.ts';

/** Every machine code the SMTP layers produce. */
export const SmtpErrorCode = {
  /** TCP connection could not be established (refused, unreachable, bad local address). */
  CONNECT: 'SMTP_ERR_CONNECT',
  /** A per-state timeout expired (see the state table in smtp/client/session.ts). */
  TIMEOUT: 'SMTP_ERR_TIMEOUT',
  /** Garbage, over-long line, too many lines, inconsistent codes, unexpected close. */
  PROTOCOL: 'SMTP_ERR_PROTOCOL',
  /** The TLS handshake after STARTTLS failed. */
  TLS_HANDSHAKE: 'SMTP_ERR_TLS_HANDSHAKE',
  /** STARTTLS was required but the server did not offer it. */
  STARTTLS_NOT_OFFERED: 'SMTP_ERR_STARTTLS_NOT_OFFERED',
  /** The server answered STARTTLS with something other than 220. */
  STARTTLS_REFUSED: 'SMTP_ERR_STARTTLS_REFUSED',
  /** The caller's verifyPeer callback rejected the TLS peer. */
  PEER_REJECTED: 'SMTP_ERR_PEER_REJECTED',
  /** An address needs SMTPUTF8 (RFC 6531) and the server does not offer it. */
  SMTPUTF8_REQUIRED: 'SMTP_ERR_SMTPUTF8_REQUIRED',
  /** The message is larger than the server's advertised SIZE (RFC 1870). */
  SIZE: 'SMTP_ERR_SIZE',
  /** The message has a line over 998 octets (RFC 5321 §4.5.3.1.6). */
  LINE_TOO_LONG: 'SMTP_ERR_LINE_TOO_LONG',
  /** A non-success reply stopped the transaction (the reply is attached). */
  REPLY: 'SMTP_ERR_REPLY',
  /** The caller's AbortSignal fired. */
  ABORTED: 'SMTP_ERR_ABORTED',
  /** A bad argument from the caller: CR/LF/NUL in a command, malformed address or parameter. */
  ARGUMENT: 'SMTP_ERR_ARGUMENT',
} as const;
export type SmtpErrorCode = (typeof SmtpErrorCode)[keyof typeof SmtpErrorCode];

/** An error raised by the SMTP layers; `code` is stable, `message` is one line. */
export class SmtpError extends MtaError<SmtpErrorCode> {
  constructor(
    code: SmtpErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'SmtpError';
  }
}

/** True when `err` is an SmtpError (optionally with the given code). */
export function isSmtpError(err: unknown, code?: SmtpErrorCode): err is SmtpError {
  return err instanceof SmtpError && (code === undefined || err.code === code);
}
