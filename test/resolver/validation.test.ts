/**
 * The validating resolver against signed zones of the lab's signer, in recursive and validate
 * mode: chains of trust, NODATA / NXDOMAIN with NSEC and NSEC3, wildcards, CNAME / DNAME chains
 * (weakest link), insecure delegations (no DS, opt-out, unsupported algorithms), and broken
 * zones (expired RRSIG, DS matching no key, stripped RRSIG, an NSEC that does not cover the name).
 * Table-driven: each case names the world, the question and what it wants.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ede, requireProof, requireSecure } from '../../src/dns/dnssec/index.ts';
import { RRType, formatRdata, rcodeToString } from '../../src/dns/wire/index.ts';
import { bogusDs, breakRrset, stripSignatures, uncoverName } from '../../src/lab/index.ts';
import { basicWorld, buildWorld, type World } from './world.ts';

interface Case {
  name: string;
  world: () => World;
  q: [string, keyof typeof RRType];
  want: {
    kind: string;
    status: string;
    rcode?: string;
    records?: string[];
    ede?: number;
    aliases?: string[];
  };
}

const optoutWorld = (): World =>
  basicWorld({ example: { sign: 'optout' } }, [
    { origin: 'unsigned.example.test.', sign: false, records: 'host IN A 192.0.2.99\n' },
  ]);

const CASES: Case[] = [
  {
    name: 'secure A through root, TLD and zone',
    world: () => basicWorld(),
    q: ['www.example.test.', 'A'],
    want: { kind: 'answer', status: 'secure', rcode: 'NOERROR', records: ['192.0.2.1'] },
  },
  {
    name: 'NODATA proven with NSEC',
    world: () => basicWorld(),
    q: ['www.example.test.', 'TXT'],
    want: { kind: 'nodata', status: 'secure', rcode: 'NOERROR' },
  },
  {
    name: 'NXDOMAIN proven with NSEC',
    world: () => basicWorld(),
    q: ['nope.example.test.', 'A'],
    want: { kind: 'nxdomain', status: 'secure', rcode: 'NXDOMAIN' },
  },
  {
    name: 'NODATA proven with NSEC3',
    world: () => basicWorld({ example: { sign: 'nsec3' } }),
    q: ['www.example.test.', 'TXT'],
    want: { kind: 'nodata', status: 'secure' },
  },
  {
    name: 'NXDOMAIN proven with NSEC3',
    world: () => basicWorld({ example: { sign: 'nsec3' } }),
    q: ['nope.example.test.', 'A'],
    want: { kind: 'nxdomain', status: 'secure', rcode: 'NXDOMAIN' },
  },
  {
    name: 'wildcard answer with proof that the name does not exist (NSEC)',
    world: () => basicWorld(),
    q: ['anything.wild.example.test.', 'TXT'],
    want: { kind: 'answer', status: 'secure', records: ['"wild"'] },
  },
  {
    name: 'wildcard answer with NSEC3',
    world: () => basicWorld({ example: { sign: 'nsec3' } }),
    q: ['anything.wild.example.test.', 'TXT'],
    want: { kind: 'answer', status: 'secure', records: ['"wild"'] },
  },
  {
    name: 'secure CNAME to secure data',
    world: () => basicWorld(),
    q: ['alias.example.test.', 'A'],
    want: { kind: 'answer', status: 'secure', records: ['192.0.2.1'], aliases: ['cname secure'] },
  },
  {
    name: 'algorithms 8 and 15 in the chain',
    world: () => basicWorld({ tld: { algorithm: 8 }, example: { algorithm: 15 } }),
    q: ['www.example.test.', 'AAAA'],
    want: { kind: 'answer', status: 'secure', records: ['2001:db8::1'] },
  },
  {
    name: 'unsigned child: insecure delegation proven by the parent NSEC',
    world: () => basicWorld({ example: { sign: false } }),
    q: ['www.example.test.', 'A'],
    want: { kind: 'answer', status: 'insecure', records: ['192.0.2.1'] },
  },
  {
    name: 'unsigned child under NSEC3 opt-out: insecure',
    world: optoutWorld,
    q: ['host.unsigned.example.test.', 'A'],
    want: { kind: 'answer', status: 'insecure', records: ['192.0.2.99'] },
  },
  {
    name: 'DS listing only an unsupported algorithm: insecure (RFC 4035 §5.2)',
    world: () =>
      basicWorld({
        example: { parentDs: [{ keyTag: 1, algorithm: 253, digestType: 2, digest: new Uint8Array(32) }] },
      }),
    q: ['www.example.test.', 'A'],
    want: { kind: 'answer', status: 'insecure', ede: Ede.UNSUPPORTED_DNSKEY_ALGORITHM },
  },
  {
    name: 'DS with only an unknown digest type: insecure (RFC 6840 §5.2)',
    world: () =>
      basicWorld({
        example: { parentDs: [{ keyTag: 1, algorithm: 13, digestType: 99, digest: new Uint8Array(32) }] },
      }),
    q: ['www.example.test.', 'A'],
    want: { kind: 'answer', status: 'insecure', ede: Ede.UNSUPPORTED_DS_DIGEST },
  },
  {
    name: 'expired RRSIG: bogus, EDE 7',
    world: () =>
      basicWorld({ example: { mutate: (z) => breakRrset(z, 'www.example.test.', RRType.A, 'expired') } }),
    q: ['www.example.test.', 'A'],
    want: { kind: 'failed', status: 'bogus', rcode: 'SERVFAIL', ede: Ede.SIGNATURE_EXPIRED },
  },
  {
    name: 'DS that matches no DNSKEY: bogus',
    world: () => {
      const probe = basicWorld();
      const real = probe.zones.get('example.test.') as {
        ds: readonly import('../../src/dns/wire/index.ts').DsRdata[];
      };
      return basicWorld({ example: { parentDs: real.ds.map(bogusDs) } });
    },
    q: ['www.example.test.', 'A'],
    want: { kind: 'failed', status: 'bogus', ede: Ede.DNSKEY_MISSING },
  },
  {
    name: 'stripped RRSIG in a signed zone: bogus, EDE 10',
    world: () =>
      basicWorld({ example: { mutate: (z) => stripSignatures(z, 'www.example.test.', RRType.A) } }),
    q: ['www.example.test.', 'A'],
    want: { kind: 'failed', status: 'bogus', ede: Ede.RRSIGS_MISSING },
  },
  {
    name: 'NSEC that does not cover the name: bogus',
    world: () => basicWorld({ example: { mutate: (z) => uncoverName(z, 'nope.example.test.') } }),
    q: ['nope.example.test.', 'A'],
    want: { kind: 'failed', status: 'bogus' },
  },
  {
    name: 'bad signature on the answer: bogus',
    world: () =>
      basicWorld({
        example: { mutate: (z) => breakRrset(z, 'www.example.test.', RRType.A, 'bad-signature') },
      }),
    q: ['www.example.test.', 'A'],
    want: { kind: 'failed', status: 'bogus' },
  },
];

function check(c: Case, mode: 'recursive' | 'validate'): void {
  test(`${mode}: ${c.name}`, async () => {
    const world = c.world();
    const a = await world.resolver(mode).lookup(c.q[0], RRType[c.q[1]]);
    const got = {
      kind: a.kind,
      status: a.status,
      ...(c.want.rcode === undefined ? {} : { rcode: rcodeToString(a.rcode) }),
      // Records of any proof: the status is asserted beside them.
      ...(c.want.records === undefined ? {} : { records: a.rrset.require('bogus').map(formatRdata) }),
      ...(c.want.ede === undefined ? {} : { ede: a.ede }),
      ...(c.want.aliases === undefined ? {} : { aliases: a.aliases.map((l) => `${l.kind} ${l.status}`) }),
    };
    assert.deepEqual(got, c.want, a.reason);
    if (a.kind !== 'answer') assert.equal(a.rrset.require('bogus').length, 0);
    assert.equal(a.rrset.proof, a.status, 'the records carry the answer status');
    if (a.status !== 'secure')
      assert.ok(a.reason !== undefined && a.reason.length > 0, 'a non-secure answer has a reason');
  });
}

for (const c of CASES) {
  check(c, 'recursive');
  check(c, 'validate');
}

test('a CNAME chain from a signed into an unsigned zone is as weak as its weakest link', async () => {
  const world = buildWorld([
    { origin: '.' },
    { origin: 'test.', records: 'x IN A 192.0.2.3\n' },
    { origin: 'signed.test.', records: 'www IN CNAME www.plain.test.\n' },
    { origin: 'plain.test.', sign: false, records: 'www IN A 192.0.2.7\n' },
  ]);
  const a = await world.resolver().lookup('www.signed.test.', RRType.A);
  assert.equal(a.kind, 'answer');
  assert.equal(a.status, 'insecure');
  assert.deepEqual(
    a.aliases.map((l) => [l.from.toString(), l.to.toString(), l.status]),
    [['www.signed.test.', 'www.plain.test.', 'secure']],
  );
  assert.deepEqual(requireProof(a.rrset, 'insecure').map(formatRdata), ['192.0.2.7']);
  assert.equal(a.canonicalName.toString(), 'www.plain.test.');
});

test('DNAME substitution is followed and validated', async () => {
  const world = buildWorld([
    { origin: '.' },
    { origin: 'test.' },
    { origin: 'old.test.', records: 'sub IN DNAME new.test.\n' },
    { origin: 'new.test.', records: 'host IN A 192.0.2.8\n' },
  ]);
  const a = await world.resolver().lookup('host.sub.old.test.', RRType.A);
  assert.equal(a.status, 'secure', a.reason);
  assert.deepEqual(requireSecure(a.rrset).map(formatRdata), ['192.0.2.8']);
  assert.equal(a.aliases[0]?.kind, 'dname');
});

test('no trust anchor covers the name: indeterminate, data still returned', async () => {
  const world = basicWorld();
  const { TrustAnchors } = await import('../../src/dns/resolver/index.ts');
  const r = world.resolver('recursive', { anchors: new TrustAnchors([]) });
  const a = await r.lookup('www.example.test.', RRType.A);
  assert.equal(a.kind, 'answer');
  assert.equal(a.status, 'indeterminate');
});

test('a server that never answers: the lookup failed, which is not "no records"', async () => {
  const world = basicWorld();
  const addr = [...world.byAddress.keys()].find(
    (k) => k !== world.rootAddress && world.byAddress.get(k)?.[0]?.origin.toString() === 'example.test.',
  );
  world.down.add(addr as string);
  const a = await world.resolver().lookup('www.example.test.', RRType.A);
  assert.equal(a.kind, 'failed');
  assert.equal(a.status, 'indeterminate');
  assert.equal(a.ede, Ede.NETWORK_ERROR);
  assert.equal(rcodeToString(a.rcode), 'SERVFAIL');
});

test('an answer exposes its records only through its proof', async () => {
  const world = basicWorld({ example: { sign: false } });
  const a = await world.resolver().lookup('www.example.test.', RRType.A);
  assert.equal(a.status, 'insecure');
  // @ts-expect-error -- there is no public records array: the records are read through the proof
  assert.equal(a.records, undefined);
  assert.throws(() => requireSecure(a.rrset), /insecure, secure required/);
  assert.deepEqual(requireProof(a.rrset, 'insecure').map(formatRdata), ['192.0.2.1']);
});
