/**
 * Turns the scenario catalogue into a simulated Internet's data: a signed root, the TLDs and every
 * scenario's zones with their records (MX, host addresses, CNAME aliases, TLSA records at
 * `_<port>._tcp.`), signed bottom-up so each parent carries its children's DS (RFC 4035 §2.4) —
 * or a wrong DS, or none — with the scenario's broken signatures applied; plus loopback
 * addresses for every name server and MX host and the certificates each host presents.
 * Pure data building (time passed in); never opens a socket or a file.
 */
import { Name, parseZone, RRType, type DsRdata, type Rr } from '../../dns/wire/index.ts';
import { bogusDs, breakRrset } from '../dns/breakage.ts';
import type { ReceiverTlsOptions } from '../smtp/receivers.ts';
import { LabScenarioError } from './error.ts';
import {
  createLabPki,
  hostCerts,
  receiverTls,
  tlsaRdataText,
  type HostCerts,
  type LabPki,
} from '../pki/lab-pki.ts';
import type { HostSpec, Scenario, ZoneSigning, ZoneSpec } from './types.ts';
import { checkCatalogue } from './validate.ts';
import {
  delegationRecords,
  dsRecords,
  signZone,
  type DenialMode,
  type SignedZone,
  type ZoneData,
} from '../dns/signer.ts';
import { generateZoneKey, type ZoneAlgorithm, type ZoneKey } from '../dns/zone-keys.ts';

/** TTL of every record the lab publishes (short: the lab changes between runs). */
export const LAB_TTL = 300;
const TTL = LAB_TTL;
/** Name of the lab's root server (the root zone is authoritative for it). */
export const ROOT_SERVER_NAME = 'a.root-servers.lab.';

/** Options of `buildInternet`. */
export interface BuildOptions {
  /** SMTP port of every MX host; TLSA owner names follow it. */
  smtpPort: number;
  /** First two octets of the loopback /16 the lab uses, e.g. `127.77`. */
  prefix: string;
  /** Milliseconds since the epoch: signature windows and certificates are made around it. */
  now: number;
}

/** A zone as served. */
export interface PlannedZone {
  /** Absolute origin (`.` for the root). */
  readonly origin: string;
  /** Loopback address of this zone's own name server. */
  readonly address: string;
  readonly signed: boolean;
  /** The scenario the zone belongs to (undefined for the root and TLDs). */
  readonly scenario?: string;
  readonly data: ZoneData;
}

/** An MX host to start a receiver for. */
export interface PlannedHost {
  readonly name: string;
  readonly scenario: string;
  readonly address: string;
  /** Absent: no certificate, no STARTTLS. */
  readonly tls?: ReceiverTlsOptions;
  readonly offerStartTls: boolean;
  readonly rejectRecipients: boolean;
}

/** Everything the simulated Internet serves. */
export interface InternetPlan {
  /** Root first, then the TLDs, then the scenario zones. */
  readonly zones: readonly PlannedZone[];
  readonly hosts: readonly PlannedHost[];
  /** The root's DS records (the trust anchor). */
  readonly rootDs: readonly Rr[];
  /** NS and A records of the root server (the root hints). */
  readonly rootHints: readonly Rr[];
  /** The address that serves every zone (the `validate`-mode upstream). */
  readonly allZonesAddress: string;
  readonly pki: LabPki;
}

interface ZoneEntry {
  spec: ZoneSpec;
  name: Name;
  scenario?: string;
  address: string;
  lines: string[];
}

/** `prefix.third.fourth`, with `index` spread over blocks of 250 addresses from `block`. */
function address(prefix: string, block: number, index: number): string {
  return `${prefix}.${block + Math.floor(index / 250)}.${(index % 250) + 1}`;
}

const ROOT_SIGNING: ZoneSigning = { algorithm: 13, denial: 'nsec' };
const TLD_SIGNING: ZoneSigning = { algorithm: 13, denial: 'nsec3' };

/** Root, TLDs (from every zone and domain named) and the scenario zones, with addresses. */
function zoneEntries(scenarios: readonly Scenario[], prefix: string): ZoneEntry[] {
  const tlds = new Set<string>();
  for (const s of scenarios) {
    tlds.add(`${s.domain.split('.').pop() ?? ''}.`);
    for (const z of s.zones) tlds.add(Name.parse(z.origin).suffix(1).toString());
  }
  const entries: ZoneEntry[] = [
    { spec: { origin: '.', signing: ROOT_SIGNING }, name: Name.ROOT, address: `${prefix}.0.1`, lines: [] },
  ];
  [...tlds].sort().forEach((origin, i) => {
    const spec: ZoneSpec = { origin, signing: TLD_SIGNING };
    entries.push({ spec, name: Name.parse(origin), address: `${prefix}.0.${i + 2}`, lines: [] });
  });
  let i = 0;
  for (const s of scenarios) {
    for (const z of s.zones) {
      entries.push({
        spec: z,
        name: Name.parse(z.origin),
        scenario: s.id,
        address: address(prefix, 10, i++),
        lines: [],
      });
    }
  }
  return entries;
}

/** The deepest zone holding `name` (strictly above it with `strict`). */
function zoneOf(entries: readonly ZoneEntry[], name: Name, strict = false): ZoneEntry {
  let best: ZoneEntry | undefined;
  for (const e of entries) {
    if (!name.isSubdomainOf(e.name) || (strict && name.equals(e.name))) continue;
    if (best === undefined || e.name.labelCount > best.name.labelCount) best = e;
  }
  if (best === undefined) throw new LabScenarioError('LAB_ERR_SCENARIO', `no zone holds ${name.toString()}`);
  return best;
}

function addLine(entries: readonly ZoneEntry[], owner: string, rest: string): void {
  const name = Name.parse(owner.endsWith('.') ? owner : `${owner}.`);
  zoneOf(entries, name).lines.push(`${name.toString()} ${TTL} IN ${rest}`);
}

/** An MX host with its address and certificates, before any zone exists (the SMTP port is unknown). */
export interface PreparedHost {
  readonly spec: HostSpec;
  readonly scenario: string;
  readonly address: string;
  readonly certs?: HostCerts;
}

/** The first phase: the private PKI and every MX host's address and certificates. */
export interface PreparedHosts {
  readonly pki: LabPki;
  readonly hosts: readonly PreparedHost[];
}

/**
 * Check the catalogue, make the PKI and give every MX host an address (`prefix.20.1` onwards)
 * and its certificates. Throws LAB_ERR_SCENARIO for an inconsistent catalogue.
 */
export function prepareHosts(
  scenarios: readonly Scenario[],
  opts: { prefix: string; now: number },
): PreparedHosts {
  const problems = checkCatalogue(scenarios);
  if (problems.length > 0) {
    throw new LabScenarioError('LAB_ERR_SCENARIO', problems[0] as string, { details: { problems } });
  }
  const pki = createLabPki(opts.now);
  const hosts: PreparedHost[] = [];
  for (const s of scenarios) {
    for (const spec of s.hosts) {
      const certs = hostCerts(pki, spec);
      const addr = address(opts.prefix, 20, hosts.length);
      hosts.push({ spec, scenario: s.id, address: addr, ...(certs === undefined ? {} : { certs }) });
    }
  }
  return { pki, hosts };
}

/** What a receiver for a prepared host is started with. */
export function plannedHost(h: PreparedHost): PlannedHost {
  return {
    name: h.spec.name,
    scenario: h.scenario,
    address: h.address,
    ...(h.certs === undefined ? {} : { tls: receiverTls(h.certs) }),
    offerStartTls: h.certs !== undefined && h.spec.starttls !== false,
    rejectRecipients: h.spec.rejectRecipients === true,
  };
}

/** The records of one MX host: address, aliases, TLSA at `_<port>._tcp.`. */
function hostLines(entries: readonly ZoneEntry[], h: PreparedHost, ctx: { pki: LabPki; port: number }): void {
  const host = h.spec;
  addLine(entries, host.name, `A ${h.address}`);
  for (const alias of host.aliases ?? []) addLine(entries, alias, `CNAME ${host.name}.`);
  for (const t of host.tlsa ?? []) {
    const owner = `_${host.tlsaPort ?? ctx.port}._tcp.${host.tlsaAt ?? host.name}`;
    addLine(entries, owner, `TLSA ${tlsaRdataText(t, { pki: ctx.pki, certs: h.certs })}`);
  }
}

function mxLines(entries: readonly ZoneEntry[], s: Scenario): void {
  if (s.mx === 'none' || s.mx === 'nxdomain') return;
  if (s.mx === 'null') {
    addLine(entries, s.domain, 'MX 0 .');
    return;
  }
  for (const m of s.mx) addLine(entries, s.domain, `MX ${m.preference} ${m.host}.`);
}

function denialOf(signing: Exclude<ZoneSigning, 'unsigned'>): DenialMode {
  if (signing.denial === 'nsec') return 'nsec';
  // RFC 9276 §3.1: "SHOULD set the number of iterations to 0" and use no salt (a scenario may
  // break the first half of that advice on purpose).
  return {
    nsec3: {
      iterations: signing.iterations ?? 0,
      salt: new Uint8Array(0),
      optOut: signing.denial === 'nsec3-optout',
    },
  };
}

const keyCache = new Map<string, { ksk: ZoneKey; zsk: ZoneKey }>();

/** Zone keys, cached per process: per zone for 13/15, one shared pair for slow RSA (8). */
function keysFor(algorithm: ZoneAlgorithm, origin: string): { ksk: ZoneKey; zsk: ZoneKey } {
  const slot = algorithm === 8 ? '8' : `${algorithm}|${origin}`;
  let keys = keyCache.get(slot);
  if (keys === undefined) {
    keys = {
      ksk: generateZoneKey(algorithm, { ksk: true }),
      zsk: generateZoneKey(algorithm, { ksk: false }),
    };
    keyCache.set(slot, keys);
  }
  return keys;
}

function nsName(e: ZoneEntry): string {
  return e.name.isRoot ? ROOT_SERVER_NAME : `ns.${e.name.toString()}`;
}

function apexText(e: ZoneEntry, port: number): string {
  const o = e.name.toString();
  const ns = nsName(e);
  const extra = (e.spec.records ?? []).map((r) => r.replaceAll('{port}', String(port)));
  return [
    `$TTL ${TTL}`,
    `${o} IN SOA ${ns} hostmaster.${e.name.isRoot ? 'lab.' : o} 1 7200 3600 1209600 ${TTL}`,
    `${o} IN NS ${ns}`,
    `${ns} IN A ${e.address}`,
    ...e.lines,
    `$ORIGIN ${o}`,
    ...extra,
  ].join('\n');
}

interface Built {
  data: ZoneData;
  signed: boolean;
  /** DS records the parent publishes. */
  parentDs: Rr<DsRdata>[];
}

/**
 * Break the signatures the zone spec names (RFC 4035 §5.3: those RRsets become bogus), except
 * the RRset `keep` (one just published afresh).
 */
export function applyBreaks(
  zone: SignedZone,
  spec: ZoneSpec,
  opts: { port: number; keep?: { name: Name; type: number } },
): SignedZone {
  let out = zone;
  for (const b of spec.breaks ?? []) {
    const owner =
      b.name === '@' ? zone.origin : Name.parse(b.name.replaceAll('{port}', String(opts.port)), zone.origin);
    const type = RRType[b.type];
    if (opts.keep !== undefined && opts.keep.type === type && opts.keep.name.equals(owner)) continue;
    out = breakRrset(out, owner, type, b.how);
  }
  return out;
}

/** Sign one zone (or not), break what the spec says, and work out the parent's DS. */
function finishZone(e: ZoneEntry, records: Rr[], opts: BuildOptions): Built {
  if (e.spec.signing === 'unsigned')
    return { data: { origin: e.name, records }, signed: false, parentDs: [] };
  const inception = Math.floor(opts.now / 1000) - 86_400;
  let zone = signZone(
    { origin: e.name, records },
    {
      algorithm: e.spec.signing.algorithm,
      keys: keysFor(e.spec.signing.algorithm, e.spec.origin),
      denial: denialOf(e.spec.signing),
      inception,
      expiration: inception + 31 * 86_400,
    },
  );
  zone = applyBreaks(zone, e.spec, { port: opts.smtpPort });
  const ds = e.spec.ds ?? 'match';
  const parentDs =
    ds === 'none'
      ? []
      : dsRecords({ origin: zone.origin, ds: ds === 'mismatch' ? zone.ds.map(bogusDs) : zone.ds });
  return { data: zone, signed: true, parentDs };
}

/** NS, glue and DS (or none) for every zone directly below `parent` (already built). */
function childDelegations(
  entries: readonly ZoneEntry[],
  parent: ZoneEntry,
  built: Map<ZoneEntry, Built>,
): Rr[] {
  const out: Rr[] = [];
  for (const child of entries) {
    if (child === parent || child.name.isRoot || zoneOf(entries, child.name, true) !== parent) continue;
    const ds = (built.get(child) as Built).parentDs.map((r) => r.data);
    const nameServers = [{ name: nsName(child), addresses: [child.address] }];
    out.push(...delegationRecords({ origin: child.name }, { nameServers, ttl: TTL, ds }));
  }
  return out;
}

/** Build every zone of the simulated Internet for `scenarios` and the prepared hosts. */
export function buildInternet(
  scenarios: readonly Scenario[],
  prepared: PreparedHosts,
  opts: BuildOptions,
): InternetPlan {
  const entries = zoneEntries(scenarios, opts.prefix);
  for (const s of scenarios) mxLines(entries, s);
  for (const h of prepared.hosts) hostLines(entries, h, { pki: prepared.pki, port: opts.smtpPort });
  /*
   * RFC 4035 §2.4: "A DS RRset SHOULD be present at a delegation point when the child zone is
   * signed." Children are signed before their parents so that each parent can carry their DS.
   */
  const order = [...entries].sort((a, b) => b.name.labelCount - a.name.labelCount);
  const built = new Map<ZoneEntry, Built>();
  for (const e of order) {
    const records = parseZone(apexText(e, opts.smtpPort), { origin: e.name });
    records.push(...childDelegations(entries, e, built));
    built.set(e, finishZone(e, records, opts));
  }
  const root = entries[0] as ZoneEntry;
  const rootBuilt = built.get(root) as Built;
  return {
    zones: entries.map((e) => {
      const b = built.get(e) as Built;
      return {
        origin: e.name.toString(),
        address: e.address,
        signed: b.signed,
        data: b.data,
        ...(e.scenario === undefined ? {} : { scenario: e.scenario }),
      };
    }),
    hosts: prepared.hosts.map(plannedHost),
    rootDs: rootBuilt.parentDs,
    rootHints: parseZone(
      `. 3600000 IN NS ${ROOT_SERVER_NAME}\n${ROOT_SERVER_NAME} 3600000 IN A ${root.address}\n`,
    ),
    allZonesAddress: `${opts.prefix}.0.53`,
    pki: prepared.pki,
  };
}
