/**
 * Wildcard-expanded NSEC / NSEC3 records are no denial proof (RFC 4035 §5.3.4, RFC 4034 §3.1.3;
 * CVE-2017-15105): the Labels field of the RRSIG that covered them tells.
 */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { Name, parseZone, RRType, type Nsec3Rdata, type NsecRdata, type Rr } from '../wire/index.ts';
import { nsec3Chain, rrsigOver, type ZoneSpec } from './denial-fixtures.ts';
import { isWildcardExpansion, usableDenialRecords } from './denial-input.ts';
import { proveNodataNsec, proveNxdomainNsec, proveWildcardAnswerNsec } from './denial-nsec.ts';
import { proveNodataNsec3 } from './denial-nsec3.ts';
import { nsec3Matches } from './nsec3.ts';

const n = (s: string): Name => Name.parse(s);
const ZONE = n('example.');

test('isWildcardExpansion: Labels below the owner count (a leading * not counted)', () => {
  const cases: { owner: string; labels: number; want: boolean }[] = [
    { owner: 'a.example.', labels: 2, want: false },
    { owner: 'a.example.', labels: 1, want: true },
    { owner: 'x.y.example.', labels: 1, want: true },
    { owner: '*.example.', labels: 1, want: false },
    { owner: '*.example.', labels: 0, want: true },
    { owner: 'example.', labels: 1, want: false },
    { owner: '.', labels: 0, want: false },
    { owner: 'a.example.', labels: 3, want: false },
  ];
  for (const c of cases)
    assert.equal(isWildcardExpansion(n(c.owner), c.labels), c.want, `${c.owner} labels ${c.labels}`);
});

/*
 * The zone has *.example. (TXT) and mail.example. (MX). The signed NSEC of the wildcard,
 * "*.example. NSEC a.example. TXT", expanded by an attacker to another owner still verifies
 * (its RRSIG says Labels 1): as "mail.example. NSEC …" it would deny mail.example's MX, and as
 * "!.example. NSEC a.example." (! sorts before *) it would deny the wildcard itself.
 */
const NSECS = parseZone(`
mail.example. 300 IN NSEC a.example. TXT RRSIG NSEC
!.example.    300 IN NSEC a.example. TXT RRSIG NSEC
a.example.    300 IN NSEC mail.example. A RRSIG NSEC
`) as Rr<NsecRdata>[];

function nsec(owner: string): Rr<NsecRdata> {
  const rr = NSECS.find((r) => r.name.equals(n(owner)));
  assert.ok(rr !== undefined, owner);
  return rr;
}

test('NSEC proofs ignore records whose RRSIG shows a wildcard expansion', () => {
  const expanded = (owner: string) => rrsigOver(nsec(owner), { signer: 'example.', labels: 1 });
  const plain = (owner: string) => rrsigOver(nsec(owner), { signer: 'example.' });
  const cases: {
    name: string;
    prove: (rrsigs: ReturnType<typeof plain>[]) => { status: string; reason: string };
    rrsigs: ReturnType<typeof plain>[];
    want: string;
  }[] = [
    {
      name: 'NODATA from an expanded NSEC',
      prove: (rrsigs) =>
        proveNodataNsec(n('mail.example.'), RRType.MX, [nsec('mail.example.')], ZONE, { rrsigs }),
      rrsigs: [expanded('mail.example.')],
      want: 'bogus',
    },
    {
      name: 'NODATA from a plain NSEC',
      prove: (rrsigs) =>
        proveNodataNsec(n('mail.example.'), RRType.MX, [nsec('mail.example.')], ZONE, { rrsigs }),
      rrsigs: [plain('mail.example.')],
      want: 'secure',
    },
    {
      name: 'one expanded RRSIG among plain ones is enough to drop the record',
      prove: (rrsigs) =>
        proveNodataNsec(n('mail.example.'), RRType.MX, [nsec('mail.example.')], ZONE, { rrsigs }),
      rrsigs: [plain('mail.example.'), expanded('mail.example.')],
      want: 'bogus',
    },
    {
      name: 'NXDOMAIN whose wildcard denial is an expanded NSEC',
      prove: (rrsigs) =>
        proveNxdomainNsec(n('b.example.'), [nsec('a.example.'), nsec('!.example.')], ZONE, { rrsigs }),
      rrsigs: [plain('a.example.'), expanded('!.example.')],
      want: 'bogus',
    },
    {
      name: 'the same NXDOMAIN with plain RRSIGs',
      prove: (rrsigs) =>
        proveNxdomainNsec(n('b.example.'), [nsec('a.example.'), nsec('!.example.')], ZONE, { rrsigs }),
      rrsigs: [plain('a.example.'), plain('!.example.')],
      want: 'secure',
    },
    {
      name: 'wildcard answer whose next-closer denial is expanded',
      prove: (rrsigs) =>
        proveWildcardAnswerNsec(n('b.example.'), n('*.example.'), [nsec('a.example.')], ZONE, { rrsigs }),
      rrsigs: [rrsigOver(nsec('a.example.'), { signer: 'example.', labels: 1 })],
      want: 'bogus',
    },
  ];
  for (const c of cases) {
    const p = c.prove(c.rrsigs);
    assert.equal(p.status, c.want, `${c.name}: ${p.reason}`);
  }
});

test('NSEC3 proofs ignore records whose RRSIG shows a wildcard expansion', () => {
  const spec: ZoneSpec = { apex: 'example.', names: { 'example.': 'SOA NS', 'a.example.': 'A' } };
  const chain = nsec3Chain(spec, { salt: '-', iterations: 0 });
  const match = chain.find((rr) => nsec3Matches(rr, n('a.example.'))) as Rr<Nsec3Rdata>;
  const cases: { labels: number; want: string }[] = [
    { labels: 2, want: 'secure' },
    { labels: 1, want: 'bogus' },
  ];
  for (const c of cases) {
    const rrsigs = [rrsigOver(match, { signer: 'example.', labels: c.labels })];
    const p = proveNodataNsec3(n('a.example.'), RRType.MX, [match], ZONE, { rrsigs });
    assert.equal(p.status, c.want, `labels ${c.labels}: ${p.reason}`);
  }
});

test('usableDenialRecords: RRSIGs of other owners or types do not count; zone filter', () => {
  const a = nsec('a.example.');
  const mail = nsec('mail.example.');
  const otherType = { ...rrsigOver(a, { signer: 'example.', labels: 1 }) };
  const cases: { name: string; got: Rr<NsecRdata>[]; want: string[] }[] = [
    {
      name: 'an expanded RRSIG over another owner',
      got: usableDenialRecords([a, mail], { rrsigs: [rrsigOver(mail, { signer: 'example.', labels: 1 })] }),
      want: ['a.example.'],
    },
    {
      name: 'an expanded RRSIG covering another type',
      got: usableDenialRecords([a], {
        rrsigs: [{ ...otherType, data: { ...otherType.data, typeCovered: RRType.A } }],
      }),
      want: ['a.example.'],
    },
    {
      name: 'no RRSIGs given',
      got: usableDenialRecords([a, mail], {}),
      want: ['a.example.', 'mail.example.'],
    },
    { name: 'outside the zone', got: usableDenialRecords([a], { zone: n('org.') }), want: [] },
  ];
  for (const c of cases)
    assert.deepEqual(
      c.got.map((r) => r.name.toString()),
      c.want,
      c.name,
    );
});
