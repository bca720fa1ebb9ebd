/**
 * The servers of the simulated Internet, started on loopback: the receiving MX hosts on one SMTP
 * port shared by many 127.x addresses (a free one, retried on a clash, or the given one), the
 * authoritative DNS server on every zone's address plus the address serving all zones, and the
 * trust-anchor and root-hints files in a temporary directory. Binds only 127.0.0.0/8; a failure
 * to start leaves nothing running.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRr } from '../dns/wire/index.ts';
import { describeError, type Clock } from '../util/index.ts';
import { startAuthority, type Authority } from './dns/authority.ts';
import { plannedHost, type InternetPlan, type PlannedHost, type PreparedHosts } from './scenarios/build.ts';
import { LabScenarioError } from './scenarios/error.ts';
import { startReceiver, type Receiver } from './smtp/receivers.ts';

const BIND_ATTEMPTS = 6;

export function prefixOf(base: string): string {
  const m = /^127\.(\d{1,3})\.0\.0$/.exec(base);
  if (m === null || Number(m[1]) > 255) {
    throw new LabScenarioError('LAB_ERR_INTERNET', `base address ${base} is not of the form 127.N.0.0`);
  }
  return `127.${m[1] ?? '0'}`;
}

export function checkPort(port: number | undefined, what: string): void {
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new LabScenarioError('LAB_ERR_INTERNET', `${what} ${port} is not 0..65535`);
  }
}

/** A port that is free on `address` right now (the receivers then bind it on every address). */
function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: address, exclusive: true }, () => {
      const bound = server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function startReceivers(
  hosts: readonly PlannedHost[],
  port: number,
  clock: Clock,
): Promise<Receiver[]> {
  const started: Receiver[] = [];
  try {
    for (const h of hosts) {
      started.push(
        await startReceiver({
          address: h.address,
          port,
          hostname: h.name,
          clock,
          ...(h.tls === undefined ? {} : { tls: h.tls }),
          offerStartTls: h.offerStartTls,
          idleTimeoutMs: 10_000,
          ...(h.rejectRecipients
            ? { rejectRecipients: () => ({ code: 550, message: 'No such user here' }) }
            : {}),
        }),
      );
    }
    return started;
  } catch (e) {
    await Promise.all(started.map((r) => r.close()));
    throw e;
  }
}

/** Receivers for every host on one port: the given one, or a free one (retried on a clash). */
export async function bindReceivers(
  prepared: PreparedHosts,
  opts: { port: number | undefined; clock: Clock },
): Promise<{ port: number; receivers: Receiver[] }> {
  const hosts = prepared.hosts.map(plannedHost);
  const first = hosts[0];
  if (first === undefined) return { port: opts.port ?? 25, receivers: [] };
  let lastError: unknown;
  for (let i = 0; i < (opts.port === undefined || opts.port === 0 ? BIND_ATTEMPTS : 1); i++) {
    try {
      const port = opts.port !== undefined && opts.port !== 0 ? opts.port : await freePort(first.address);
      return { port, receivers: await startReceivers(hosts, port, opts.clock) };
    } catch (e) {
      lastError = e;
    }
  }
  throw new LabScenarioError('LAB_ERR_INTERNET', `cannot start the MX hosts: ${describeError(lastError)}`, {
    cause: lastError,
  });
}

export async function startDns(plan: InternetPlan, port: number | undefined): Promise<Authority> {
  const views: Record<string, string[]> = {};
  for (const z of plan.zones) views[z.address] = [z.origin];
  const listen = [...plan.zones.map((z) => z.address), plan.allZonesAddress].map((address) => ({
    address,
    ...(port === undefined ? {} : { port }),
  }));
  return startAuthority({ listen, zones: plan.zones.map((z) => z.data), views });
}

export async function writeFiles(
  plan: InternetPlan,
): Promise<{ dir: string; trustAnchor: string; rootHints: string; anchorText: string; hintsText: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dane-mta-lab-'));
  const anchorText = `; trust anchor of the dane-mta lab: the DS of its root key\n${plan.rootDs.map(formatRr).join('\n')}\n`;
  const hintsText = `; root hints of the dane-mta lab\n${plan.rootHints.map(formatRr).join('\n')}\n`;
  const trustAnchor = join(dir, 'root-anchor.ds');
  const rootHints = join(dir, 'root.hints');
  await writeFile(trustAnchor, anchorText);
  await writeFile(rootHints, hintsText);
  return { dir, trustAnchor, rootHints, anchorText, hintsText };
}
