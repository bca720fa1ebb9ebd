/**
 * Formatting of the SMTP commands a client sends: EHLO, HELO, MAIL, RCPT, DATA, RSET, QUIT,
 * STARTTLS, NOOP. RFC 5321 §4.1.1 (command syntax), §4.1.2 (paths, esmtp-param), RFC 3207 §4
 * (STARTTLS). Every argument is checked for CR, LF and NUL before it can become a line.
 * Returns lines WITHOUT the trailing CRLF; the connection adds it.
 * Must never: produce a line that contains CR, LF or NUL; do I/O.
 */
import { SmtpError } from './errors.ts';
import { parsePath } from './address.ts';

/** Throw SMTP_ERR_ARGUMENT when `value` contains CR, LF or NUL (command injection). */
export function assertNoLineBreak(value: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\r\n\u0000]/.test(value)) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `${what} contains CR, LF or NUL`);
  }
}

/*
 * RFC 5321 §4.1.2:
 *   esmtp-param   = esmtp-keyword ["=" esmtp-value]
 *   esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 *   esmtp-value   = 1*(%d33-60 / %d62-126)
 * RFC 6531 §3.3 adds UTF8-non-ascii to esmtp-value.
 */
const ESMTP_PARAM = /^[A-Za-z0-9][A-Za-z0-9-]*(?:=[\u0021-\u003c\u003e-\u007e\u0080-\u{10ffff}]+)?$/u;

/** Throw SMTP_ERR_ARGUMENT unless `param` is a well-formed esmtp-param (`KEY` or `KEY=value`). */
export function assertEsmtpParam(param: string): void {
  assertNoLineBreak(param, 'ESMTP parameter');
  if (!ESMTP_PARAM.test(param)) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `malformed ESMTP parameter ${JSON.stringify(param)}`);
  }
}

/* RFC 5321 §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ) CRLF */
function assertHeloName(name: string): void {
  assertNoLineBreak(name, 'EHLO/HELO name');
  if (name.length === 0 || /\s/.test(name)) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', `invalid EHLO/HELO name ${JSON.stringify(name)}`);
  }
}

function withParams(head: string, params: readonly string[]): string {
  for (const p of params) assertEsmtpParam(p);
  return params.length === 0 ? head : `${head} ${params.join(' ')}`;
}

/** `EHLO name` (RFC 5321 §4.1.1.1). */
export function ehloCommand(name: string): string {
  assertHeloName(name);
  return `EHLO ${name}`;
}

/** `HELO name` (RFC 5321 §4.1.1.1). */
export function heloCommand(name: string): string {
  assertHeloName(name);
  return `HELO ${name}`;
}

/**
 * `MAIL FROM:<reverse-path> [params]` (RFC 5321 §4.1.1.2). `from` is the bare address or ''
 * for the null reverse path `<>`.
 */
export function mailCommand(from: string, params: readonly string[] = []): string {
  assertNoLineBreak(from, 'reverse path');
  parsePath(from, { allowNull: true });
  return withParams(`MAIL FROM:<${from}>`, params);
}

/** `RCPT TO:<forward-path> [params]` (RFC 5321 §4.1.1.3). */
export function rcptCommand(to: string, params: readonly string[] = []): string {
  assertNoLineBreak(to, 'forward path');
  parsePath(to);
  return withParams(`RCPT TO:<${to}>`, params);
}

/** The commands that take no argument. */
export const SimpleCommand = {
  DATA: 'DATA',
  RSET: 'RSET',
  QUIT: 'QUIT',
  STARTTLS: 'STARTTLS',
  NOOP: 'NOOP',
} as const;
export type SimpleCommand = (typeof SimpleCommand)[keyof typeof SimpleCommand];
