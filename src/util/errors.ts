/**
 * Typed errors. Thrown errors are programming or I/O faults and carry a stable machine code
 * (`DNS_ERR_TRUNCATED`, `SMTP_ERR_TIMEOUT`, …) that logs and tests match on, as undici does.
 * Each layer declares its own code union and may subclass `MtaError`; delivery outcomes are
 * values, never exceptions.
 */

/** Base class of every error dane-mta throws on purpose. */
export class MtaError<C extends string = string> extends Error {
  readonly code: C;
  /** Extra machine-readable facts (offset in a packet, state of a session, …). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: C,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MtaError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `err` is an MtaError (optionally with the given code). */
export function isMtaError(err: unknown, code?: string): err is MtaError {
  return err instanceof MtaError && (code === undefined || err.code === code);
}

/** A one-line description of any thrown value, for operator-facing messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const text = err.message.replace(/\s*\n\s*/g, ' ').trim();
    return text.length > 0 ? text : err.name;
  }
  return String(err).replace(/\s*\n\s*/g, ' ');
}

/** Process exit codes (sysexits.h), as DESIGN.md's CLI contract says. */
export const ExitCode = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  TEMPFAIL: 75,
  CONFIG: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
