/**
 * Tests of the zone keys and the zone signer: key formats (RFC 3110, 6605, 8080), every RRSIG
 * verifying with dns/dnssec for algorithms 8, 13 and 15 under NSEC, NSEC3 and NSEC3 Opt-Out,
 * which RRsets are signed (RFC 4035 §2.2), the NSEC chain's order and bitmaps (RFC 4035 §2.3),
 * the NSEC3 chain's owners, bitmaps and links (RFC 5155 §7.1), DS, TTLs and zone text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { dsMatchesKey, keyTag, nsec3Hash, verifyRrset, verifySignature } from '../../dns/dnssec/index.ts';
import {
  isType,
  Name,
  parseZone,
  RRType,
  toBase32Hex,
  typeToString,
  type DnskeyRdata,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
  type RrsigRdata,
} from '../../dns/wire/index.ts';
import { toHex } from '../../util/index.ts';
import {
  DENIALS,
  EXPIRATION,
  fixtureKeys,
  fixtureRecords,
  INCEPTION,
  NOW,
  signFixture,
} from '../../../test/lab/dns-fixtures.ts';
import { LabDnsError } from './lab-dns-error.ts';
import { delegationRecords, dsRecords, formatZone, signZone, type SignedZone } from './signer.ts';
import { generateZoneKey, importZoneKey, signData, type ZoneAlgorithm } from './zone-keys.ts';

const ALGORITHMS: readonly ZoneAlgorithm[] = [8, 13, 15];
const ORIGIN = Name.parse('example.');

function rel(name: Name): string {
  const text = name.toString();
  return text === 'example.' ? '@' : text.slice(0, -'.example.'.length);
}

function dnskeys(zone: SignedZone): Rr<DnskeyRdata>[] {
  return zone.records.filter(
    (r): r is Rr<DnskeyRdata> => isType(r, RRType.DNSKEY) && r.name.equals(zone.origin),
  );
}

function sigs(zone: SignedZone): Rr<RrsigRdata>[] {
  return zone.records.filter((r): r is Rr<RrsigRdata> => isType(r, RRType.RRSIG));
}

function rrsetOf(zone: SignedZone, name: Name, type: number): Rr[] {
  return zone.records.filter((r) => r.type === type && r.name.equals(name));
}

const SIGNED_RRSETS = [
  '@ SOA',
  '@ NS',
  '@ MX',
  '@ DNSKEY',
  'alias CNAME',
  'big TXT',
  'dn DNAME',
  'x.y.ent A',
  'mx1 A',
  '_25._tcp.mx1 TLSA',
  'ns1 A',
  'sec DS',
  'host.target A',
  '*.wild TXT',
  'www A',
  'www AAAA',
].sort();

const NSEC_CHAIN: readonly [string, string][] = [
  ['@', 'NS SOA MX RRSIG NSEC DNSKEY'],
  ['alias', 'CNAME RRSIG NSEC'],
  ['big', 'TXT RRSIG NSEC'],
  ['a.b.deep', 'NS RRSIG NSEC'],
  ['dn', 'DNAME RRSIG NSEC'],
  ['x.y.ent', 'A RRSIG NSEC'],
  ['insec', 'NS RRSIG NSEC'],
  ['mx1', 'A RRSIG NSEC'],
  ['_25._tcp.mx1', 'RRSIG NSEC TLSA'],
  ['ns1', 'A RRSIG NSEC'],
  ['sec', 'NS DS RRSIG NSEC'],
  ['host.target', 'A RRSIG NSEC'],
  ['*.wild', 'TXT RRSIG NSEC'],
  ['www', 'A AAAA RRSIG NSEC'],
];

/** Original owners of the NSEC3 chain and their bitmaps; `optOut: false` rows vanish under Opt-Out. */
const NSEC3_OWNERS: readonly { name: string; types: string; optOut: boolean }[] = [
  { name: '@', types: 'NS SOA MX RRSIG DNSKEY NSEC3PARAM', optOut: true },
  { name: 'alias', types: 'CNAME RRSIG', optOut: true },
  { name: 'big', types: 'TXT RRSIG', optOut: true },
  { name: 'deep', types: '', optOut: false },
  { name: 'b.deep', types: '', optOut: false },
  { name: 'a.b.deep', types: 'NS', optOut: false },
  { name: 'dn', types: 'DNAME RRSIG', optOut: true },
  { name: 'ent', types: '', optOut: true },
  { name: 'y.ent', types: '', optOut: true },
  { name: 'x.y.ent', types: 'A RRSIG', optOut: true },
  { name: 'insec', types: 'NS', optOut: false },
  { name: 'mx1', types: 'A RRSIG', optOut: true },
  { name: '_tcp.mx1', types: '', optOut: true },
  { name: '_25._tcp.mx1', types: 'RRSIG TLSA', optOut: true },
  { name: 'ns1', types: 'A RRSIG', optOut: true },
  { name: 'sec', types: 'NS DS RRSIG', optOut: true },
  { name: 'target', types: '', optOut: true },
  { name: 'host.target', types: 'A RRSIG', optOut: true },
  { name: 'wild', types: '', optOut: true },
  { name: '*.wild', types: 'TXT RRSIG', optOut: true },
  { name: 'www', types: 'A AAAA RRSIG', optOut: true },
];

test('generateZoneKey: DNSKEY flags, protocol and public key formats; signatures verify', () => {
  const cases: { alg: ZoneAlgorithm; want: { keyLength: number; head: string } }[] = [
    // RFC 3110 §2: exponent length 3, exponent 65537 (01 00 01), then the 256-octet modulus.
    { alg: 8, want: { keyLength: 260, head: '03010001' } },
    { alg: 13, want: { keyLength: 64, head: '' } },
    { alg: 15, want: { keyLength: 32, head: '' } },
  ];
  for (const c of cases) {
    const { ksk, zsk } = fixtureKeys(c.alg);
    assert.equal(ksk.dnskey.flags, 257, `alg ${c.alg} KSK flags`);
    assert.equal(zsk.dnskey.flags, 256, `alg ${c.alg} ZSK flags`);
    for (const key of [ksk, zsk]) {
      assert.equal(key.dnskey.protocol, 3);
      assert.equal(key.dnskey.algorithm, c.alg);
      assert.equal(key.dnskey.publicKey.length, c.want.keyLength, `alg ${c.alg} key length`);
      assert.ok(toHex(key.dnskey.publicKey).startsWith(c.want.head));
      assert.equal(key.keyTag, keyTag(key.dnskey));
      const data = new TextEncoder().encode(`data for ${c.alg}`);
      const sig = signData(key, data);
      assert.equal(verifySignature(c.alg, key.dnskey.publicKey, data, sig), true, `alg ${c.alg} verifies`);
      assert.equal(verifySignature(c.alg, key.dnskey.publicKey, Uint8Array.of(1), sig), false);
    }
  }
});

test('importZoneKey rebuilds the same DNSKEY from PEM and refuses a key of another algorithm', () => {
  const { zsk } = fixtureKeys(13);
  const pem = zsk.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const again = importZoneKey(13, pem, { ksk: false });
  assert.deepEqual(again.dnskey, zsk.dnskey);
  assert.equal(again.keyTag, zsk.keyTag);
  assert.throws(() => importZoneKey(15, pem, { ksk: false }), { code: 'LAB_ERR_DNS_ARGUMENT' });
  assert.throws(() => importZoneKey(13, 'not a key', { ksk: false }), { code: 'LAB_ERR_DNS_ARGUMENT' });
  const pub = createPublicKey(zsk.privateKey);
  assert.throws(() => importZoneKey(13, pub, { ksk: false }), { code: 'LAB_ERR_DNS_ARGUMENT' });
  assert.throws(() => generateZoneKey(14 as ZoneAlgorithm, { ksk: true }), LabDnsError);
});

for (const alg of ALGORITHMS) {
  for (const denial of ['nsec', 'nsec3', 'optout'] as const) {
    test(`signZone alg ${alg} ${denial}: every RRSIG verifies and exactly the authoritative RRsets are signed`, () => {
      const zone = signFixture('example.', { algorithm: alg, denial });
      const keys = dnskeys(zone);
      assert.deepEqual(keys.map((k) => k.data.flags).sort(), [256, 257]);
      const covered: string[] = [];
      for (const sig of sigs(zone)) {
        const rrset = rrsetOf(zone, sig.name, sig.data.typeCovered);
        const v = verifyRrset(rrset, sig, keys, { now: NOW });
        assert.ok(
          v.ok,
          `${sig.name.toString()} ${typeToString(sig.data.typeCovered)}: ${v.ok ? '' : v.reason}`,
        );
        const isKeySet = sig.data.typeCovered === RRType.DNSKEY;
        assert.equal(sig.data.keyTag, (isKeySet ? zone.keys.ksk : zone.keys.zsk).keyTag);
        assert.equal(sig.ttl, rrset[0]?.ttl, 'RRSIG TTL equals the RRset TTL');
        assert.equal(sig.data.inception, INCEPTION);
        assert.equal(sig.data.expiration, EXPIRATION);
        if (sig.data.typeCovered !== RRType.NSEC && sig.data.typeCovered !== RRType.NSEC3) {
          covered.push(`${rel(sig.name)} ${typeToString(sig.data.typeCovered)}`);
        }
      }
      const want = denial === 'nsec' ? SIGNED_RRSETS : [...SIGNED_RRSETS, '@ NSEC3PARAM'].sort();
      assert.deepEqual(covered.sort(), want);
    });
  }
}

test('NSEC chain: canonical order, wrap to the apex, delegation and wildcard bitmaps, no glue, TTL', () => {
  const zone = signFixture('example.', { algorithm: 13, denial: 'nsec' });
  const nsecs = zone.records.filter((r): r is Rr<NsecRdata> => isType(r, RRType.NSEC));
  const got = nsecs.map((n) => [rel(n.name), n.data.types.map(typeToString).join(' ')]);
  assert.deepEqual(got, NSEC_CHAIN);
  nsecs.forEach((n, i) => {
    const next = nsecs[(i + 1) % nsecs.length] as Rr<NsecRdata>;
    assert.ok(n.data.nextName.equals(next.name), `${n.name.toString()} → ${next.name.toString()}`);
    // RFC 4035 §2.3 / RFC 9077: min(SOA TTL 3600, SOA MINIMUM 300).
    assert.equal(n.ttl, 300);
  });
  const wildSig = sigs(zone).find(
    (s) => s.name.toString() === '*.wild.example.' && s.data.typeCovered === RRType.TXT,
  );
  assert.equal(wildSig?.data.labels, 2, 'the wildcard label is not counted');
});

for (const denial of ['nsec3', 'optout'] as const) {
  test(`NSEC3 chain (${denial}): hashed owners, bitmaps, empty non-terminals, flags, links`, () => {
    const zone = signFixture('example.', { algorithm: 15, denial });
    const params = (DENIALS[denial] as { nsec3: { iterations: number; salt: Uint8Array; optOut?: boolean } })
      .nsec3;
    const optOut = params.optOut === true;
    const want = new Map<string, string>();
    for (const o of NSEC3_OWNERS) {
      if (optOut && !o.optOut) continue;
      const name = o.name === '@' ? ORIGIN : Name.parse(o.name, ORIGIN);
      want.set(toBase32Hex(nsec3Hash(name, params) as Uint8Array), `${o.name}: ${o.types}`);
    }
    const nsec3s = zone.records.filter((r): r is Rr<Nsec3Rdata> => isType(r, RRType.NSEC3));
    const got = new Map(
      nsec3s.map((n) => {
        const label = String.fromCharCode(...(n.name.labels[0] as Uint8Array));
        const types = n.data.types.map(typeToString).join(' ');
        return [label, `${want.get(label)?.split(':')[0] ?? '?'}: ${types}`];
      }),
    );
    assert.deepEqual([...got.entries()].sort(), [...want.entries()].sort());
    const hashes = nsec3s.map((n) => String.fromCharCode(...(n.name.labels[0] as Uint8Array))).sort();
    for (const n of nsec3s) {
      assert.equal(n.data.flags, optOut ? 1 : 0);
      assert.equal(n.data.iterations, params.iterations);
      assert.equal(toHex(n.data.salt), toHex(params.salt));
      assert.equal(n.ttl, 300);
      assert.ok(n.name.parent()?.equals(ORIGIN));
      const label = String.fromCharCode(...(n.name.labels[0] as Uint8Array));
      const i = hashes.indexOf(label);
      assert.equal(toBase32Hex(n.data.nextHashed), hashes[(i + 1) % hashes.length], 'next hashed owner');
    }
    const param = zone.records.find((r) => r.type === RRType.NSEC3PARAM);
    assert.ok(param !== undefined && isType(param, RRType.NSEC3PARAM) && param.name.equals(ORIGIN));
    assert.equal(param.data.flags, 0, 'NSEC3PARAM never carries Opt-Out');
    assert.equal(zone.records.filter((r) => r.type === RRType.NSEC).length, 0);
  });
}

test('DS of the KSK (SHA-256), dsRecords and delegationRecords for the parent', () => {
  const zone = signFixture('example.', { algorithm: 13, denial: 'nsec' });
  const ds = zone.ds[0];
  assert.ok(ds !== undefined);
  assert.equal(zone.ds.length, 1);
  assert.equal(ds.digestType, 2);
  assert.equal(ds.keyTag, zone.keys.ksk.keyTag);
  assert.equal(dsMatchesKey(ds, ORIGIN, zone.keys.ksk.dnskey), true);
  assert.equal(dsMatchesKey(ds, ORIGIN, zone.keys.zsk.dnskey), false);
  const [first] = dsRecords(zone, 600);
  assert.ok(first !== undefined);
  assert.equal(first.ttl, 600);
  assert.ok(first.name.equals(ORIGIN));
  const deleg = delegationRecords(zone, {
    nameServers: [{ name: 'ns1', addresses: ['127.0.0.1', '::1'] }, { name: 'ns.other.net.' }],
  });
  assert.deepEqual(
    deleg.map((r) => `${r.name.toString()} ${typeToString(r.type)}`),
    ['example. NS', 'ns1.example. A', 'ns1.example. AAAA', 'example. NS', 'example. DS'],
  );
  assert.equal(delegationRecords({ origin: ORIGIN }, { nameServers: [{ name: 'ns1' }] }).length, 1);
});

test('formatZone produces text that parses back to the same records', () => {
  for (const denial of ['nsec', 'optout'] as const) {
    const zone = signFixture('example.', { algorithm: 13, denial });
    const text = formatZone(zone);
    const back = parseZone(text);
    const key = (r: Rr): string => `${r.name.key()} ${r.ttl} ${r.type} ${toHex(r.rdata)}`;
    assert.deepEqual(back.map(key).sort(), zone.records.map(key).sort());
  }
});

test('signZone is repeatable on its own output and keeps published input DNSKEYs', () => {
  const zone = signFixture('example.', { algorithm: 13, denial: 'nsec' });
  const again = signZone(zone, zone.options);
  // ECDSA signatures are randomized: compare RRSIGs without their signature field.
  const key = (r: Rr): string =>
    isType(r, RRType.RRSIG)
      ? `${r.name.key()} RRSIG ${typeToString(r.data.typeCovered)} ${r.data.keyTag}`
      : `${r.name.key()} ${r.type} ${toHex(r.rdata)}`;
  assert.deepEqual(again.records.map(key), zone.records.map(key));
  const standby = generateZoneKey(13, { ksk: false });
  const extra = `@ IN DNSKEY 256 3 13 ${Buffer.from(standby.dnskey.publicKey).toString('base64')}\n`;
  const withStandby = signFixture('example.', { algorithm: 13, denial: 'nsec', extra });
  assert.equal(dnskeys(withStandby).length, 3);
});

test('signZone refuses zones and options it cannot sign', () => {
  const records = fixtureRecords('example.');
  const base = {
    algorithm: 13 as const,
    keys: fixtureKeys(13),
    denial: 'nsec' as const,
    inception: INCEPTION,
    expiration: EXPIRATION,
  };
  const cases: {
    name: string;
    zone: { origin: Name; records: Rr[] };
    opts: typeof base | Record<string, unknown>;
    want: RegExp;
  }[] = [
    {
      name: 'no SOA',
      zone: { origin: ORIGIN, records: records.filter((r) => r.type !== RRType.SOA) },
      opts: base,
      want: /no SOA/,
    },
    {
      name: 'outside',
      zone: { origin: Name.parse('other.'), records },
      opts: base,
      want: /outside the zone/,
    },
    {
      name: 'window',
      zone: { origin: ORIGIN, records },
      opts: { ...base, expiration: INCEPTION },
      want: /signature window/,
    },
    {
      name: 'keys',
      zone: { origin: ORIGIN, records },
      opts: { ...base, algorithm: 15 },
      want: /not of algorithm 15/,
    },
    {
      name: 'nsec3',
      zone: { origin: ORIGIN, records },
      opts: { ...base, denial: { nsec3: { iterations: -1, salt: new Uint8Array(0) } } },
      want: /NSEC3 parameters/,
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => signZone(c.zone, c.opts as typeof base),
      (err: unknown) => {
        assert.ok(err instanceof LabDnsError, c.name);
        assert.equal(err.code, 'LAB_ERR_DNS_ARGUMENT');
        assert.match(err.message, c.want, c.name);
        return true;
      },
    );
  }
});

test('a CSK (one key as KSK and ZSK) signs everything and is published once', () => {
  const csk = fixtureKeys(15).ksk;
  const zone = signZone(
    { origin: ORIGIN, records: fixtureRecords('example.') },
    {
      algorithm: 15,
      keys: { ksk: csk, zsk: csk },
      denial: 'nsec',
      inception: INCEPTION,
      expiration: EXPIRATION,
    },
  );
  const keys = dnskeys(zone);
  assert.equal(keys.length, 1);
  for (const sig of sigs(zone)) {
    assert.ok(verifyRrset(rrsetOf(zone, sig.name, sig.data.typeCovered), sig, keys, { now: NOW }).ok);
  }
});

test('dnskeyTtl sets the DNSKEY RRset TTL and its RRSIG original TTL; default is the SOA TTL', () => {
  const base = {
    algorithm: 13 as const,
    keys: fixtureKeys(13),
    denial: 'nsec' as const,
    inception: INCEPTION,
    expiration: EXPIRATION,
  };
  const cases: { dnskeyTtl?: number; want: number }[] = [{ want: 3600 }, { dnskeyTtl: 86_400, want: 86_400 }];
  for (const c of cases) {
    const zone = signZone(
      { origin: ORIGIN, records: fixtureRecords('example.') },
      c.dnskeyTtl === undefined ? base : { ...base, dnskeyTtl: c.dnskeyTtl },
    );
    assert.deepEqual([...new Set(dnskeys(zone).map((k) => k.ttl))], [c.want]);
    const sig = sigs(zone).find((s) => s.data.typeCovered === RRType.DNSKEY);
    assert.equal(sig?.data.originalTtl, c.want);
  }
});
