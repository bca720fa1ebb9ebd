/**
 * Postfix's smtp-source(1) as a load generator: N messages of a given body length over S
 * parallel SMTP sessions to one server, one connection per session for all its messages (-d)
 * or a new connection per message. Returns how long it ran and what it printed. The relay
 * benchmark feeds both senders with it, the same way. Must never connect to anything but a
 * loopback address, or run without a deadline.
 */
import { InteropError, InteropErrorCode } from './errors.ts';
import { assertLoopback } from './net.ts';
import { runCommand } from './process.ts';

/** Options of {@link runSmtpSource}. */
export interface SmtpSourceOptions {
  readonly server: string;
  readonly port: number;
  readonly from: string;
  readonly to: string;
  /** Messages in all (-m). */
  readonly messages: number;
  /** Parallel sessions (-s, default 1). */
  readonly sessions?: number;
  /** Body length in bytes, headers not included (-l, default 2048). */
  readonly length?: number;
  /** Keep each session's connection for its next message (-d, default true). */
  readonly reuseConnection?: boolean;
  /** HELO name (-M, default "source.interop.example"). */
  readonly helo?: string;
  /** Kill it after this long (default 10 min). */
  readonly timeoutMs?: number;
  /** Called with smtp-source's PID once it runs. */
  readonly onSpawn?: (pid: number) => void;
}

/** What one smtp-source run did. */
export interface SmtpSourceResult {
  /** Wall time from spawn to exit, ns. */
  readonly ns: number;
  readonly output: string;
}

function plainAddress(value: string, what: string): string {
  if (!/^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+$/.test(value))
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `${what} is not a plain address: ${value}`);
  return value;
}

function positive(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 1)
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `${what} must be a positive integer, got ${value}`);
  return String(value);
}

/** The smtp-source arguments for `options` (exported for tests). */
export function smtpSourceArgs(options: SmtpSourceOptions): string[] {
  assertLoopback(options.server);
  const host = options.server.includes(':') ? `[${options.server}]` : options.server;
  return [
    ...(options.reuseConnection === false ? [] : ['-d']),
    '-m',
    positive(options.messages, 'messages'),
    '-s',
    positive(options.sessions ?? 1, 'sessions'),
    '-l',
    positive(options.length ?? 2048, 'length'),
    '-M',
    options.helo ?? 'source.interop.example',
    '-f',
    plainAddress(options.from, 'from'),
    '-t',
    plainAddress(options.to, 'to'),
    `inet:${host}:${positive(options.port, 'port')}`,
  ];
}

/**
 * Runs smtp-source; resolves when every message got its 250 (smtp-source exits 0). Any other
 * reply or a lost connection makes smtp-source exit non-zero: INTEROP_ERR_COMMAND_FAILED.
 */
export async function runSmtpSource(options: SmtpSourceOptions): Promise<SmtpSourceResult> {
  const args = smtpSourceArgs(options);
  const start = process.hrtime.bigint();
  const res = await runCommand('smtp-source', args, {
    timeoutMs: options.timeoutMs ?? 600_000,
    ...(options.onSpawn === undefined ? {} : { onSpawn: options.onSpawn }),
  });
  return { ns: Number(process.hrtime.bigint() - start), output: res.stdout + res.stderr };
}
