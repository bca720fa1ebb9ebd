/**
 * Changing a zone as an operator does: replacing one RRset bumps the SOA serial (wrapping at
 * 2^32, RFC 1982), a signed zone comes back re-signed with its own keys (every signature
 * verifies, the DS is unchanged, the denial chain covers the new names), an unsigned one stays
 * unsigned, and records outside the zone or of another RRset are refused. The input is never
 * modified.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyRrset } from '../../dns/dnssec/index.ts';
import { isType, Name, parseRr, parseZone, RRType, type DnskeyRdata, type Rr } from '../../dns/wire/index.ts';
import { NOW, signFixture } from '../../../test/lab/dns-fixtures.ts';
import { bumpSerial, isSignedZone, replaceRrset } from './zone-edit.ts';
import type { SignedZone, ZoneData } from './signer.ts';

const ORIGIN = Name.parse('example.');
const OWNER = Name.parse('_25._tcp.mx.example.');

function tlsa(hex: string): Rr {
  return parseRr(`_25._tcp.mx.example. 300 IN TLSA 3 1 1 ${hex.repeat(32)}`);
}

function serialOf(zone: ZoneData): number | undefined {
  const soa = zone.records.find((r) => isType(r, RRType.SOA));
  return soa !== undefined && isType(soa, RRType.SOA) ? soa.data.serial : undefined;
}

function everySignatureVerifies(zone: SignedZone): string[] {
  const keys = zone.records.filter((r): r is Rr<DnskeyRdata> => isType(r, RRType.DNSKEY));
  const bad: string[] = [];
  for (const sig of zone.records.filter((r) => isType(r, RRType.RRSIG))) {
    if (!isType(sig, RRType.RRSIG)) continue;
    const rrset = zone.records.filter((r) => r.type === sig.data.typeCovered && r.name.equals(sig.name));
    const v = verifyRrset(rrset, sig, keys, { now: NOW });
    if (!v.ok) bad.push(`${sig.name.toString()}/${sig.data.typeCovered}: ${v.reason}`);
  }
  return bad;
}

test('a signed zone is re-signed with its own keys around the new RRset, serial + 1', () => {
  for (const denial of ['nsec', 'nsec3'] as const) {
    const zone = signFixture('example.', { algorithm: 13, denial, extraRecords: [tlsa('aa')] });
    const before = zone.records.length;
    const { zone: next, serial } = replaceRrset(zone, {
      name: OWNER,
      type: RRType.TLSA,
      records: [tlsa('bb')],
    });
    assert.equal(serial, (serialOf(zone) ?? 0) + 1, denial);
    assert.equal(serialOf(next), serial);
    const served = next.records.filter((r) => r.type === RRType.TLSA && r.name.equals(OWNER));
    assert.deepEqual(
      served.map((r) => r.rdata),
      [tlsa('bb').rdata],
      `${denial}: only the new record`,
    );
    assert.deepEqual(everySignatureVerifies(next), [], denial);
    assert.deepEqual(next.ds, zone.ds, `${denial}: same keys, same DS`);
    assert.equal(zone.records.length, before, 'the input is not modified');
    assert.ok(isSignedZone(next));
  }
});

test('an empty replacement removes the RRset, and the chain no longer names it', () => {
  const zone = signFixture('example.', { algorithm: 13, denial: 'nsec', extraRecords: [tlsa('aa')] });
  const { zone: next } = replaceRrset(zone, { name: OWNER, type: RRType.TLSA, records: [] });
  assert.equal(next.records.filter((r) => r.name.equals(OWNER)).length, 0);
  assert.deepEqual(everySignatureVerifies(next), []);
});

test('an unsigned zone stays unsigned; records outside the zone or of another RRset are refused', () => {
  const plain: ZoneData = {
    origin: ORIGIN,
    records: parseZone('@ 300 IN SOA ns hostmaster 41 1 1 1 300\n@ 300 IN NS ns\nns 300 IN A 192.0.2.1\n', {
      origin: ORIGIN,
    }),
  };
  const { zone, serial } = replaceRrset(plain, { name: OWNER, type: RRType.TLSA, records: [tlsa('cc')] });
  assert.equal(serial, 42);
  assert.equal(isSignedZone(zone), false);
  assert.equal(
    zone.records.some((r) => r.type === RRType.RRSIG),
    false,
  );
  const outside = Name.parse('_25._tcp.mx.example.net.');
  assert.throws(() => replaceRrset(plain, { name: outside, type: RRType.TLSA, records: [] }), {
    code: 'LAB_ERR_DNS_ARGUMENT',
  });
  assert.throws(() => replaceRrset(plain, { name: OWNER, type: RRType.A, records: [tlsa('cc')] }), {
    code: 'LAB_ERR_DNS_ARGUMENT',
  });
});

test('the serial wraps at 2^32 (RFC 1982), and a zone without SOA is refused', () => {
  const soa = parseZone('@ 300 IN SOA ns hostmaster 4294967295 1 1 1 300\n', { origin: ORIGIN });
  assert.equal(bumpSerial(soa, ORIGIN).serial, 0);
  assert.throws(() => bumpSerial([], ORIGIN), { code: 'LAB_ERR_DNS_ARGUMENT' });
});
