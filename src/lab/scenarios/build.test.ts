/**
 * Building the simulated Internet's data from scenarios (no sockets): delegations carry the
 * child's DS, a wrong DS or none as the scenario says; unsigned zones carry no DNSSEC records;
 * TLSA records sit at `_<port>._tcp.` and hold the digest of the right certificate or key;
 * aliases, null MX and implicit MX are published; broken signatures are broken; addresses follow
 * the plan; certificates are made as specified (RFC 6698 §2.1 association data).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash, X509Certificate } from 'node:crypto';
import { dsMatchesKey } from '../../dns/dnssec/index.ts';
import { isType, Name, RRType, type Rr, type RrsigRdata } from '../../dns/wire/index.ts';
import { toHex } from '../../util/index.ts';
import { LabScenarioError } from './error.ts';
import { buildInternet, prepareHosts, type InternetPlan } from './build.ts';
import { associationData, createLabPki, hostCerts } from '../pki/lab-pki.ts';
import { scenarioById } from './catalogue.ts';
import type { Scenario } from './types.ts';

const NOW = Date.UTC(2025, 0, 15);
const PORT = 2525;
const IDS = [
  'ee-311',
  'ds-mismatch',
  'demo-unsigned',
  'cname-tlsa-alias',
  'null-mx',
  'no-mx',
  'bogus-mx',
  'bogus-tlsa',
  'mx-host-unsigned',
  'ta-201',
  'demo-botched-renewal',
];
const scenarios = IDS.map((id) => scenarioById(id) as Scenario);
const prepared = prepareHosts(scenarios, { prefix: '127.90', now: NOW });
const plan: InternetPlan = buildInternet(scenarios, prepared, { smtpPort: PORT, prefix: '127.90', now: NOW });

function zone(origin: string): Rr[] {
  const z = plan.zones.find((x) => x.origin === origin);
  assert.ok(z !== undefined, `zone ${origin} is built`);
  return [...z.data.records];
}

function rrset(origin: string, name: string, type: number): Rr[] {
  const n = Name.parse(name);
  return zone(origin).filter((r) => r.type === type && r.name.equals(n));
}

function sigOf(origin: string, name: string, type: number): Rr<RrsigRdata> | undefined {
  const n = Name.parse(name);
  return zone(origin).find(
    (r): r is Rr<RrsigRdata> => isType(r, RRType.RRSIG) && r.data.typeCovered === type && r.name.equals(n),
  );
}

test('zones: root, the TLD and every scenario zone, on their planned addresses', () => {
  const origins = plan.zones.map((z) => z.origin);
  assert.deepEqual(origins.slice(0, 2), ['.', 'test.']);
  assert.equal(plan.zones[0]?.address, '127.90.0.1');
  assert.equal(plan.zones[1]?.address, '127.90.0.2');
  assert.ok(plan.zones.slice(2).every((z) => /^127\.90\.10\.\d+$/.test(z.address)));
  assert.equal(plan.allZonesAddress, '127.90.0.53');
  assert.ok(plan.hosts.every((h) => /^127\.90\.20\.\d+$/.test(h.address)));
  assert.match(plan.rootHints.map((r) => r.name.toString()).join(' '), /a\.root-servers\.lab\./);
});

test('delegations carry the DS the scenario asks for', () => {
  const cases: { child: string; want: 'match' | 'mismatch' | 'none' }[] = [
    { child: 'test.', want: 'match' },
    { child: 'ee-311.test.', want: 'match' },
    { child: 'ds-mismatch.test.', want: 'mismatch' },
    { child: 'unsigned.test.', want: 'none' },
    { child: 'hosting.mx-host-unsigned.test.', want: 'none' },
  ];
  for (const c of cases) {
    const parent = Name.parse(c.child).parent()?.toString() ?? '.';
    const ds = rrset(parent, c.child, RRType.DS);
    const keys = rrset(c.child, c.child, RRType.DNSKEY);
    const matches = ds.some((d) =>
      keys.some(
        (k) =>
          isType(d, RRType.DS) && isType(k, RRType.DNSKEY) && dsMatchesKey(d.data, k.name, k.data) === true,
      ),
    );
    const got = ds.length === 0 ? 'none' : matches ? 'match' : 'mismatch';
    assert.equal(got, c.want, c.child);
    assert.equal(rrset(parent, c.child, RRType.NS).length, 1, `${c.child} is delegated`);
  }
  const rootDs = plan.rootDs[0];
  assert.ok(rootDs !== undefined && rootDs.name.isRoot);
});

test('unsigned zones carry no DNSSEC records, signed ones do', () => {
  const dnssec = (rs: Rr[]) =>
    rs.filter((r) => [RRType.RRSIG, RRType.DNSKEY, RRType.NSEC, RRType.NSEC3].includes(r.type as never));
  assert.deepEqual(dnssec(zone('unsigned.test.')), []);
  assert.deepEqual(dnssec(zone('hosting.mx-host-unsigned.test.')), []);
  assert.ok(dnssec(zone('ee-311.test.')).length > 0);
  assert.ok(
    zone('mx-host-unsigned.test.').some((r) => isType(r, RRType.NSEC3) && (r.data.flags & 1) === 1),
    'opt-out',
  );
  assert.ok(zone('ta-201.test.').some((r) => isType(r, RRType.DNSKEY) && r.data.algorithm === 8));
});

test('TLSA records follow the SMTP port and hold the digest of the right key or certificate', () => {
  const leaf = (host: string) => {
    const h = prepared.hosts.find((x) => x.spec.name === host);
    assert.ok(h?.certs !== undefined);
    return h.certs;
  };
  const ee = rrset('ee-311.test.', `_${PORT}._tcp.mx.ee-311.test.`, RRType.TLSA)[0];
  assert.ok(ee !== undefined && isType(ee, RRType.TLSA));
  const spkiHash = createHash('sha256').update(leaf('mx.ee-311.test').leaf.key.spkiDer).digest('hex');
  assert.equal(toHex(ee.data.data), spkiHash);
  assert.deepEqual([ee.data.usage, ee.data.selector, ee.data.matchingType], [3, 1, 1]);
  const ta = rrset('ta-201.test.', `_${PORT}._tcp.mx.ta-201.test.`, RRType.TLSA)[0];
  assert.ok(ta !== undefined && isType(ta, RRType.TLSA));
  assert.equal(toHex(ta.data.data), createHash('sha256').update(prepared.pki.root.der).digest('hex'));
  const stale = rrset('botched-renewal.test.', `_${PORT}._tcp.mx.botched-renewal.test.`, RRType.TLSA)[0];
  const certs = leaf('mx.botched-renewal.test');
  assert.ok(stale !== undefined && isType(stale, RRType.TLSA) && certs.retired !== undefined);
  assert.equal(toHex(stale.data.data), createHash('sha256').update(certs.retired.key.spkiDer).digest('hex'));
  assert.notEqual(toHex(stale.data.data), createHash('sha256').update(certs.leaf.key.spkiDer).digest('hex'));
  // The alias scenario publishes at the alias, not at the target.
  assert.equal(rrset('cname-alias.test.', `_${PORT}._tcp.mx.cname-alias.test.`, RRType.TLSA).length, 1);
  assert.equal(rrset('provider-b.test.', `_${PORT}._tcp.smtp.provider-b.test.`, RRType.TLSA).length, 0);
});

test('MX shapes: CNAME alias, null MX, implicit MX (address at the apex)', () => {
  const cname = rrset('cname-alias.test.', 'mx.cname-alias.test.', RRType.CNAME)[0];
  assert.ok(cname !== undefined && isType(cname, RRType.CNAME));
  assert.equal(cname.data.target.toString(), 'smtp.provider-b.test.');
  const nullMx = rrset('null-mx.test.', 'null-mx.test.', RRType.MX)[0];
  assert.ok(nullMx !== undefined && isType(nullMx, RRType.MX) && nullMx.data.exchange.isRoot);
  assert.equal(rrset('no-mx.test.', 'no-mx.test.', RRType.MX).length, 0);
  assert.equal(rrset('no-mx.test.', 'no-mx.test.', RRType.A).length, 1);
});

test('broken signatures are broken as the scenario says', () => {
  const now = Math.floor(NOW / 1000);
  const mx = sigOf('bogus-mx.test.', 'bogus-mx.test.', RRType.MX);
  assert.ok(mx !== undefined && mx.data.expiration < now, 'the MX RRSIG expired');
  const good = sigOf('ee-311.test.', 'ee-311.test.', RRType.MX);
  assert.ok(good !== undefined && good.data.inception < now && good.data.expiration > now);
  const tlsa = sigOf('bogus-tlsa.test.', `_${PORT}._tcp.mx.bogus-tlsa.test.`, RRType.TLSA);
  assert.ok(
    tlsa !== undefined && tlsa.data.expiration > now,
    'the TLSA RRSIG is in its window (but corrupt)',
  );
});

test('receivers: STARTTLS only with a certificate, chains as specified', () => {
  const host = (n: string) => plan.hosts.find((h) => h.name === n);
  assert.equal(host('mx.ee-311.test')?.offerStartTls, true);
  const ta = host('mx.ta-201.test');
  const chain = ta?.tls?.certChainPem.match(/BEGIN CERTIFICATE/g) ?? [];
  assert.equal(chain.length, 2, 'DANE-TA server sends leaf and root');
  const ee = host('mx.ee-311.test');
  assert.equal(ee?.tls?.certChainPem.match(/BEGIN CERTIFICATE/g)?.length, 1);
});

test('certificates and association data (RFC 6698 §2.1)', () => {
  const pki = createLabPki(NOW);
  const expired = hostCerts(pki, { name: 'mx.x.test', cert: { issuer: 'intermediate', expired: true } });
  assert.ok(expired !== undefined);
  assert.equal(hostCerts(pki, { name: 'mx.x.test' }), undefined);
  const x = new X509Certificate(expired.leaf.pem);
  assert.ok(Date.parse(x.validTo) < NOW);
  assert.ok(x.checkIssued(new X509Certificate(pki.intermediate.pem)));
  assert.equal(expired.retired, undefined, 'no retired leaf unless a TLSA record needs it');
  const self = hostCerts(pki, {
    name: 'mx.x.test',
    cert: { issuer: 'self', names: ['a.example', 'b.example'] },
  });
  assert.ok(self !== undefined);
  assert.equal(self.leaf.issuer, undefined);
  assert.deepEqual(self.leaf.dnsNames, ['a.example', 'b.example']);
  const lens = [
    { selector: 0, mtype: 0, want: expired.leaf.der.length },
    { selector: 1, mtype: 0, want: expired.leaf.key.spkiDer.length },
    { selector: 1, mtype: 1, want: 32 },
    { selector: 0, mtype: 2, want: 64 },
  ] as const;
  for (const c of lens) {
    const data = associationData(expired.leaf, {
      usage: 3,
      selector: c.selector,
      mtype: c.mtype,
      of: 'leaf',
    });
    assert.equal(data.length, c.want);
  }
  const right = associationData(expired.leaf, { usage: 3, selector: 1, mtype: 1, of: 'leaf' });
  const wrong = associationData(expired.leaf, { usage: 3, selector: 1, mtype: 1, of: 'leaf', corrupt: true });
  assert.equal(
    right.reduce((n, b, i) => n + (b === wrong[i] ? 0 : 1), 0),
    1,
    'one octet differs',
  );
});

test('an inconsistent catalogue is refused with a typed error', () => {
  const bad = { ...(scenarioById('ee-311') as Scenario), mx: [{ preference: 1, host: 'nowhere.test' }] };
  assert.throws(
    () => prepareHosts([bad], { prefix: '127.90', now: NOW }),
    (e: unknown) =>
      e instanceof LabScenarioError && e.code === 'LAB_ERR_SCENARIO' && /nowhere\.test/.test(e.message),
  );
});

test('a TLSA port other than the SMTP port and NSEC3 iterations above 0 are published as asked', () => {
  const odd: Scenario = {
    id: 'odd-shapes',
    title: 'TLSA at port 25 while SMTP listens elsewhere; NSEC3 with 5 iterations',
    domain: 'odd-shapes.test',
    zones: [{ origin: 'odd-shapes.test.', signing: { algorithm: 13, denial: 'nsec3', iterations: 5 } }],
    mx: [{ preference: 10, host: 'mx.odd-shapes.test' }],
    hosts: [
      {
        name: 'mx.odd-shapes.test',
        cert: { issuer: 'ca' },
        tlsaPort: 25,
        tlsa: [{ usage: 3, selector: 1, mtype: 1, of: 'leaf' }],
      },
    ],
    expect: { outcome: 'delivered', tls: 'encrypted', landsOn: 'mx.odd-shapes.test', log: [] },
  };
  const prep = prepareHosts([odd], { prefix: '127.90', now: NOW });
  const built = buildInternet([odd], prep, { smtpPort: PORT, prefix: '127.90', now: NOW });
  const records = built.zones.find((z) => z.origin === 'odd-shapes.test.')?.data.records ?? [];
  const at = (name: string, type: number): Rr[] =>
    records.filter((r) => r.type === type && r.name.equals(Name.parse(name)));
  assert.equal(at('_25._tcp.mx.odd-shapes.test.', RRType.TLSA).length, 1);
  assert.equal(at(`_${PORT}._tcp.mx.odd-shapes.test.`, RRType.TLSA).length, 0);
  const param = at('odd-shapes.test.', RRType.NSEC3PARAM)[0];
  assert.ok(param !== undefined && isType(param, RRType.NSEC3PARAM));
  assert.equal(param.data.iterations, 5);
  assert.ok(records.some((r) => isType(r, RRType.NSEC3) && r.data.iterations === 5));
});

test('a TLSA port or NSEC3 iteration count out of range is refused', () => {
  const bad: Scenario = {
    id: 'bad-shapes',
    title: 'out of range',
    domain: 'bad-shapes.test',
    zones: [{ origin: 'bad-shapes.test.', signing: { algorithm: 13, denial: 'nsec3', iterations: -1 } }],
    mx: [{ preference: 10, host: 'mx.bad-shapes.test' }],
    hosts: [{ name: 'mx.bad-shapes.test', cert: { issuer: 'ca' }, tlsaPort: 0 }],
    expect: { outcome: 'delivered', tls: 'encrypted', landsOn: 'mx.bad-shapes.test', log: [] },
  };
  assert.throws(
    () => prepareHosts([bad], { prefix: '127.90', now: NOW }),
    (e: unknown) =>
      e instanceof LabScenarioError &&
      /TLSA port 0|NSEC3 iterations -1/.test(e.message) &&
      (e.details['problems'] as string[]).length === 2,
  );
});
