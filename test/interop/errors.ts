/**
 * Typed errors of the interop test infrastructure (real Debian software started by tests).
 * Every failure of a helper — a missing tool, a daemon that does not come up, a command that
 * exits non-zero, a bad argument — is an `InteropError` with a one-line message that names the
 * program and quotes the last lines it printed. Must never swallow a failure silently.
 */
import { MtaError } from '../../src/util/index.ts';

/** Machine codes of interop helper failures. */
export const InteropErrorCode = {
  TOOL_MISSING: 'INTEROP_ERR_TOOL_MISSING',
  NOT_ROOT: 'INTEROP_ERR_NOT_ROOT',
  BAD_ARGUMENT: 'INTEROP_ERR_BAD_ARGUMENT',
  COMMAND_FAILED: 'INTEROP_ERR_COMMAND_FAILED',
  START_FAILED: 'INTEROP_ERR_START_FAILED',
  TIMEOUT: 'INTEROP_ERR_TIMEOUT',
} as const;
export type InteropErrorCode = (typeof InteropErrorCode)[keyof typeof InteropErrorCode];

/** An error raised by an interop helper. */
export class InteropError extends MtaError<InteropErrorCode> {
  constructor(
    code: InteropErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'InteropError';
  }
}

/** The last `count` non-empty lines of a program's output, joined with " | " for a one-line message. */
export function tailLines(text: string, count = 6): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.slice(-count).join(' | ');
}
