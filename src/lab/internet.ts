/**
 * The whole simulated Internet, started in-process on loopback: the receiving MX servers of
 * every scenario (one SMTP port shared by many 127.x addresses, so TLSA owner names
 * `_<port>._tcp.` follow it), then the signed root, TLDs and scenario zones on one
 * authoritative server — each zone on its own address for mode `recursive`, and one address
 * serving every zone as the upstream of mode `validate` — a trust-anchor file (the root's DS)
 * and a root-hints file in a temporary directory, and the DNS settings (plain data) with which a
 * caller builds its own validating resolver for either mode. Needs no root, no Debian package
 * and no Internet; binds only 127.0.0.0/8. Must never build the MTA's side (a resolver, a
 * delivery): the lab plays the Internet, its callers wire the MTA.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRr } from '../dns/wire/index.ts';
import { describeError, systemClock, type Clock } from '../util/index.ts';
import { startAuthority, type Authority } from './dns/authority.ts';
import { startReceiver, type Receiver } from './smtp/receivers.ts';
import {
  buildInternet,
  plannedHost,
  prepareHosts,
  type InternetPlan,
  type PlannedHost,
  type PreparedHosts,
} from './scenarios/build.ts';
import { LabScenarioError } from './scenarios/error.ts';
import { SCENARIOS } from './scenarios/catalogue.ts';
import type { Scenario } from './scenarios/types.ts';

/** Options of `startInternet`. */
export interface StartInternetOptions {
  /** Scenarios to build (default: the whole catalogue). */
  scenarios?: readonly Scenario[];
  /** Signature windows and certificates are made around this clock's time (default: system). */
  clock?: Clock;
  /** Port of every DNS server (default: a free one). */
  dnsPort?: number;
  /** Port of every MX host (default: a free one). */
  smtpPort?: number;
  /** A /16 inside 127.0.0.0/8, as `127.N.0.0` (default `127.77.0.0`). */
  baseAddress?: string;
}

/** Resolver modes the lab serves. */
export type LabResolverMode = 'validate' | 'recursive';

/**
 * How a validating resolver reaches the lab, as plain data in the shape of the composition
 * root's `DnsSettings` (src/mta): `createResolver({ ...net.dnsSettings(mode), timeoutMs }, deps)`.
 * Mode `validate` asks the address serving every zone (DO and CD set, everything validated
 * locally); mode `recursive` iterates from the lab's root hints, every authoritative server on
 * the lab's DNS port. Either way the only trust anchor is the lab root's DS (zone-file text).
 */
export type LabDnsSettings =
  | {
      readonly mode: 'validate';
      /** `ADDR:PORT` of the address serving every zone. */
      readonly resolvers: readonly string[];
      readonly trustAnchors: string;
    }
  | {
      readonly mode: 'recursive';
      /** NS and A records of the lab's root server, as zone-file text. */
      readonly rootHints: string;
      /** Port of every authoritative server of the lab. */
      readonly port: number;
      readonly trustAnchors: string;
    };

/** A running simulated Internet. */
export interface Internet {
  readonly scenarios: readonly Scenario[];
  readonly dnsPort: number;
  readonly smtpPort: number;
  /** The address serving every zone: `--resolver ADDR:PORT` for mode validate. */
  readonly allZonesAddress: string;
  /** The root server's address (in the root hints). */
  readonly rootAddress: string;
  readonly zones: readonly { origin: string; address: string; signed: boolean; scenario?: string }[];
  readonly hosts: readonly PlannedHost[];
  /** Trust anchor (the root's DS) and root hints, as files and as text. */
  readonly files: { readonly dir: string; readonly trustAnchor: string; readonly rootHints: string };
  readonly trustAnchorText: string;
  readonly rootHintsText: string;
  readonly authority: Authority;
  /** Receivers by host name (lower case). */
  readonly receivers: ReadonlyMap<string, Receiver>;
  /** The loopback address of an MX host. */
  addressOf(host: string): string | undefined;
  /** The DNS settings that point a validating resolver at the lab in `mode` (a fresh copy). */
  dnsSettings(mode: LabResolverMode): LabDnsSettings;
  /** Stop every server and remove the temporary files. */
  close(): Promise<void>;
}

const BIND_ATTEMPTS = 6;

function prefixOf(base: string): string {
  const m = /^127\.(\d{1,3})\.0\.0$/.exec(base);
  if (m === null || Number(m[1]) > 255) {
    throw new LabScenarioError('LAB_ERR_INTERNET', `base address ${base} is not of the form 127.N.0.0`);
  }
  return `127.${m[1] ?? '0'}`;
}

function checkPort(port: number | undefined, what: string): void {
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
async function bindReceivers(
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

async function startDns(plan: InternetPlan, port: number | undefined): Promise<Authority> {
  const views: Record<string, string[]> = {};
  for (const z of plan.zones) views[z.address] = [z.origin];
  const listen = [...plan.zones.map((z) => z.address), plan.allZonesAddress].map((address) => ({
    address,
    ...(port === undefined ? {} : { port }),
  }));
  return startAuthority({ listen, zones: plan.zones.map((z) => z.data), views });
}

async function writeFiles(
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

/**
 * Start the simulated Internet. Throws LAB_ERR_SCENARIO for an inconsistent catalogue and
 * LAB_ERR_INTERNET (or the servers' listen errors) when addresses or ports cannot be used.
 */
export async function startInternet(opts: StartInternetOptions = {}): Promise<Internet> {
  const scenarios = opts.scenarios ?? SCENARIOS;
  const clock = opts.clock ?? systemClock;
  const prefix = prefixOf(opts.baseAddress ?? '127.77.0.0');
  checkPort(opts.dnsPort, 'DNS port');
  checkPort(opts.smtpPort, 'SMTP port');
  const now = clock.now();
  const prepared = prepareHosts(scenarios, { prefix, now });
  const { port: smtpPort, receivers } = await bindReceivers(prepared, { port: opts.smtpPort, clock });
  let authority: Authority | undefined;
  try {
    const plan = buildInternet(scenarios, prepared, { smtpPort, prefix, now });
    authority = await startDns(plan, opts.dnsPort);
    const files = await writeFiles(plan);
    return assemble({ scenarios, plan, authority, receivers, files, smtpPort });
  } catch (e) {
    await Promise.all([...receivers.map((r) => r.close()), authority?.close()]);
    throw e;
  }
}

interface Parts {
  scenarios: readonly Scenario[];
  plan: InternetPlan;
  authority: Authority;
  receivers: Receiver[];
  files: Awaited<ReturnType<typeof writeFiles>>;
  smtpPort: number;
}

/** RFC 4033 §5: the lab's root DS is the one trust anchor; the servers are the lab's own. */
function dnsSettingsOf(mode: LabResolverMode, p: Parts): LabDnsSettings {
  const trustAnchors = p.files.anchorText;
  if (mode === 'recursive') {
    return { mode, rootHints: p.files.hintsText, port: p.authority.port, trustAnchors };
  }
  return { mode, resolvers: [`${p.plan.allZonesAddress}:${p.authority.port}`], trustAnchors };
}

function assemble(p: Parts): Internet {
  const byName = new Map(p.receivers.map((r) => [r.hostname.toLowerCase(), r]));
  const addresses = new Map(p.plan.hosts.map((h) => [h.name.toLowerCase(), h.address]));
  const root = p.plan.zones[0];
  let closing: Promise<void> | undefined;
  return {
    scenarios: p.scenarios,
    dnsPort: p.authority.port,
    smtpPort: p.smtpPort,
    allZonesAddress: p.plan.allZonesAddress,
    rootAddress: root?.address ?? '',
    zones: p.plan.zones.map(({ origin, address, signed, scenario }) => ({
      origin,
      address,
      signed,
      ...(scenario === undefined ? {} : { scenario }),
    })),
    hosts: p.plan.hosts,
    files: { dir: p.files.dir, trustAnchor: p.files.trustAnchor, rootHints: p.files.rootHints },
    trustAnchorText: p.files.anchorText,
    rootHintsText: p.files.hintsText,
    authority: p.authority,
    receivers: byName,
    addressOf: (host) => addresses.get(host.toLowerCase().replace(/\.$/, '')),
    dnsSettings: (mode) => dnsSettingsOf(mode, p),
    close: () =>
      (closing ??= (async () => {
        await Promise.all([...p.receivers.map((r) => r.close()), p.authority.close()]);
        await rm(p.files.dir, { recursive: true, force: true });
      })()),
  };
}
