/**
 * Test support for scale-out (issue #12, DESIGN.md C7): several real `dane-mta serve` processes
 * (harness.ts `spawnServe`) sharing one queue, each with its own intake address and its own
 * outbound source address — so a lab receiver tells which node delivered a message from the
 * session's remote address (load.ts) — their logged events, and what the operating system knows
 * about them (Linux /proc): CPU seconds of a process or a process tree (PostgreSQL), and the
 * local ports of a process's TCP connections (to find its PostgreSQL backends). Test support
 * only; nodes are stopped (SIGTERM, then SIGKILL after a deadline) by `stop()`, never left
 * running.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Internet } from '../../src/lab/index.ts';
import { childIntake, daemonWorld, spawnServe, type DaemonWorld, type ServeProcess } from './harness.ts';
import type { Intake } from './load.ts';

/** Where one node listens for mail and which address it delivers from. */
export interface NodeAddresses {
  listen: string;
  source: string;
}

export interface ClusterOptions {
  /** `queue.url` every node shares. */
  queueUrl: string;
  /** One entry per node. */
  nodes: readonly NodeAddresses[];
  /** `queue.lease` (default 5s). */
  lease?: string;
  /** `queue.retry` (default 1s, 2s). */
  retry?: string;
  /** Extra YAML under `delivery:` (two spaces indented), for every node. */
  delivery?: string;
  /** Serve /metrics on the node's listen address. */
  http?: boolean;
}

/** A JSON log line of a node (pino), as parsed. */
export interface LoggedEvent {
  event?: string;
  [key: string]: unknown;
}

export interface ClusterNode {
  readonly name: string;
  readonly source: string;
  readonly world: DaemonWorld;
  readonly proc: ServeProcess;
  readonly intake: Intake;
  /** `IP:port` of /metrics, when `http` was asked for. */
  readonly http: string | undefined;
  readonly pid: number;
  /** Every JSON line the node logged so far. */
  events(): LoggedEvent[];
  /** The node's logged events named `name` (e.g. `attempt`, `store-error`). */
  eventsNamed(name: string): LoggedEvent[];
  /** True until the process exited. */
  alive(): boolean;
}

export interface Cluster {
  readonly nodes: readonly ClusterNode[];
  /** The node whose source address is `address`, if any. */
  nodeOf(address: string): ClusterNode | undefined;
  /** SIGKILL one node (no shutdown of any kind); resolves once it is gone. */
  kill(node: ClusterNode): Promise<void>;
  /** SIGTERM every live node and wait (SIGKILL after `deadlineMs`); remove the directories. */
  stop(deadlineMs?: number): Promise<void>;
}

/** Start one node per entry of `opts.nodes`, all on `opts.queueUrl`; resolves once all listen. */
export async function startCluster(net: Internet, opts: ClusterOptions): Promise<Cluster> {
  const nodes: ClusterNode[] = [];
  const stopAll = async (deadlineMs: number): Promise<void> => {
    await Promise.all(nodes.map((n) => stopNode(n, deadlineMs)));
    await Promise.all(nodes.map((n) => n.world.close()));
  };
  try {
    for (const [i, a] of opts.nodes.entries()) nodes.push(await startNode(net, opts, i, a));
  } catch (e) {
    await stopAll(5000);
    throw e;
  }
  return {
    nodes,
    nodeOf: (address) => nodes.find((n) => n.source === address),
    kill: async (node) => {
      node.proc.child.kill('SIGKILL');
      await node.proc.exited;
    },
    stop: (deadlineMs = 30_000) => stopAll(deadlineMs),
  };
}

async function startNode(
  net: Internet,
  opts: ClusterOptions,
  index: number,
  a: NodeAddresses,
): Promise<ClusterNode> {
  const world = await daemonWorld(net, {
    listen: a.listen,
    queueUrl: opts.queueUrl,
    lease: opts.lease ?? '5s',
    retry: opts.retry ?? '1s, 2s',
    delivery: [`  source: ${a.source}`, ...(opts.delivery === undefined ? [] : [opts.delivery])].join('\n'),
    ...(opts.http === true ? { http: true } : {}),
  });
  const proc = spawnServe(world);
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  const parsed: LoggedEvent[] = [];
  let seen = 0;
  const events = (): LoggedEvent[] => {
    for (; seen < proc.stdout.length; seen++) {
      const line = proc.stdout[seen] ?? '';
      if (line.startsWith('{')) parsed.push(JSON.parse(line) as LoggedEvent);
    }
    return parsed;
  };
  const intake = await childIntake(proc).catch(async (e: unknown) => {
    proc.child.kill('SIGKILL');
    await world.close();
    throw e;
  });
  const started = events().find((e) => e.event === 'started');
  const http = started?.['http'];
  return {
    name: `node${index + 1}`,
    source: a.source,
    world,
    proc,
    intake,
    http: typeof http === 'string' ? http : undefined,
    pid: proc.child.pid ?? -1,
    events,
    eventsNamed: (name) => events().filter((e) => e.event === name),
    alive: () => !exited,
  };
}

async function stopNode(n: ClusterNode, deadlineMs: number): Promise<void> {
  if (!n.alive()) return;
  n.proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => {
      resolve('late');
    }, deadlineMs);
  });
  const how = await Promise.race([n.proc.exited, late]);
  if (timer !== undefined) clearTimeout(timer);
  if (how === 'late') {
    n.proc.child.kill('SIGKILL');
    await n.proc.exited;
  }
}

/** The fields of /proc/PID/stat after the command name (field 3, `state`, is index 0). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // The command name may contain spaces: the fields after it start behind the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Clock ticks per second of /proc times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** User plus system CPU seconds of a live process. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/**
 * CPU seconds of a process and its children, live (their own time) and reaped (the parent's
 * cutime/cstime): a PostgreSQL postmaster and its backends.
 */
export function treeCpuSeconds(pid: number): number {
  const f = statFields(pid);
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const c = statFields(Number(entry));
      if (Number(c[1]) === pid) ticks += Number(c[11]) + Number(c[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICKS;
}

/** Local ports of the TCP connections `pid` has open now (IPv4 and IPv6). */
export function tcpPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${String(pid)}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${String(pid)}/net/${table}`, 'utf8')
      .split('\n')
      .slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local === undefined || !inodes.has(cols[9] ?? '')) continue;
      ports.push(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}
