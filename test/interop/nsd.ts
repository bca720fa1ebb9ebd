/**
 * Runs NSD (NLnet Labs' authoritative server) for an interop test: writes an nsd.conf into the
 * test's directory (no remote control, no database, pid file and state in the directory, no
 * privilege drop, no chroot), checks it with nsd-checkconf, starts `nsd -d -c CONF` in the
 * foreground and waits until every zone answers its SOA query authoritatively.
 * Must never listen on a non-loopback address or touch /etc/nsd.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError, InteropErrorCode, tailLines } from './errors.ts';
import { assertLoopback, assertPortFree, rawDnsQuery } from './net.ts';
import { runCommand, startDaemon, waitUntilReady } from './process.ts';

/** A zone NSD serves: its name and a zone file (typically a signed one). */
export interface NsdZone {
  readonly name: string;
  readonly file: string;
}

/** Options of {@link startNsd}. */
export interface NsdOptions {
  readonly address: string;
  /** UDP and TCP port (53 needs root). */
  readonly port: number;
  readonly zones: readonly NsdZone[];
  /** The test's directory; NSD's files go into a subdirectory of it. */
  readonly dir: string;
  /** Start-up deadline (default 15 s). */
  readonly timeoutMs?: number;
}

/** A running NSD. */
export interface NsdServer {
  readonly address: string;
  readonly port: number;
  /** The generated configuration file. */
  readonly configFile: string;
  /** What NSD printed so far. */
  output(): string;
  /** Stops NSD and waits until its processes are gone. */
  stop(): Promise<void>;
}

function quote(value: string): string {
  if (/["\n]/.test(value)) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `unusable value in nsd.conf: ${value}`);
  }
  return `"${value}"`;
}

/** The text of an nsd.conf for `options`, with its state files under `work` (exported for tests). */
export function nsdConfig(options: NsdOptions, work: string): string {
  const zones = options.zones.map((z) => `zone:\n  name: ${quote(z.name)}\n  zonefile: ${quote(z.file)}\n`);
  return [
    'server:',
    `  ip-address: ${options.address}@${options.port}`,
    `  port: ${options.port}`,
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: ${quote(work)}`,
    '  database: ""',
    `  zonelistfile: ${quote(join(work, 'zone.list'))}`,
    `  xfrdfile: ${quote(join(work, 'xfrd.state'))}`,
    `  xfrdir: ${quote(work)}`,
    `  pidfile: ${quote(join(work, 'nsd.pid'))}`,
    '  server-count: 1',
    '  tcp-count: 32',
    '  verbosity: 1',
    `  do-ip6: ${options.address.includes(':') ? 'yes' : 'no'}`,
    `  do-ip4: ${options.address.includes(':') ? 'no' : 'yes'}`,
    '  reuseport: no',
    '  hide-version: yes',
    '  hide-identity: yes',
    '  refuse-any: no',
    '  zonefiles-write: 0',
    'remote-control:',
    '  control-enable: no',
    ...zones,
  ].join('\n');
}

/**
 * Starts NSD serving `zones` on address:port. Resolves once each zone answers its SOA query
 * with AA set and NOERROR; rejects with INTEROP_ERR_START_FAILED (quoting NSD) otherwise.
 */
export async function startNsd(options: NsdOptions): Promise<NsdServer> {
  assertLoopback(options.address);
  if (options.zones.length === 0) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, 'startNsd needs at least one zone');
  }
  const work = join(options.dir, `nsd-${options.address}-${options.port}`);
  await mkdir(work, { recursive: true });
  const configFile = join(work, 'nsd.conf');
  await writeFile(configFile, nsdConfig(options, work));
  await runCommand('nsd-checkconf', [configFile]);
  await assertPortFree(options.address, options.port, { udp: true });
  const name = `nsd ${options.address}:${options.port}`;
  const daemon = startDaemon('nsd', ['-d', '-c', configFile], { name, cwd: work });
  const zonesAnswer = async (): Promise<boolean> => {
    for (const zone of options.zones) {
      const h = await rawDnsQuery(options.address, options.port, {
        name: zone.name,
        type: 'SOA',
        timeoutMs: 500,
      });
      if (!h.aa || h.rcode !== 'NOERROR') return false;
    }
    return true;
  };
  try {
    // NSD keeps running when a zone fails to load (it answers SERVFAIL): its "error:" lines end the wait.
    await waitUntilReady(daemon, zonesAnswer, {
      timeoutMs: options.timeoutMs ?? 15_000,
      failOn: /\berror: /,
    });
  } catch (err) {
    await daemon.stop(1000);
    throw new InteropError(
      InteropErrorCode.START_FAILED,
      `${name} did not serve ${options.zones.map((z) => z.name).join(', ')}: ${tailLines(daemon.output())}`,
      { cause: err },
    );
  }
  return {
    address: options.address,
    port: options.port,
    configFile,
    output: () => daemon.output(),
    stop: () => daemon.stop(),
  };
}
