/**
 * The SMTP client's protocol states as a table (like Postfix smtp_proto.c): per state the
 * timeout that applies while waiting in it, a description for transcripts and errors, and the
 * reply class that counts as success there.
 * RFC 5321 §4.5.3.2 (timeouts), §4.3.2 (command-reply sequences), RFC 3207 §4 (STARTTLS 220).
 * Must never: do I/O or decide what a failure means for the message (policy/ does).
 */
import { SmtpError } from '../protocol/index.ts';

/** Every state a transaction passes through. */
export const State = {
  CONNECT: 'CONNECT',
  GREETING: 'GREETING',
  EHLO: 'EHLO',
  HELO: 'HELO',
  STARTTLS: 'STARTTLS',
  TLS_HANDSHAKE: 'TLS_HANDSHAKE',
  MAIL: 'MAIL',
  RCPT: 'RCPT',
  DATA: 'DATA',
  DATA_BODY: 'DATA_BODY',
  RSET: 'RSET',
  QUIT: 'QUIT',
} as const;
export type State = (typeof State)[keyof typeof State];

/** Timeouts in milliseconds; every one can be overridden per transaction. */
export interface Timeouts {
  /** TCP connect. */
  connect: number;
  /** RFC 5321 §4.5.3.2.1 "Initial 220 Message: 5 Minutes". */
  greeting: number;
  /** EHLO / HELO reply (Postfix smtp_helo_timeout: 300 s). */
  ehlo: number;
  /** STARTTLS reply. */
  starttls: number;
  /** The whole TLS handshake. */
  tlsHandshake: number;
  /** RFC 5321 §4.5.3.2.2 "MAIL Command: 5 Minutes". */
  mail: number;
  /** RFC 5321 §4.5.3.2.3 "RCPT Command: 5 Minutes". */
  rcpt: number;
  /** RFC 5321 §4.5.3.2.4 "DATA Initiation: 2 Minutes". */
  data: number;
  /** RFC 5321 §4.5.3.2.5 "Data Block: 3 Minutes" — each write of body data. */
  dataBlock: number;
  /** RFC 5321 §4.5.3.2.6 "DATA Termination: 10 Minutes" — the reply to the final dot. */
  dataDone: number;
  /** RSET reply. */
  rset: number;
  /** QUIT reply; never waited for longer than this. */
  quit: number;
}

const MINUTE = 60_000;

/** RFC 5321 §4.5.3.2 defaults, plus connect 30 s, TLS handshake 60 s, QUIT 30 s. */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  connect: 30_000,
  greeting: 5 * MINUTE,
  ehlo: 5 * MINUTE,
  starttls: 5 * MINUTE,
  tlsHandshake: 60_000,
  mail: 5 * MINUTE,
  rcpt: 5 * MINUTE,
  data: 2 * MINUTE,
  dataBlock: 3 * MINUTE,
  dataDone: 10 * MINUTE,
  rset: 2 * MINUTE,
  quit: 30_000,
};

/** One row of the state table. */
export interface StateInfo {
  /** Which timeout applies while waiting in this state. */
  timeout: keyof Timeouts;
  /** Human description for transcripts and error messages ("while sending MAIL FROM"). */
  description: string;
  /** Reply class that means success in this state (undefined: no reply is read). */
  success?: 2 | 3;
}

/** The state table. */
export const STATES: Readonly<Record<State, StateInfo>> = {
  CONNECT: { timeout: 'connect', description: 'connecting' },
  GREETING: { timeout: 'greeting', description: 'waiting for the greeting', success: 2 },
  EHLO: { timeout: 'ehlo', description: 'sending EHLO', success: 2 },
  HELO: { timeout: 'ehlo', description: 'sending HELO', success: 2 },
  STARTTLS: { timeout: 'starttls', description: 'sending STARTTLS', success: 2 },
  TLS_HANDSHAKE: { timeout: 'tlsHandshake', description: 'during the TLS handshake' },
  MAIL: { timeout: 'mail', description: 'sending MAIL FROM', success: 2 },
  RCPT: { timeout: 'rcpt', description: 'sending RCPT TO', success: 2 },
  /* RFC 5321 §4.1.1.4: the DATA command is answered by 354 before the body is sent. */
  DATA: { timeout: 'data', description: 'sending DATA', success: 3 },
  DATA_BODY: { timeout: 'dataDone', description: 'sending the message body', success: 2 },
  RSET: { timeout: 'rset', description: 'sending RSET', success: 2 },
  QUIT: { timeout: 'quit', description: 'sending QUIT', success: 2 },
};

/** The timeout in ms for `state` under `timeouts`. */
export function timeoutFor(state: State, timeouts: Timeouts): number {
  return timeouts[STATES[state].timeout];
}

/** True when `code` is the success reply class of `state`. */
export function isSuccessIn(state: State, code: number): boolean {
  return STATES[state].success === Math.floor(code / 100);
}

/** Every timeout set to `ms` (a CLI's `--timeout`, a test or demo on loopback). */
export function uniformTimeouts(ms: number): Timeouts {
  const out: Timeouts = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(out) as (keyof Timeouts)[]) out[key] = ms;
  return out;
}

/** Merge per-call overrides into the defaults (undefined entries keep the default). */
export function resolveTimeouts(overrides: Partial<Timeouts> = {}): Timeouts {
  const out: Timeouts = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(out) as (keyof Timeouts)[]) {
    const v = overrides[key];
    if (v !== undefined) {
      if (!Number.isFinite(v) || v < 0) {
        throw new SmtpError('SMTP_ERR_ARGUMENT', `timeout ${key} must be a non-negative number`);
      }
      out[key] = v;
    }
  }
  return out;
}
