/**
 * Referral reading and response scrubbing (referral.ts): the bailiwick rule for glue, downward
 * referrals only, the parent's DS or no-DS proof kept from a referral, and out-of-zone records
 * dropped from authoritative answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FLAGS, Name, parseZone, Rcode, RRType, type Message } from '../wire/index.ts';
import { dsResponseFromReferral, parseReferral, scrubResponse } from './referral.ts';

function msg(
  sections: { answer?: string; authority?: string; additional?: string },
  rcode: number = Rcode.NOERROR,
): Message {
  const rrs = (t?: string) => (t === undefined ? [] : parseZone(t));
  return {
    id: 1,
    flags: { ...DEFAULT_FLAGS, qr: true },
    rcode,
    questions: [{ name: Name.parse('www.sub.example.'), type: RRType.A, class: 1 }],
    answers: rrs(sections.answer),
    authorities: rrs(sections.authority),
    additionals: rrs(sections.additional),
  };
}

const REFERRAL = msg({
  authority: `sub.example. 3600 IN NS ns1.sub.example.
sub.example. 3600 IN NS ns.elsewhere.
sub.example. 3600 IN DS 1 13 2 ${'aa'.repeat(32)}
sub.example. 3600 IN RRSIG DS 13 2 3600 20300101000000 20200101000000 1 example. AAAA
other.example. 3600 IN DS 2 13 2 ${'bb'.repeat(32)}`,
  additional: `ns1.sub.example. 3600 IN A 192.0.2.1
ns.elsewhere. 3600 IN A 198.51.100.66`,
});

test('a referral: zone, servers, in-bailiwick glue only, and the DS RRset with its RRSIG', () => {
  const r = parseReferral(REFERRAL, Name.parse('example.'), Name.parse('www.sub.example.'));
  assert.ok(r !== undefined);
  assert.equal(r.zone.toString(), 'sub.example.');
  assert.deepEqual(
    r.servers.map((s) => [s.name.toString(), s.addresses]),
    [
      ['ns1.sub.example.', ['192.0.2.1']],
      ['ns.elsewhere.', []], // glue for a name outside example. is not taken from example.'s server
    ],
  );
  assert.deepEqual(
    r.parentDs.map((rr) => `${rr.name.toString()} ${rr.type}`),
    ['sub.example. 43', 'sub.example. 46'],
  );
  assert.equal(r.ttl, 3600);
});

test('not referrals: answers, SOA (negative answers), upward or sideways NS, errors', () => {
  const cases: { name: string; m: Message; current: string }[] = [
    {
      name: 'answer',
      m: msg({
        answer: 'www.sub.example. 60 IN A 192.0.2.5',
        authority: 'sub.example. 60 IN NS ns1.sub.example.',
      }),
      current: 'example.',
    },
    {
      name: 'nodata',
      m: msg({ authority: 'example. 60 IN SOA ns hm 1 2 3 4 5\nexample. 60 IN NS ns.example.' }),
      current: 'example.',
    },
    { name: 'upward', m: msg({ authority: 'example. 60 IN NS ns.example.' }), current: 'sub.example.' },
    { name: 'same zone', m: msg({ authority: 'example. 60 IN NS ns.example.' }), current: 'example.' },
    { name: 'sideways', m: msg({ authority: 'other.example. 60 IN NS ns.example.' }), current: 'example.' },
    {
      name: 'servfail',
      m: msg({ authority: 'sub.example. 60 IN NS ns1.sub.example.' }, Rcode.SERVFAIL),
      current: 'example.',
    },
  ];
  for (const c of cases) {
    assert.equal(
      parseReferral(c.m, Name.parse(c.current), Name.parse('www.sub.example.')),
      undefined,
      c.name,
    );
  }
});

test('a DS answer made from a referral: the DS RRset, or the NSEC proof, marked authoritative', () => {
  const r = parseReferral(REFERRAL, Name.parse('example.'), Name.parse('www.sub.example.'));
  const ds = dsResponseFromReferral(Name.parse('sub.example.'), r?.parentDs ?? []);
  assert.equal(ds.flags.aa, true);
  assert.deepEqual(
    ds.answers.map((rr) => rr.type),
    [RRType.DS, RRType.RRSIG],
  );
  const proof = parseZone('sub.example. 60 IN NSEC z.example. NS RRSIG NSEC');
  const nodata = dsResponseFromReferral(Name.parse('sub.example.'), proof);
  assert.deepEqual([nodata.answers.length, nodata.authorities.length], [0, 1]);
});

test('scrubbing drops what a server cannot speak for, and an NXDOMAIN about an outside target', () => {
  const m = msg(
    {
      answer: 'www.sub.example. 60 IN CNAME www.other.\nwww.other. 60 IN A 203.0.113.1',
      authority: 'other. 60 IN SOA ns hm 1 2 3 4 5\nexample. 60 IN NS ns.example.',
    },
    Rcode.NXDOMAIN,
  );
  const s = scrubResponse(m, Name.parse('example.'));
  assert.deepEqual(
    s.answers.map((rr) => rr.name.toString()),
    ['www.sub.example.'],
  );
  assert.deepEqual(
    s.authorities.map((rr) => rr.name.toString()),
    ['example.'],
  );
  assert.equal(s.rcode, Rcode.NOERROR);
  const clean = msg({ answer: 'www.sub.example. 60 IN A 192.0.2.5' });
  assert.equal(scrubResponse(clean, Name.parse('example.')), clean);
});
