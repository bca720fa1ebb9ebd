/**
 * What a process (and everything it forked) cost, read from Linux's /proc (proc(5)): CPU time
 * of a process tree — its live members plus the children it has already reaped (cutime and
 * cstime), so a Postfix master that forks and reaps smtp(8) processes is accounted in full —
 * and the resident-set high-water mark (VmHWM). For the benchmarks, which report CPU seconds per
 * message and peak memory of the senders they compare; and the autogroup nice value a benchmark
 * may give its own daemons on a shared machine.
 * Must never signal the processes it reads, or change the priority of a process it did not start.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** The fields of /proc/PID/stat the accounting uses (times in clock ticks). */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** R, S, D, Z, … */
  readonly state: string;
  readonly utime: number;
  readonly stime: number;
  /** CPU of waited-for children (and theirs), user and system. */
  readonly cutime: number;
  readonly cstime: number;
}

/**
 * Parses one /proc/PID/stat line. The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so the fields after it are counted from the last ')'.
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 1 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  // After ')': state(3) ppid(4) pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15) cutime(16) cstime(17) …
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const num = (field: number): number => Number(rest[field - 3]);
  const stat = {
    pid,
    ppid: num(4),
    state: rest[0] ?? '',
    utime: num(14),
    stime: num(15),
    cutime: num(16),
    cstime: num(17),
  };
  const numbers = [stat.pid, stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime];
  return numbers.every((n) => Number.isInteger(n) && n >= 0) ? stat : undefined;
}

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when getconf is missing). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticks = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Every process now in /proc. */
function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat !== undefined) out.push(stat);
  }
  return out;
}

/** The CPU ticks of `stats` rooted at `root`: each member's own and reaped children's time. */
export function treeTicks(root: number, stats: readonly ProcStat[]): number {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const self = stats.find((s) => s.pid === root);
  if (self === undefined) return 0;
  let total = 0;
  const stack = [self];
  for (let s = stack.pop(); s !== undefined; s = stack.pop()) {
    total += s.utime + s.stime + s.cutime + s.cstime;
    stack.push(...(children.get(s.pid) ?? []));
  }
  return total;
}

/**
 * CPU seconds used so far by process `pid` and its descendants, including those that exited and
 * were reaped inside the tree. Take it before and after a run and subtract. 0 if `pid` is gone.
 */
export function treeCpuSeconds(pid: number): number {
  return treeTicks(pid, allProcesses()) / clockTicksPerSecond();
}

/**
 * CPU seconds of one process's threads so far, split into its main thread (the thread whose id
 * is the PID: Node's event loop) and all the others (worker threads, libuv and V8 helpers).
 */
export function threadCpuSeconds(pid: number): { readonly main: number; readonly others: number } {
  let main = 0;
  let others = 0;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main: Number.NaN, others: Number.NaN };
  }
  for (const tid of tids) {
    let stat: ProcStat | undefined;
    try {
      stat = parseProcStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      continue; // the thread ended meanwhile
    }
    if (stat === undefined) continue;
    if (stat.pid === pid) main += stat.utime + stat.stime;
    else others += stat.utime + stat.stime;
  }
  return { main: main / clockTicksPerSecond(), others: others / clockTicksPerSecond() };
}

/** A `VmXxx:   1234 kB` field of /proc/PID/status in KiB, or undefined. */
export function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Sets the nice value of the autogroup (the session's scheduling group, sched(7)) that `pid`
 * belongs to. Every daemon the tests start runs in a session of its own, and with autogroups on
 * a session competes with the machine's other sessions as one unit whatever its nice value; a
 * benchmark on a shared machine can lift its own sessions this way. Root only; false when the
 * kernel has no autogroups or refuses.
 */
export function setAutogroupNice(pid: number, nice: number): boolean {
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) return false;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    return true;
  } catch {
    return false;
  }
}
