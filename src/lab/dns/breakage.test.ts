/**
 * Tests of the zone breakage helpers: each produces a copy whose chosen RRset (or DS, or denial
 * record) a validator must reject for the intended reason, leaves everything else valid, and
 * never modifies the zone it was given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dsMatchesKey,
  Ede,
  proveNoDsNsec,
  proveNxdomainNsec,
  proveNxdomainNsec3,
  verifyRrset,
  verifyRrsetAny,
} from '../../dns/dnssec/index.ts';
import {
  isType,
  Name,
  RRType,
  type DnskeyRdata,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
  type RrsigRdata,
} from '../../dns/wire/index.ts';
import {
  bogusDs,
  breakRrset,
  dropNsec,
  editZone,
  replaceDs,
  stripSignatures,
  uncoverName,
  type RrsetBreakage,
} from './breakage.ts';
import { NOW, signFixture } from '../../../test/lab/dns-fixtures.ts';
import type { SignedZone } from './signer.ts';

const ORIGIN = Name.parse('example.');
const TLSA_OWNER = Name.parse('_25._tcp.mx1.example.');

function keysOf(zone: SignedZone): Rr<DnskeyRdata>[] {
  return zone.records.filter((r): r is Rr<DnskeyRdata> => isType(r, RRType.DNSKEY));
}

function check(zone: SignedZone, name: Name, type: number): ReturnType<typeof verifyRrsetAny> {
  const rrset = zone.records.filter((r) => r.type === type && r.name.equals(name));
  const sigs = zone.records.filter(
    (r): r is Rr<RrsigRdata> => isType(r, RRType.RRSIG) && r.data.typeCovered === type && r.name.equals(name),
  );
  return verifyRrsetAny(rrset, sigs, keysOf(zone), { now: NOW });
}

function nsecs(zone: SignedZone): Rr<NsecRdata>[] {
  return zone.records.filter((r): r is Rr<NsecRdata> => isType(r, RRType.NSEC));
}

function nsec3s(zone: SignedZone): Rr<Nsec3Rdata>[] {
  return zone.records.filter((r): r is Rr<Nsec3Rdata> => isType(r, RRType.NSEC3));
}

/** Every RRSIG of the zone verifies, except those over (name, type). */
function othersStillValid(zone: SignedZone, except: { name: Name; type: number }): void {
  for (const sig of zone.records.filter((r): r is Rr<RrsigRdata> => isType(r, RRType.RRSIG))) {
    if (sig.name.equals(except.name) && sig.data.typeCovered === except.type) continue;
    const rrset = zone.records.filter((r) => r.type === sig.data.typeCovered && r.name.equals(sig.name));
    assert.ok(verifyRrset(rrset, sig, keysOf(zone), { now: NOW }).ok, `${sig.name.toString()} still valid`);
  }
}

test('breakRrset makes exactly the chosen RRset fail validation, for the intended reason', () => {
  const zone = signFixture('example.', { algorithm: 13, denial: 'nsec' });
  const before = zone.records.length;
  const cases: { how: RrsetBreakage; name: Name; type: number; want: { ede: number; sigs: number } }[] = [
    { how: 'expired', name: TLSA_OWNER, type: RRType.TLSA, want: { ede: Ede.SIGNATURE_EXPIRED, sigs: 1 } },
    {
      how: 'not-yet-valid',
      name: TLSA_OWNER,
      type: RRType.TLSA,
      want: { ede: Ede.SIGNATURE_NOT_YET_VALID, sigs: 1 },
    },
    { how: 'bad-signature', name: ORIGIN, type: RRType.MX, want: { ede: Ede.DNSSEC_BOGUS, sigs: 1 } },
    { how: 'unsigned', name: ORIGIN, type: RRType.MX, want: { ede: Ede.RRSIGS_MISSING, sigs: 0 } },
    { how: 'bad-signature', name: ORIGIN, type: RRType.DNSKEY, want: { ede: Ede.DNSSEC_BOGUS, sigs: 1 } },
    {
      how: 'expired',
      name: Name.parse('sec.example.'),
      type: RRType.DS,
      want: { ede: Ede.SIGNATURE_EXPIRED, sigs: 1 },
    },
  ];
  for (const c of cases) {
    const label = `${c.how} ${c.name.toString()} ${c.type}`;
    assert.ok(check(zone, c.name, c.type).ok, `${label}: valid before`);
    const broken = breakRrset(zone, c.name, c.type, c.how);
    const v = check(broken, c.name, c.type);
    assert.ok(!v.ok, label);
    assert.equal(v.ede, c.want.ede, `${label}: ${v.reason}`);
    const sigCount = broken.records.filter(
      (r) => isType(r, RRType.RRSIG) && r.data.typeCovered === c.type && r.name.equals(c.name),
    ).length;
    assert.equal(sigCount, c.want.sigs, label);
    othersStillValid(broken, { name: c.name, type: c.type });
    assert.ok(check(zone, c.name, c.type).ok, `${label}: the original zone is untouched`);
    assert.equal(zone.records.length, before);
  }
});

test('breakage helpers accept names relative to the origin and refuse RRsets that do not exist', () => {
  const zone = signFixture('example.', { algorithm: 15, denial: 'nsec' });
  const broken = stripSignatures(zone, '_25._tcp.mx1', RRType.TLSA);
  assert.equal(check(broken, TLSA_OWNER, RRType.TLSA).ok, false);
  assert.throws(() => stripSignatures(zone, 'nope', RRType.A), { code: 'LAB_ERR_DNS_ARGUMENT' });
  assert.throws(() => breakRrset(zone, 'www', RRType.TLSA, 'expired'), {
    code: 'LAB_ERR_DNS_ARGUMENT',
  });
  assert.throws(() => replaceDs(zone, 'www', []), { code: 'LAB_ERR_DNS_ARGUMENT' });
  assert.throws(() => uncoverName(zone, 'www'), { code: 'LAB_ERR_DNS_ARGUMENT' });
});

test('replaceDs with bogusDs: the DS is validly signed but matches no DNSKEY of the child', () => {
  const parent = signFixture('example.', { algorithm: 13, denial: 'nsec' });
  const child = signFixture('sec.example.', { algorithm: 15, denial: 'nsec3' });
  const real = replaceDs(parent, 'sec', child.ds);
  const dsOf = (z: SignedZone): Rr[] => z.records.filter((r) => r.type === RRType.DS);
  assert.equal(dsMatchesKey(dsOf(real)[0]?.data as never, child.origin, child.keys.ksk.dnskey), true);
  const broken = replaceDs(real, 'sec', child.ds.map(bogusDs));
  const ds = dsOf(broken);
  assert.equal(ds.length, 1);
  assert.equal((ds[0]?.data as { keyTag: number }).keyTag, child.keys.ksk.keyTag);
  assert.equal(dsMatchesKey(ds[0]?.data as never, child.origin, child.keys.ksk.dnskey), false);
  assert.ok(check(broken, child.origin, RRType.DS).ok, 'the parent signed the bogus DS');
  othersStillValid(broken, { name: ORIGIN, type: 0 });
});

test('replaceDs with no DS turns the delegation insecure, with a consistent NSEC chain', () => {
  const parent = signFixture('example.', { algorithm: 13, denial: 'nsec' });
  const insecure = replaceDs(parent, 'sec', []);
  const cut = Name.parse('sec.example.');
  assert.equal(insecure.records.filter((r) => r.type === RRType.DS).length, 0);
  const proof = proveNoDsNsec(cut, nsecs(insecure), ORIGIN);
  assert.equal(proof.status, 'secure', proof.reason);
  assert.equal(proof.zoneCut, true);
  othersStillValid(insecure, { name: ORIGIN, type: 0 });
  const added = editZone(parent, (rrs) => rrs.filter((r) => !r.name.equals(Name.parse('www.example.'))));
  assert.equal(
    added.records.some((r) => r.name.equals(Name.parse('www.example.'))),
    false,
  );
});

test('dropNsec removes the record a denial proof needs (NSEC and NSEC3)', () => {
  const qname = Name.parse('nope.example.');
  const nsecZone = signFixture('example.', { algorithm: 13, denial: 'nsec' });
  assert.equal(proveNxdomainNsec(qname, nsecs(nsecZone), ORIGIN).status, 'secure');
  const noNsec = dropNsec(nsecZone, qname);
  assert.equal(nsecs(noNsec).length, nsecs(nsecZone).length - 1);
  assert.equal(proveNxdomainNsec(qname, nsecs(noNsec), ORIGIN).status, 'bogus');
  const n3 = signFixture('example.', { algorithm: 13, denial: 'nsec3' });
  assert.equal(proveNxdomainNsec3(qname, nsec3s(n3), ORIGIN).status, 'secure');
  const noNsec3 = dropNsec(n3, qname);
  assert.equal(nsec3s(noNsec3).length, nsec3s(n3).length - 1);
  assert.equal(proveNxdomainNsec3(qname, nsec3s(noNsec3), ORIGIN).status, 'bogus');
});

test('uncoverName shrinks the covering record, validly re-signed, so the proof fails', () => {
  const qname = Name.parse('nope.example.');
  for (const denial of ['nsec', 'nsec3'] as const) {
    const zone = signFixture('example.', { algorithm: 15, denial });
    const broken = uncoverName(zone, 'nope');
    const proof =
      denial === 'nsec'
        ? proveNxdomainNsec(qname, nsecs(broken), ORIGIN)
        : proveNxdomainNsec3(qname, nsec3s(broken), ORIGIN);
    assert.equal(proof.status, 'bogus', `${denial}: ${proof.reason}`);
    const changed = (denial === 'nsec' ? nsecs(broken) : nsec3s(broken)) as Rr[];
    for (const rr of changed) assert.ok(check(broken, rr.name, rr.type).ok, `${rr.name.toString()} signed`);
  }
});
