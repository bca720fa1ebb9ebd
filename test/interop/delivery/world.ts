/**
 * The world of the delivery interop test, all on loopback: a signed DNS tree served by NSD on
 * port 53 (root and example. signed by ldns and BIND, dane.example. by BIND with NSEC,
 * nsec3.example. by ldns with NSEC3, plain.example. unsigned), with some RRsets made bogus by
 * editing the signed zone files (RFC 4035 §5.3: the signature no longer verifies); Postfix
 * receivers with different certificate chains; an Unbound with the same trust anchor; and
 * dane-mta's own resolvers — `recursive` from the NSD root hints and `validate` through Unbound.
 * Must never reach anything but loopback addresses, nor leave a daemon running (every start is
 * paired with a deferred stop in the scope).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ForwardingUpstream,
  IterativeUpstream,
  Resolver,
  TrustAnchors,
  rootHintsFromRecords,
} from '../../../src/dns/resolver/index.ts';
import { createExchange } from '../../../src/dns/transport/index.ts';
import { parseZone } from '../../../src/dns/wire/index.ts';
import { cryptoRandom, systemClock } from '../../../src/util/index.ts';
import {
  buildHierarchy,
  startNsd,
  startPostfixReceiver,
  startUnbound,
  writeRootHints,
  type AddressPlan,
  type BuiltHierarchy,
  type HierarchyZone,
  type PostfixReceiver,
  type Scope,
  type UnboundServer,
} from '../index.ts';
import {
  RECEIVERS,
  ZONES,
  type Corruption,
  type DeliveryCase,
  type ReceiverName,
  type ZoneKey,
} from './cases.ts';
import { writeChain, type Pki } from './pki.ts';

/** Everything a case needs. */
export interface World {
  readonly receivers: Readonly<Record<ReceiverName, PostfixReceiver>>;
  /** Mode recursive from the NSD root (root hints file, root DS as trust anchor). */
  readonly recursive: Resolver;
  /** Mode validate through Unbound. */
  readonly validate: Resolver;
  readonly unbound: UnboundServer;
  readonly hierarchy: BuiltHierarchy;
}

/** Local parts the `good` receiver rejects as unknown users (Postfix: 550 5.1.1). */
export const UNKNOWN_USER = 'nobody';

/** The zones of the tree, with the records every case contributes. */
export function worldZones(net: AddressPlan, cases: readonly DeliveryCase[]): HierarchyZone[] {
  const records = (key: ZoneKey): string =>
    cases
      .map((c) => c.records?.[key])
      .filter((r): r is string => r !== undefined)
      .join('\n');
  return [
    { name: '.', address: net.dns(1), signer: 'ldns', algorithm: 13 },
    {
      name: 'example.',
      address: net.dns(2),
      signer: 'bind',
      algorithm: 8,
      nsec3: { iterations: 0, salt: '-' },
    },
    { name: `${ZONES.dane}.`, address: net.dns(3), signer: 'bind', algorithm: 13, records: records('dane') },
    {
      name: `${ZONES.nsec3}.`,
      address: net.dns(4),
      signer: 'ldns',
      algorithm: 15,
      nsec3: { iterations: 0, salt: '-' },
      records: records('nsec3'),
    },
    { name: `${ZONES.plain}.`, address: net.dns(5), signer: 'none', records: records('plain') },
  ];
}

/**
 * Changes one rdata octet of the RRset (owner, type) in a signed zone file, leaving its RRSIG
 * as it was: the last hex digit of a TLSA digest, or the preference of an MX. NSD loads the
 * file as it is (an authoritative server does not validate); a validator finds it bogus.
 */
export function corruptZoneText(text: string, c: Corruption): string {
  let changed = 0;
  const lines = text.split('\n').map((line) => {
    const f = line.trim().split(/\s+/);
    const typeAt = f.indexOf(c.type);
    if (f[0]?.toLowerCase() !== c.owner.toLowerCase() || typeAt < 1 || f[typeAt - 1] !== 'IN') return line;
    changed++;
    if (c.type === 'MX') {
      const pref = Number(f[typeAt + 1]);
      f[typeAt + 1] = String(pref + 1);
    } else {
      const last = f.at(-1) ?? '';
      f[f.length - 1] = `${last.slice(0, -1)}${last.endsWith('0') ? '1' : '0'}`;
    }
    return f.join('\t');
  });
  if (changed !== 1) throw new Error(`corrupt ${c.owner} ${c.type}: ${changed} records matched, want 1`);
  return lines.join('\n');
}

async function applyCorruptions(built: BuiltHierarchy, cases: readonly DeliveryCase[]): Promise<void> {
  for (const c of cases) {
    if (c.corrupt === undefined) continue;
    const zone = built.zones.get(`${ZONES[c.corrupt.zone]}.`);
    if (zone === undefined) throw new Error(`no zone ${c.corrupt.zone}`);
    await writeFile(zone.file, corruptZoneText(await readFile(zone.file, 'utf8'), c.corrupt));
  }
}

/**
 * Like Promise.all, but waits for every start to finish before rejecting, so that no daemon
 * comes up after the scope has already run its clean-ups.
 */
async function settleAll<T>(starts: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Signs the tree, corrupts what the cases ask for, starts one NSD per zone on port 53. */
async function startDns(
  scope: Scope,
  net: AddressPlan,
  cases: readonly DeliveryCase[],
): Promise<{ built: BuiltHierarchy; rootHintsFile: string }> {
  const built = await buildHierarchy({ dir: scope.dir, zones: worldZones(net, cases) });
  await applyCorruptions(built, cases);
  await settleAll(
    [...built.zones.values()].map(async (z) => {
      const nsd = await startNsd({
        address: z.zone.address,
        port: 53,
        zones: [{ name: z.zone.name, file: z.file }],
        dir: scope.dir,
      });
      scope.defer(() => nsd.stop());
    }),
  );
  const rootHintsFile = join(scope.dir, 'root.hints');
  await writeRootHints(rootHintsFile, [{ name: 'a.root-servers.', address: net.dns(1) }]);
  return { built, rootHintsFile };
}

/** Starts the five Postfix receivers (in parallel); `good` rejects the local part UNKNOWN_USER. */
async function startReceivers(
  scope: Scope,
  net: AddressPlan,
  pki: Pki,
): Promise<Record<ReceiverName, PostfixReceiver>> {
  const mailboxMap = join(scope.dir, 'good-mailboxes.regexp');
  // Postfix regexp table: "!/pattern/ result" matches every address the pattern does not.
  await writeFile(mailboxMap, `!/^${UNKNOWN_USER}@/ inbox/\n`);
  const chains = {
    good: await writeChain(pki.good, { dir: scope.dir, label: 'good', include: 'full' }),
    noRoot: await writeChain(pki.noRoot, { dir: scope.dir, label: 'noroot', include: 'leaf+intermediates' }),
    wrongName: await writeChain(pki.wrongName, { dir: scope.dir, label: 'wrongname', include: 'full' }),
    expired: await writeChain(pki.expired, { dir: scope.dir, label: 'expired', include: 'leaf' }),
  };
  const start = async (name: ReceiverName): Promise<[ReceiverName, PostfixReceiver]> => {
    const tls = name === 'noTls' ? { offerStartTls: false } : chains[name];
    const rx = await startPostfixReceiver({
      address: net.smtp(RECEIVERS[name].host),
      port: 25,
      hostname: `${name.toLowerCase()}.receiver.example`,
      dir: scope.dir,
      ...tls,
      ...(name === 'good' ? { mainCf: { virtual_mailbox_maps: `regexp:${mailboxMap}` } } : {}),
    });
    scope.defer(() => rx.stop());
    return [name, rx];
  };
  const names = Object.keys(RECEIVERS) as ReceiverName[];
  return Object.fromEntries(await settleAll(names.map(start))) as Record<ReceiverName, PostfixReceiver>;
}

/** dane-mta's resolver in mode recursive, from a root hints file and a trust-anchor file. */
export async function recursiveResolver(rootHintsFile: string, trustAnchorFile: string): Promise<Resolver> {
  const hints = rootHintsFromRecords(parseZone(await readFile(rootHintsFile, 'utf8')));
  if ('error' in hints) throw new Error(`root hints: ${hints.error}`);
  const net = createExchange({ timeoutMs: 1500, attempts: 2 });
  const upstream = new IterativeUpstream(hints.hints, net, { clock: systemClock, random: cryptoRandom });
  const anchors = new TrustAnchors(parseZone(await readFile(trustAnchorFile, 'utf8')));
  return new Resolver({ upstream, mode: 'recursive', anchors, clock: systemClock });
}

/** dane-mta's resolver in mode validate, asking `server` with RD+CD+DO. */
export async function validatingResolver(
  server: { readonly address: string; readonly port: number },
  trustAnchorFile: string,
): Promise<Resolver> {
  const net = createExchange({ timeoutMs: 1500, attempts: 2 });
  const upstream = new ForwardingUpstream([{ address: server.address, port: server.port }], net, {
    random: cryptoRandom,
    checkingDisabled: true,
  });
  const anchors = new TrustAnchors(parseZone(await readFile(trustAnchorFile, 'utf8')));
  return new Resolver({ upstream, mode: 'validate', anchors, clock: systemClock });
}

/** Builds and starts everything; the scope stops it all. */
export async function startWorld(
  scope: Scope,
  options: { readonly net: AddressPlan; readonly pki: Pki; readonly cases: readonly DeliveryCase[] },
): Promise<World> {
  const { net, pki, cases } = options;
  const dns = startDns(scope, net, cases);
  const rx = startReceivers(scope, net, pki);
  await settleAll<unknown>([dns, rx]);
  const { built, rootHintsFile } = await dns;
  const receivers = await rx;
  const trustAnchorFile = built.trustAnchorFile;
  if (trustAnchorFile === undefined) throw new Error('the root zone was not signed');
  const unbound = await startUnbound({
    address: net.dns(53),
    port: 53,
    trustAnchorFile,
    rootHintsFile,
    dir: scope.dir,
  });
  scope.defer(() => unbound.stop());
  return {
    receivers,
    recursive: await recursiveResolver(rootHintsFile, trustAnchorFile),
    validate: await validatingResolver(unbound, trustAnchorFile),
    unbound,
    hierarchy: built,
  };
}
