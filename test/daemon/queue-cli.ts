/**
 * `dane-mta queue …` (and any command) run in this process as the command line runs it — its own
 * store connection, its exit code, standard output and standard error — beside a running daemon,
 * and the shape of `queue list --json` (DESIGN.md's contract plus the fields an operator reads).
 * Test support only.
 */
import { main } from '../../src/cli/main.ts';
import { captureIo } from '../e2e/cli-io.ts';
import type { DaemonWorld } from './harness.ts';

/** What one `dane-mta queue …` run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `dane-mta ARGS…` in this process, as the command line would. */
export async function cli(...args: string[]): Promise<CliRun> {
  const cap = captureIo();
  const code = await main(args, cap.io);
  return { code, stdout: cap.stdout(), stderr: cap.stderr() };
}

/** Run `dane-mta queue ARGS… --config FILE` in this process (the daemon runs beside it). */
export function queueCli(world: DaemonWorld, ...args: string[]): Promise<CliRun> {
  return cli('queue', ...args, '--config', world.configFile);
}

/** `queue ARGS… --json`, which must succeed; the parsed value. */
export async function queueJson<T>(world: DaemonWorld, ...args: string[]): Promise<T> {
  const r = await queueCli(world, ...args, '--json');
  if (r.code !== 0) throw new Error(`queue ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A recipient of `queue list --json` (DESIGN.md's contract and the extra fields). */
export interface ListedRecipient {
  address: string;
  domain: string;
  state: string;
  held: boolean;
  attempts: number;
  next_attempt: string | null;
  last_attempt: string | null;
  enhanced: string | null;
  reason: string | null;
  last: Record<string, unknown> | null;
}

/** A message of `queue list --json`. */
export interface ListedMessage {
  id: string;
  from: string;
  size: number;
  received: string;
  kind: string;
  recipients: ListedRecipient[];
}
