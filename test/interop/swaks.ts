/**
 * Sends one test message with swaks (the "Swiss Army Knife for SMTP") as an independent SMTP
 * client: plain, or with STARTTLS required (RFC 3207) or optional. Returns swaks's exit code
 * and its transcript. Must never connect to anything but a loopback address.
 */
import { InteropError, InteropErrorCode } from './errors.ts';
import { assertLoopback } from './net.ts';
import { runCommand } from './process.ts';

/** Options of {@link runSwaks}. */
export interface SwaksOptions {
  readonly server: string;
  readonly port: number;
  readonly from: string;
  readonly to: string;
  /** true: STARTTLS required; 'optional': used when offered; false: never. */
  readonly tls: boolean | 'optional';
  /** EHLO name (default "swaks.interop.example"). */
  readonly helo?: string;
  /** Source address to connect from (a loopback address). */
  readonly localAddress?: string;
  /** Extra header lines ("Subject: hello"). */
  readonly headers?: readonly string[];
  readonly body?: string;
  /** swaks's per-step timeout (default 15 s). */
  readonly timeoutSeconds?: number;
}

/** What swaks did. */
export interface SwaksResult {
  /** swaks's exit code: 0 when the message was accepted. */
  readonly exitCode: number;
  readonly ok: boolean;
  /** The session as swaks printed it ("~>" client, "<~" server lines after STARTTLS). */
  readonly transcript: string;
}

function noLineBreak(value: string, what: string): string {
  if (/[\r\n]/.test(value))
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `${what} contains a line break`);
  return value;
}

/** The swaks command-line arguments for `options` (exported for tests). */
export function swaksArgs(options: SwaksOptions): string[] {
  assertLoopback(options.server);
  if (options.localAddress !== undefined) assertLoopback(options.localAddress);
  const tls = options.tls === true ? ['--tls'] : options.tls === 'optional' ? ['--tls-optional'] : [];
  return [
    '--server',
    options.server,
    '--port',
    String(options.port),
    '--from',
    noLineBreak(options.from, 'from'),
    '--to',
    noLineBreak(options.to, 'to'),
    '--helo',
    noLineBreak(options.helo ?? 'swaks.interop.example', 'helo'),
    '--timeout',
    `${options.timeoutSeconds ?? 15}s`,
    ...tls,
    ...(options.localAddress === undefined ? [] : ['--local-interface', options.localAddress]),
    ...(options.headers ?? []).flatMap((h) => ['--add-header', noLineBreak(h, 'header')]),
    ...(options.body === undefined ? [] : ['--body', options.body]),
  ];
}

/** Runs swaks; never throws for an SMTP failure (see exitCode), only when swaks cannot run. */
export async function runSwaks(options: SwaksOptions): Promise<SwaksResult> {
  const res = await runCommand('swaks', swaksArgs(options), {
    allowFailure: true,
    timeoutMs: ((options.timeoutSeconds ?? 15) * 4 + 10) * 1000,
  });
  return { exitCode: res.code, ok: res.code === 0, transcript: res.stdout + res.stderr };
}
