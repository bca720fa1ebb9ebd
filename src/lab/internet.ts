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
import { rm } from 'node:fs/promises';
import { systemClock, type Clock } from '../util/index.ts';
import type { Authority } from './dns/authority.ts';
import {
  buildInternet,
  prepareHosts,
  type InternetPlan,
  type PlannedHost,
  type PlannedZone,
  type PreparedHosts,
} from './scenarios/build.ts';
import { SCENARIOS } from './scenarios/catalogue.ts';
import { replaceHostTlsa, type TlsaPublication, type TlsaRecordSpec } from './scenarios/publish.ts';
import type { Scenario } from './scenarios/types.ts';
import { bindReceivers, checkPort, prefixOf, startDns, writeFiles } from './servers.ts';
import type { Receiver } from './smtp/receivers.ts';

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
  /**
   * Replace the TLSA RRset of MX host `host` (at `_<smtpPort>._tcp.<host>`, or at the name the
   * catalogue publishes its records at) with `tlsa` ([] removes it): the zone's SOA serial is
   * bumped, the zone re-signed with its own keys and served at once; resolvers' caches are
   * their own business. Throws LAB_ERR_PUBLISH for an unknown host or a bad record.
   */
  publishTlsa(host: string, tlsa: readonly TlsaRecordSpec[]): TlsaPublication;
  /** Stop every server and remove the temporary files. */
  close(): Promise<void>;
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
    return assemble({ scenarios, plan, prepared, authority, receivers, files, smtpPort });
  } catch (e) {
    await Promise.all([...receivers.map((r) => r.close()), authority?.close()]);
    throw e;
  }
}

interface Parts {
  scenarios: readonly Scenario[];
  plan: InternetPlan;
  prepared: PreparedHosts;
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
  /** The zones as served now (publishTlsa replaces one at a time). */
  let served: readonly PlannedZone[] = p.plan.zones;
  const publish = (host: string, tlsa: readonly TlsaRecordSpec[]): TlsaPublication => {
    const ctx = { zones: served, hosts: p.prepared.hosts, scenarios: p.scenarios, pki: p.plan.pki };
    const { zones, publication } = replaceHostTlsa({ ...ctx, smtpPort: p.smtpPort }, host, tlsa);
    p.authority.setZones(zones.map((z) => z.data));
    served = zones;
    return publication;
  };
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
    publishTlsa: publish,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([...p.receivers.map((r) => r.close()), p.authority.close()]);
        await rm(p.files.dir, { recursive: true, force: true });
      })()),
  };
}
