/**
 * Interop of the lab's DNS with real DNSSEC software: (1) BIND's dnssec-verify and ldns's
 * ldns-verify-zone accept zones from the lab signer for algorithms 8, 13 and 15 with NSEC,
 * NSEC3 and NSEC3 Opt-Out, and reject a zone with a corrupted signature; (2) Unbound, given only
 * the simulated root's DS as trust anchor and the root hints (port 53 as root; stub zones on an
 * ephemeral port otherwise), validates answers from the lab's authoritative server: secure
 * (AD), insecure delegation (no AD), bogus (SERVFAIL: expired RRSIG, DS mismatch), NODATA and
 * NXDOMAIN with NSEC and NSEC3, wildcard answers. Test-file id 8: 127.53.8.x.
 * Must never reach anything but loopback addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Name, parseZone, formatRr, RRType, type DsRdata, type Rr } from '../../src/dns/wire/index.ts';
import {
  bogusDs,
  breakRrset,
  delegationRecords,
  dsRecords,
  formatZone,
  generateZoneKey,
  signZone,
  startAuthority,
  type DenialMode,
  type SignedZone,
  type ZoneAlgorithm,
  type ZoneKeys,
} from '../../src/lab/index.ts';
import {
  addressPlan,
  freePort,
  isRoot,
  queryUnbound,
  requireTools,
  startUnbound,
  testScope,
  verifyWithBind,
  verifyWithLdns,
  writeRootHints,
} from './index.ts';
import { FIXTURE_ZONE_TEXT } from '../lab/dns-fixtures.ts';

const net = addressPlan(8);
const HOUR = 3600;

/** The lab's fixture zone (wildcard, empty non-terminal, signed and unsigned delegations, CNAME, DNAME). */
const ZONE_BODY = FIXTURE_ZONE_TEXT;

const DENIALS: Readonly<Record<string, DenialMode>> = {
  nsec: 'nsec',
  nsec3: { nsec3: { iterations: 0, salt: new Uint8Array(0) } },
  'nsec3 opt-out': { nsec3: { iterations: 1, salt: Uint8Array.of(0xca, 0xfe), optOut: true } },
};

const keyCache = new Map<number, ZoneKeys>();
function keysFor(alg: ZoneAlgorithm): ZoneKeys {
  let keys = keyCache.get(alg);
  if (keys === undefined) {
    keys = { ksk: generateZoneKey(alg, { ksk: true }), zsk: generateZoneKey(alg, { ksk: false }) };
    keyCache.set(alg, keys);
  }
  return keys;
}

/** A signature window around the real time: the tools validate against their own clock. */
function window(): { inception: number; expiration: number } {
  const now = Math.floor(Date.now() / 1000);
  return { inception: now - HOUR, expiration: now + 14 * 24 * HOUR };
}

function sign(
  origin: string,
  text: string,
  opts: { alg: ZoneAlgorithm; denial: DenialMode; extra?: Rr[] },
): SignedZone {
  const o = Name.parse(origin);
  return signZone(
    { origin: o, records: [...parseZone(text, { origin: o }), ...(opts.extra ?? [])] },
    { algorithm: opts.alg, keys: keysFor(opts.alg), denial: opts.denial, ...window() },
  );
}

for (const alg of [8, 13, 15] as const) {
  test(`dnssec-verify and ldns-verify-zone accept lab-signed zones, algorithm ${alg}`, async (t) => {
    if (!requireTools(t, ['dnssec-verify', 'ldns-verify-zone'])) return;
    const scope = await testScope(t, `lab-dns-verify-${alg}`);
    for (const [label, denial] of Object.entries(DENIALS)) {
      const zone = sign('example.', ZONE_BODY, { alg, denial });
      const file = join(scope.dir, `${alg}-${label.replace(/ /g, '-')}.zone`);
      await writeFile(file, formatZone(zone));
      const bind = await verifyWithBind(file, 'example.');
      assert.ok(bind.ok, `dnssec-verify, ${label}: ${bind.output}`);
      const ldns = await verifyWithLdns(file);
      assert.ok(ldns.ok, `ldns-verify-zone, ${label}: ${ldns.output}`);
    }
    const signed = sign('example.', ZONE_BODY, { alg, denial: 'nsec' });
    const broken = breakRrset(signed, 'www', RRType.A, 'bad-signature');
    const file = join(scope.dir, `${alg}-broken.zone`);
    await writeFile(file, formatZone(broken));
    assert.equal((await verifyWithBind(file, 'example.')).ok, false, 'dnssec-verify rejects a bad signature');
    assert.equal((await verifyWithLdns(file)).ok, false, 'ldns-verify-zone rejects a bad signature');
  });
}

/** The simulated Internet for Unbound: root, the TLD "lab." and its children. */
interface Tree {
  zones: { origin: Name; records: readonly Rr[] }[];
  views: Record<string, string[]>;
  rootDs: Rr<DsRdata>[];
}

function delegation(child: SignedZone, address: string, ds?: readonly DsRdata[]): Rr[] {
  return delegationRecords(child, {
    nameServers: [{ name: `ns.${child.origin.toString()}`, addresses: [address] }],
    ...(ds === undefined ? {} : { ds }),
  });
}

function zoneText(origin: string, body: string): string {
  const ns = origin === '.' ? 'a.root-servers.' : `ns.${origin}`;
  const contact = origin === '.' ? 'hostmaster.root-servers.' : `hostmaster.${origin}`;
  return `$TTL 3600\n@ IN SOA ${ns} ${contact} 1 7200 3600 1209600 300\n@ IN NS ${ns}\n${body}`;
}

function buildTree(): Tree {
  const [rootAddr, tldAddr, childAddr] = [net.dns(1), net.dns(2), net.dns(3)];
  const nsec3: DenialMode = { nsec3: { iterations: 0, salt: new Uint8Array(0) } };
  const common = `www IN A 192.0.2.1\n_25._tcp.mx IN TLSA 3 1 1 ${'ab'.repeat(32)}\n*.wild IN TXT "w"\n`;
  const secure = breakRrset(
    sign('secure.lab.', zoneText('secure.lab.', `ns IN A ${childAddr}\n${common}expired IN A 192.0.2.9\n`), {
      alg: 13,
      denial: 'nsec',
    }),
    'expired',
    RRType.A,
    'expired',
  );
  const hashed = sign('hashed.lab.', zoneText('hashed.lab.', `ns IN A ${childAddr}\n${common}`), {
    alg: 8,
    denial: nsec3,
  });
  const dsbad = sign('dsbad.lab.', zoneText('dsbad.lab.', `ns IN A ${childAddr}\n${common}`), {
    alg: 15,
    denial: 'nsec',
  });
  const insecure = sign('insecure.lab.', zoneText('insecure.lab.', `ns IN A ${childAddr}\n${common}`), {
    alg: 13,
    denial: 'nsec',
  });
  const tld = sign('lab.', zoneText('lab.', `ns IN A ${tldAddr}\n`), {
    alg: 15,
    denial: { nsec3: { iterations: 0, salt: new Uint8Array(0), optOut: true } },
    extra: [
      ...delegation(secure, childAddr),
      ...delegation(hashed, childAddr),
      ...delegation(dsbad, childAddr, dsbad.ds.map(bogusDs)),
      ...delegation(insecure, childAddr, []),
    ],
  });
  const root = sign('.', zoneText('.', `a.root-servers. IN A ${rootAddr}\n`), {
    alg: 13,
    denial: 'nsec',
    extra: delegation(tld, tldAddr),
  });
  return {
    // The insecure child is served unsigned, as it would be without DNSSEC.
    zones: [root, tld, secure, hashed, dsbad, { origin: insecure.origin, records: insecure.source }],
    views: {
      [rootAddr]: ['.'],
      [tldAddr]: ['lab.'],
      [childAddr]: ['secure.lab.', 'hashed.lab.', 'dsbad.lab.', 'insecure.lab.'],
    },
    rootDs: dsRecords(root),
  };
}

const UNBOUND_CASES: { name: string; type: string; want: { rcode: string; ad: boolean; data?: string } }[] = [
  { name: 'www.secure.lab.', type: 'A', want: { rcode: 'NOERROR', ad: true, data: '192.0.2.1' } },
  {
    name: '_25._tcp.mx.secure.lab.',
    type: 'TLSA',
    want: { rcode: 'NOERROR', ad: true, data: `3 1 1 ${'ab'.repeat(32)}` },
  },
  { name: 'www.secure.lab.', type: 'TXT', want: { rcode: 'NOERROR', ad: true } },
  { name: 'nope.secure.lab.', type: 'A', want: { rcode: 'NXDOMAIN', ad: true } },
  { name: 'any.wild.secure.lab.', type: 'TXT', want: { rcode: 'NOERROR', ad: true, data: '"w"' } },
  { name: 'expired.secure.lab.', type: 'A', want: { rcode: 'SERVFAIL', ad: false } },
  { name: 'www.hashed.lab.', type: 'A', want: { rcode: 'NOERROR', ad: true, data: '192.0.2.1' } },
  { name: 'www.hashed.lab.', type: 'TXT', want: { rcode: 'NOERROR', ad: true } },
  { name: 'nope.hashed.lab.', type: 'A', want: { rcode: 'NXDOMAIN', ad: true } },
  { name: 'any.wild.hashed.lab.', type: 'TXT', want: { rcode: 'NOERROR', ad: true, data: '"w"' } },
  { name: 'www.insecure.lab.', type: 'A', want: { rcode: 'NOERROR', ad: false, data: '192.0.2.1' } },
  { name: 'www.dsbad.lab.', type: 'A', want: { rcode: 'SERVFAIL', ad: false } },
  // The TLD uses NSEC3 Opt-Out: its NXDOMAIN cannot be proven secure (RFC 5155 §9.2).
  { name: 'nope.lab.', type: 'A', want: { rcode: 'NXDOMAIN', ad: false } },
  { name: 'nope.', type: 'A', want: { rcode: 'NXDOMAIN', ad: true } },
];

test('Unbound validates the lab served by the authority: secure, insecure, bogus, denials, wildcards', async (t) => {
  if (!requireTools(t, ['unbound', 'unbound-checkconf', 'dig'])) return;
  const scope = await testScope(t, 'lab-dns-unbound');
  const tree = buildTree();
  // Unbound reaches the servers named by referrals on port 53 only; without root, stub zones
  // (address@port) send it straight to the lab on an ephemeral port instead.
  const root = isRoot();
  const port = root ? 53 : await freePort(net.dns(1));
  if (!root)
    t.diagnostic('not root: Unbound uses stub zones on an ephemeral port instead of root hints on port 53');
  const lab = await startAuthority({
    listen: Object.keys(tree.views).map((address) => ({ address, port })),
    zones: tree.zones,
    views: tree.views,
  });
  scope.defer(() => lab.close());
  const anchorFile = join(scope.dir, 'root.ds');
  await writeFile(anchorFile, tree.rootDs.map(formatRr).join('\n') + '\n');
  const hintsFile = join(scope.dir, 'root.hints');
  await writeRootHints(hintsFile, [{ name: 'a.root-servers.', address: net.dns(1) }]);
  const stubZones = Object.entries(tree.views).flatMap(([address, zones]) =>
    zones.map((name) => ({ name, addrs: [`${address}@${port}`] })),
  );
  const unbound = await startUnbound({
    address: net.dns(53),
    port: root ? 53 : await freePort(net.dns(53)),
    trustAnchorFile: anchorFile,
    ...(root ? { rootHintsFile: hintsFile } : { stubZones }),
    dir: scope.dir,
  });
  scope.defer(() => unbound.stop());
  for (const c of UNBOUND_CASES) {
    const got = await queryUnbound(unbound, c.name, { type: c.type });
    const label = `${c.name} ${c.type}: ${got.raw}\n${unbound.output().split('\n').slice(-15).join('\n')}`;
    assert.equal(got.rcode, c.want.rcode, label);
    assert.equal(got.ad, c.want.ad, label);
    const data = got.answer
      .filter((l) => l.split(' ')[3] === c.type)
      .map((l) => l.split(' ').slice(4).join(''));
    if (c.want.data === undefined) assert.deepEqual(data, [], label);
    else
      assert.ok(
        data.some((d) => d.toLowerCase() === c.want.data?.replace(/ /g, '').toLowerCase()),
        label,
      );
  }
  const asked = new Set(lab.queries.map((q) => q.address));
  assert.deepEqual([...asked].sort(), Object.keys(tree.views).sort(), 'Unbound asked every simulated server');
  if (root)
    assert.ok(
      lab.queries.some((q) => q.address === net.dns(1) && q.do),
      'Unbound iterated from the root with DO',
    );
});
