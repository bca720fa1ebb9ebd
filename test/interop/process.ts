/**
 * Child processes of the interop tests: one-shot commands with a deadline, and daemons run in
 * the foreground in their own process group so that stopping one ends all its children.
 * Every daemon is recorded; if the test process exits (normally, or on SIGINT/SIGTERM) while
 * one still runs, its whole process group is killed, so no process outlives the test run.
 * Must never kill a process it did not start, and never wait without a deadline.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { InteropError, InteropErrorCode, tailLines } from './errors.ts';
import { toolPath } from './tools.ts';

/** Outcome of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  readonly cwd?: string;
  /** Kill the command after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Written to the command's standard input (closed afterwards). */
  readonly input?: string;
  /** Return non-zero exits instead of throwing INTEROP_ERR_COMMAND_FAILED. */
  readonly allowFailure?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  /** Called with the command's PID once it runs (in its own session). */
  readonly onSpawn?: (pid: number) => void;
}

const OUTPUT_LIMIT = 4 * 1024 * 1024;

/**
 * Runs `tool` (a name looked up with toolPath, or an absolute path) with `args` and collects its
 * output. Throws INTEROP_ERR_COMMAND_FAILED on a non-zero exit (unless `allowFailure`) and
 * INTEROP_ERR_TIMEOUT when the deadline passes (the command is then killed).
 */
export async function runCommand(
  tool: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const file = tool.startsWith('/') ? tool : toolPath(tool);
  const timeoutMs = options.timeoutMs ?? 60_000;
  return await new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, LC_ALL: 'C' },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout (or our own exit) also ends what it forked.
      detached: true,
    });
    const forget = onEmergencyExit(() => {
      killGroup(child.pid, 'SIGKILL');
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    if (child.stdin !== null) {
      // A command that exits without reading its input must not crash the test with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += d.toString('utf8');
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => {
      killGroup(child.pid, 'SIGKILL');
      reject(
        new InteropError(InteropErrorCode.TIMEOUT, `${tool} did not finish within ${timeoutMs} ms`, {
          details: { tool, args },
        }),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      forget();
      reject(new InteropError(InteropErrorCode.COMMAND_FAILED, `${tool}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      forget();
      const exit = code ?? 128 + (signal === null ? 0 : 9);
      if (exit !== 0 && options.allowFailure !== true) {
        const said = tailLines(stderr + '\n' + stdout);
        reject(
          new InteropError(InteropErrorCode.COMMAND_FAILED, `${tool} exited with ${exit}: ${said}`, {
            details: { tool, args, code: exit, stdout, stderr },
          }),
        );
        return;
      }
      resolve({ code: exit, stdout, stderr });
    });
  });
}

/** A daemon started by {@link startDaemon}. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** Everything the daemon printed so far (stdout and stderr interleaved, capped). */
  output(): string;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** Resolves with the exit code (or 128+signal) when the process has exited. */
  readonly exited: Promise<number>;
  /** SIGTERM to the process group, SIGKILL after `graceMs` (default 5 s); resolves when gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  /** A short name for messages ("nsd 127.53.1.1:53"). */
  readonly name: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Send stdout and stderr to this file (appended) instead of memory, for daemons that log a
   * line per event; `output()` then reads the file's tail.
   */
  readonly logFile?: string;
}

const emergency = new Set<() => void>();
let hooksInstalled = false;

function killGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (pgid === undefined || pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = (): void => {
    for (const action of emergency) {
      try {
        action();
      } catch {
        // best effort: the process is going away
      }
    }
    emergency.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

/**
 * Registers a synchronous action (typically a SIGKILL to a process group) to run if the test
 * process exits, or is ended by SIGINT/SIGTERM/SIGHUP, before the returned function is called.
 * For processes that leave the group startDaemon made (Postfix's master calls setsid()).
 */
export function onEmergencyExit(action: () => void): () => void {
  installExitHooks();
  emergency.add(action);
  return () => {
    emergency.delete(action);
  };
}

/** True when `pid` exists and is not a zombie (an orphan may wait unreaped under PID 1). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

/** The command name of a running process (/proc/PID/comm), or undefined. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Kills process group `pgid` with SIGKILL (no error if it is gone). */
export function killProcessGroup(pgid: number): void {
  killGroup(pgid, 'SIGKILL');
}

/**
 * Starts `tool` with `args` as a foreground daemon in a new process group (session), collecting
 * its output. The daemon is killed with its whole group when the test process exits.
 */
export function startDaemon(tool: string, args: readonly string[], options: DaemonOptions): Daemon {
  installExitHooks();
  const file = tool.startsWith('/') ? tool : toolPath(tool);
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, LC_ALL: 'C' },
    stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'],
    detached: true,
  });
  if (logFd !== undefined) closeSync(logFd);
  let output = '';
  const collect = (d: Buffer): void => {
    output += d.toString('utf8');
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT / 2);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const logTail = (): string => {
    if (options.logFile === undefined) return '';
    try {
      return readFileSync(options.logFile, 'utf8').slice(-OUTPUT_LIMIT / 2);
    } catch {
      return '';
    }
  };
  let exitCode: number | undefined;
  const forget = onEmergencyExit(() => {
    killGroup(child.pid, 'SIGKILL');
  });
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      output += `\n${options.name}: ${err.message}\n`;
      exitCode = 127;
      forget();
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      exitCode = code ?? 128 + (signal === null ? 0 : signalNumber(signal));
      resolve(exitCode);
    });
  });
  return {
    name: options.name,
    pid: child.pid ?? -1,
    output: () => logTail() + output,
    hasExited: () => exitCode !== undefined,
    exited,
    stop: async (graceMs = 5000) => {
      if (exitCode === undefined) {
        killGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => {
          killGroup(child.pid, 'SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Whatever is left of the group (children that ignored SIGTERM) goes too.
      killGroup(child.pid, 'SIGKILL');
      forget();
    },
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[signal] ?? 0;
}

/** Options of {@link waitUntilReady}. */
export interface ReadyOptions {
  /** Give up after this long (default 15 s). */
  readonly timeoutMs?: number;
  /** Pause between probes (default 100 ms). */
  readonly intervalMs?: number;
  /** Give up at once when the daemon's output matches this (e.g. NSD's "error: "). */
  readonly failOn?: RegExp;
}

/**
 * Polls `probe` until it returns true, failing fast with INTEROP_ERR_START_FAILED (quoting the
 * daemon's output) if the daemon exits, and with INTEROP_ERR_TIMEOUT when the deadline passes.
 */
export async function waitUntilReady(
  daemon: Daemon,
  probe: () => Promise<boolean>,
  options: ReadyOptions = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const interval = options.intervalMs ?? 100;
  for (;;) {
    if (daemon.hasExited()) {
      const code = await daemon.exited;
      throw new InteropError(
        InteropErrorCode.START_FAILED,
        `${daemon.name} exited with ${code} during start-up: ${tailLines(daemon.output())}`,
      );
    }
    const complaint = options.failOn === undefined ? null : options.failOn.exec(daemon.output());
    if (complaint !== null) {
      throw new InteropError(
        InteropErrorCode.START_FAILED,
        `${daemon.name} reported a problem during start-up: ${tailLines(daemon.output())}`,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      await daemon.stop(1000);
      throw new InteropError(
        InteropErrorCode.TIMEOUT,
        `${daemon.name} not ready after ${options.timeoutMs ?? 15_000} ms: ${tailLines(daemon.output())}`,
      );
    }
    await sleep(interval);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
