/**
 * Our validating resolver against real DNSSEC software: a signed tree on loopback — a root and
 * a TLD, zones signed by BIND's dnssec-signzone and ldns-signzone with algorithms 8, 13 and 15,
 * NSEC, NSEC3 and NSEC3 Opt-Out, an unsigned zone and an unsigned delegation, and broken zones
 * (expired RRSIG, a DS matching no DNSKEY, a stripped RRSIG, an NSEC chain that does not cover
 * the name) — served by NSD, with Unbound as a second validator trusting the same root DS. For
 * every name and type, our status in mode `validate` (through Unbound, with CD) and in mode
 * `recursive` (from the root hints, against NSD) must equal Unbound's verdict — AD → secure,
 * SERVFAIL → lookup failed, neither → insecure — and our records must equal dig's.
 * Port 53 (realistic root hints) as root; otherwise an ephemeral port with Unbound stub zones.
 * Test-file id 9: 127.53.9.x. Must never reach anything but loopback addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import {
  ForwardingUpstream,
  IterativeUpstream,
  Resolver,
  TrustAnchors,
  type Answer,
} from '../../src/dns/resolver/index.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/index.ts';
import { createExchange } from '../../src/dns/transport/index.ts';
import { formatRdata, Name, RRType, typeFromString } from '../../src/dns/wire/index.ts';
import { cryptoRandom, systemClock } from '../../src/util/index.ts';
import {
  addressPlan,
  buildHierarchy,
  freePort,
  isRoot,
  queryUnbound,
  requireTools,
  startNsd,
  startUnbound,
  testScope,
  writeRootHints,
  type HierarchyZone,
  type NsdServer,
  type QueryResult,
} from './index.ts';

const net = addressPlan(9);
const DAY = 86_400_000;
const TLSA = '3 1 1 2d2d1b5cc48ec4b0d3e37cce36e3d78009beb80ec862ba77a819cf871e1cd5c4';

function zones(): HierarchyZone[] {
  const now = Date.now();
  return [
    { name: '.', address: net.dns(1), signer: 'bind', algorithm: 13 },
    {
      name: 'example.',
      address: net.dns(2),
      signer: 'ldns',
      algorithm: 8,
      nsec3: { iterations: 0, salt: '-' },
    },
    {
      name: 'bind13.example.',
      address: net.dns(3),
      signer: 'bind',
      algorithm: 13,
      records: `www IN A 192.0.2.1\nwww IN AAAA 2001:db8::1\nmail IN MX 10 mx.bind13.example.\nmx IN A 192.0.2.25\n_25._tcp.mx IN TLSA ${TLSA}\nalias IN CNAME www\n*.wild IN TXT "wild"\n`,
    },
    {
      name: 'ldns15.example.',
      address: net.dns(4),
      signer: 'ldns',
      algorithm: 15,
      nsec3: { iterations: 0, salt: '-' },
      records: 'www IN A 192.0.2.4\n*.wild IN TXT "wild3"\nto-plain IN CNAME www.plain.example.\n',
    },
    {
      name: 'bind8.example.',
      address: net.dns(5),
      signer: 'bind',
      algorithm: 8,
      nsec3: { iterations: 0, salt: '-', optOut: true },
      records: 'www IN A 192.0.2.5\n',
    },
    { name: 'unsigned.bind8.example.', address: net.dns(6), signer: 'none', records: 'www IN A 192.0.2.6\n' },
    {
      name: 'ldns13.example.',
      address: net.dns(7),
      signer: 'ldns',
      algorithm: 13,
      records: 'www IN AAAA 2001:db8::7\n',
    },
    { name: 'plain.example.', address: net.dns(8), signer: 'none', records: 'www IN A 192.0.2.8\n' },
    {
      name: 'expired.example.',
      address: net.dns(9),
      signer: 'bind',
      algorithm: 13,
      inception: new Date(now - 20 * DAY),
      expiration: new Date(now - 10 * DAY),
      records: 'www IN A 192.0.2.9\n',
    },
    {
      name: 'baddsl.example.',
      address: net.dns(10),
      signer: 'ldns',
      algorithm: 13,
      parentDs: [`baddsl.example. IN DS 12345 13 2 ${'5a'.repeat(32)}`],
      records: 'www IN A 192.0.2.10\n',
    },
    {
      name: 'stripped.example.',
      address: net.dns(11),
      signer: 'bind',
      algorithm: 15,
      records: 'www IN A 192.0.2.11\n',
    },
    {
      name: 'badnsec.example.',
      address: net.dns(12),
      signer: 'ldns',
      algorithm: 13,
      records: 'a IN A 192.0.2.12\nm IN A 192.0.2.13\nz IN A 192.0.2.14\n',
    },
  ];
}

/** Remove the lines of `file` that match `drop` (RRSIGs or NSECs of one owner). */
async function editZoneFile(file: string, drop: RegExp): Promise<void> {
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n');
  const kept = lines.filter((l) => !drop.test(l));
  assert.ok(kept.length < lines.length, `nothing matched ${drop.source} in ${file}`);
  await writeFile(file, kept.join('\n'));
}

/** [name, type] pairs asked of both validators. */
const QUESTIONS: [string, string][] = [
  ['www.bind13.example.', 'A'],
  ['www.bind13.example.', 'TXT'],
  ['nope.bind13.example.', 'A'],
  ['x.wild.bind13.example.', 'TXT'],
  ['alias.bind13.example.', 'AAAA'],
  ['mail.bind13.example.', 'MX'],
  ['_25._tcp.mx.bind13.example.', 'TLSA'],
  ['www.ldns15.example.', 'A'],
  ['www.ldns15.example.', 'MX'],
  ['nope.ldns15.example.', 'A'],
  ['y.wild.ldns15.example.', 'TXT'],
  ['to-plain.ldns15.example.', 'A'],
  ['www.bind8.example.', 'A'],
  ['nope.bind8.example.', 'A'],
  ['www.unsigned.bind8.example.', 'A'],
  ['www.ldns13.example.', 'AAAA'],
  ['nope.example.', 'A'],
  ['www.plain.example.', 'A'],
  ['www.expired.example.', 'A'],
  ['www.baddsl.example.', 'A'],
  ['www.stripped.example.', 'A'],
  ['b.badnsec.example.', 'A'],
  ['n.badnsec.example.', 'A'],
];

type Verdict = 'secure' | 'insecure' | 'failed';

function unboundVerdict(r: QueryResult): Verdict {
  if (r.rcode === 'SERVFAIL') return 'failed';
  return r.ad ? 'secure' : 'insecure';
}

function ourVerdict(a: Answer): Verdict {
  if (a.kind === 'failed') return 'failed';
  return a.status === 'secure' ? 'secure' : 'insecure';
}

/** dig's records of `type` at the end of the answer, as rdata text without blanks. */
function digRecords(r: QueryResult, type: string, owner: string): string[] {
  return r.answer
    .map((l) => l.split(' '))
    .filter((f) => f[3] === type && f[0]?.toLowerCase() === owner.toLowerCase())
    .map((f) => f.slice(4).join('').toLowerCase())
    .sort();
}

function ourRecords(a: Answer): string[] {
  // Records of any proof: the verdicts are compared beside them.
  return a.rrset
    .require('bogus')
    .map((rr) => formatRdata(rr).replace(/ /g, '').toLowerCase())
    .sort();
}

test("our verdicts and records equal Unbound's, in modes validate and recursive", async (t) => {
  if (
    !requireTools(t, [
      'nsd',
      'nsd-checkconf',
      'unbound',
      'unbound-checkconf',
      'dig',
      'dnssec-keygen',
      'dnssec-signzone',
      'dnssec-dsfromkey',
      'ldns-keygen',
      'ldns-signzone',
      'ldns-key2ds',
    ])
  )
    return;
  const scope = await testScope(t, 'resolver-interop');
  const port = isRoot() ? 53 : await freePort(net.dns(1));
  const built = await buildHierarchy({ dir: scope.dir, zones: zones() });
  await editZoneFile(
    built.zones.get('stripped.example.')?.file ?? '',
    /^www\.stripped\.example\.\s.*\sRRSIG\s+A\s/,
  );
  // Drop the NSEC owned by m.badnsec.example.: the NSEC NSD then picks for n.badnsec.example. does not cover it.
  await editZoneFile(
    built.zones.get('badnsec.example.')?.file ?? '',
    /^m\.badnsec\.example\.\s.*\s(NSEC|RRSIG\s+NSEC)\s/,
  );
  const byAddress = new Map<string, { name: string; file: string }[]>();
  for (const z of built.zones.values())
    byAddress.set(z.zone.address, [
      ...(byAddress.get(z.zone.address) ?? []),
      { name: z.zone.name, file: z.file },
    ]);
  const servers: NsdServer[] = [];
  for (const [address, list] of byAddress) {
    const s = await startNsd({ address, port, zones: list, dir: scope.dir });
    scope.defer(() => s.stop());
    servers.push(s);
  }
  const rootHints = `${scope.dir}/root.hints`;
  await writeRootHints(rootHints, [{ name: 'a.root-servers.', address: net.dns(1) }]);
  const unboundPort = isRoot() ? 53 : await freePort(net.dns(53));
  const unbound = await startUnbound({
    address: net.dns(53),
    port: unboundPort,
    trustAnchorFile: built.trustAnchorFile ?? '',
    dir: scope.dir,
    ...(port === 53
      ? { rootHintsFile: rootHints }
      : {
          stubZones: [...built.zones.values()].map((z) => ({
            name: z.zone.name,
            addrs: [`${z.zone.address}@${port}`],
          })),
        }),
  });
  scope.defer(() => unbound.stop());

  const anchors = new TrustAnchors(parseTrustAnchors(built.trustAnchors.join('\n')));
  const exchange = createExchange({ timeoutMs: 2000, attempts: 2 });
  const validate = new Resolver({
    upstream: new ForwardingUpstream([{ address: net.dns(53), port: unboundPort }], exchange, {
      random: cryptoRandom,
      checkingDisabled: true,
    }),
    mode: 'validate',
    anchors,
    clock: systemClock,
  });
  const recursive = new Resolver({
    upstream: new IterativeUpstream(
      [{ name: Name.parse('a.root-servers.'), addresses: [net.dns(1)] }],
      exchange,
      { clock: systemClock, random: cryptoRandom, port },
    ),
    mode: 'recursive',
    anchors,
    clock: systemClock,
  });

  const problems: string[] = [];
  const seen = { secure: 0, insecure: 0, failed: 0 };
  for (const [name, typeText] of QUESTIONS) {
    const type = typeFromString(typeText) ?? RRType.A;
    const ub = await queryUnbound(unbound, name, { type: typeText });
    const want = unboundVerdict(ub);
    seen[want]++;
    for (const [mode, r] of [
      ['validate', validate],
      ['recursive', recursive],
    ] as const) {
      const a = await r.lookup(name, type);
      const got = ourVerdict(a);
      if (got !== want)
        problems.push(
          `${mode} ${name} ${typeText}: ours ${got} (${a.status}: ${a.reason ?? ''}), Unbound ${want} (${ub.rcode}${ub.ad ? ' AD' : ''})`,
        );
      if (want !== 'failed') {
        const theirs = digRecords(ub, typeText, a.canonicalName.toString());
        const ours = ourRecords(a);
        if (theirs.join('|') !== ours.join('|'))
          problems.push(
            `${mode} ${name} ${typeText}: records ${ours.join(', ')} vs dig ${theirs.join(', ')}`,
          );
      }
    }
  }
  assert.deepEqual(problems, [], unbound.output().split('\n').slice(-40).join('\n'));
  // The tree covers all three verdicts.
  assert.ok(seen.secure >= 10 && seen.insecure >= 3 && seen.failed >= 4, JSON.stringify(seen));
});
