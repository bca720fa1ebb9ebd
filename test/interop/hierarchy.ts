/**
 * A small signed DNS tree for interop tests — e.g. a root zone ".", a TLD and a child — each
 * zone signed by BIND or ldns (or left unsigned), with NS and glue for every delegation and the
 * child's DS in its parent (RFC 4035 §2.4), each served by NSD on its own loopback address.
 * Gives the files a validating resolver needs: the root's DS as a trust anchor, root hints
 * (when the servers listen on port 53), and stub-zone lines (any port).
 * Must never produce a zone served on a non-loopback address.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError, InteropErrorCode } from './errors.ts';
import { startNsd } from './nsd.ts';
import type { NsdServer } from './nsd.ts';
import { signWithBind, signWithLdns } from './signers.ts';
import type { Nsec3Options, SignedZone, SigningAlgorithm } from './signers.ts';
import { writeRootHints } from './unbound.ts';
import type { StubZone } from './unbound.ts';

/** One zone of the tree. */
export interface HierarchyZone {
  /** Absolute zone name: ".", "example.", "dane.example.". */
  readonly name: string;
  /** Loopback address of the zone's name server ns1.<zone> (a.root-servers. for the root). */
  readonly address: string;
  /** More zone text (names relative to the zone, or absolute). */
  readonly records?: string;
  /** Toolchain that signs the zone (default bind); 'none' leaves it unsigned (no DS in parent). */
  readonly signer?: 'bind' | 'ldns' | 'none';
  /** Default 13 (ECDSA P-256). */
  readonly algorithm?: SigningAlgorithm;
  readonly nsec3?: Nsec3Options;
  readonly inception?: Date;
  readonly expiration?: Date;
  /** DS lines to put in the parent instead of the real ones ([] = none: a bogus or insecure cut). */
  readonly parentDs?: readonly string[];
}

/** Options of {@link buildHierarchy} and {@link startHierarchy}. */
export interface HierarchyOptions {
  readonly dir: string;
  readonly zones: readonly HierarchyZone[];
}

/** A zone as built. */
export interface BuiltZone {
  readonly zone: HierarchyZone;
  /** The file to serve (signed, or the plain text when unsigned). */
  readonly file: string;
  readonly signed?: SignedZone;
  /** The name server's name. */
  readonly nsName: string;
}

/** The built tree. */
export interface BuiltHierarchy {
  readonly zones: ReadonlyMap<string, BuiltZone>;
  /** The root's DS records in a file (Unbound trust-anchor-file, dane-mta --trust-anchor). */
  readonly trustAnchorFile?: string;
  readonly trustAnchors: readonly string[];
}

/** A tree served by NSD. */
export interface RunningHierarchy extends BuiltHierarchy {
  readonly port: number;
  readonly servers: readonly NsdServer[];
  /** Root hints naming the root's server (useful only when port is 53). */
  readonly rootHintsFile: string;
  /** Stub zones "address@port" for every zone, for a resolver that cannot use port 53. */
  readonly stubZones: readonly StubZone[];
  stop(): Promise<void>;
}

function labels(name: string): number {
  return name === '.' ? 0 : name.split('.').length - 1;
}

function isBelow(child: string, parent: string): boolean {
  return child !== parent && (parent === '.' || child.endsWith(`.${parent}`));
}

function nsNameOf(zone: string): string {
  return zone === '.' ? 'a.root-servers.' : `ns1.${zone}`;
}

/** The closest enclosing zone of `name` among `zones`, if any. */
function parentOf(name: string, zones: readonly HierarchyZone[]): HierarchyZone | undefined {
  return zones.filter((z) => isBelow(name, z.name)).sort((a, b) => labels(b.name) - labels(a.name))[0];
}

function zoneText(zone: HierarchyZone, delegations: readonly string[]): string {
  const ns = nsNameOf(zone.name);
  const apex = zone.name;
  const hostmaster = zone.name === '.' ? 'hostmaster.root-servers.' : `hostmaster.${zone.name}`;
  return [
    '$TTL 3600',
    `${apex} IN SOA ${ns} ${hostmaster} 1 7200 3600 1209600 300`,
    `${apex} IN NS ${ns}`,
    `${ns} IN A ${zone.address}`,
    ...delegations,
    zone.records ?? '',
    '',
  ].join('\n');
}

/**
 * Writes and signs every zone, deepest first, so that each parent carries its children's NS,
 * glue and DS. Returns the files and the root's DS as a trust anchor.
 */
export async function buildHierarchy(options: HierarchyOptions): Promise<BuiltHierarchy> {
  const names = new Set(options.zones.map((z) => z.name));
  if (names.size !== options.zones.length) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, 'a zone is listed twice in the hierarchy');
  }
  const ordered = [...options.zones].sort((a, b) => labels(b.name) - labels(a.name));
  const built = new Map<string, BuiltZone>();
  for (const zone of ordered) {
    const children = options.zones.filter((c) => parentOf(c.name, options.zones)?.name === zone.name);
    const delegations = children.flatMap((c) => {
      const child = built.get(c.name);
      const ds = c.parentDs ?? child?.signed?.dsRecords ?? [];
      return [`${c.name} IN NS ${nsNameOf(c.name)}`, `${nsNameOf(c.name)} IN A ${c.address}`, ...ds];
    });
    const text = zoneText(zone, delegations);
    built.set(zone.name, await buildZone(zone, text, options.dir));
  }
  const root = built.get('.');
  const trustAnchors = root?.signed?.dsRecords ?? [];
  let trustAnchorFile: string | undefined;
  if (trustAnchors.length > 0) {
    trustAnchorFile = join(options.dir, 'root-trust-anchor.ds');
    await writeFile(trustAnchorFile, trustAnchors.join('\n') + '\n');
  }
  return { zones: built, trustAnchors, ...(trustAnchorFile === undefined ? {} : { trustAnchorFile }) };
}

async function buildZone(zone: HierarchyZone, text: string, dir: string): Promise<BuiltZone> {
  const nsName = nsNameOf(zone.name);
  const signer = zone.signer ?? 'bind';
  if (signer === 'none') {
    const file = join(dir, `${zone.name === '.' ? 'root' : zone.name.slice(0, -1)}.plain.zone`);
    await writeFile(file, `$ORIGIN ${zone.name}\n${text}`);
    return { zone, file, nsName };
  }
  const sign = signer === 'ldns' ? signWithLdns : signWithBind;
  const signed = await sign({
    zoneName: zone.name,
    zoneText: text,
    algorithm: zone.algorithm ?? 13,
    dir,
    ...(zone.nsec3 === undefined ? {} : { nsec3: zone.nsec3 }),
    ...(zone.inception === undefined ? {} : { inception: zone.inception }),
    ...(zone.expiration === undefined ? {} : { expiration: zone.expiration }),
  });
  return { zone, file: signed.signedFile, signed, nsName };
}

/**
 * Builds the tree and starts one NSD per address on `port` (53 — needs root — for a resolver
 * that iterates from root hints; any port with stub zones). Stop it with `stop()`.
 */
export async function startHierarchy(
  options: HierarchyOptions & { readonly port: number },
): Promise<RunningHierarchy> {
  const built = await buildHierarchy(options);
  const byAddress = new Map<string, BuiltZone[]>();
  for (const z of built.zones.values())
    byAddress.set(z.zone.address, [...(byAddress.get(z.zone.address) ?? []), z]);
  const servers: NsdServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (const [address, zones] of byAddress) {
      const files = zones.map((z) => ({ name: z.zone.name, file: z.file }));
      servers.push(await startNsd({ address, port: options.port, zones: files, dir: options.dir }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const rootHintsFile = join(options.dir, 'root.hints');
  const root = built.zones.get('.');
  await writeRootHints(
    rootHintsFile,
    root === undefined ? [] : [{ name: root.nsName, address: root.zone.address }],
  );
  const stubZones = [...built.zones.values()].map((z) => ({
    name: z.zone.name,
    addrs: [`${z.zone.address}@${options.port}`],
  }));
  return { ...built, port: options.port, servers, rootHintsFile, stubZones, stop };
}
