/**
 * The resolver's use of denial proofs (denial.ts): NSEC3 one parameter set at a time, an
 * insecure delegation NSEC above the name makes the answer insecure, and DS denials read as
 * "no cut", "insecure delegation" or "no such name" whatever rcode the server chose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupByNsec3Params } from '../dnssec/index.ts';
import { isType, Name, parseZone, RRType, type Nsec3Rdata, type Rr, type RrsigRdata } from '../wire/index.ts';
import { DEFAULT_LIMITS } from './budget.ts';
import { classifyDsDenial, proveNegative } from './denial.ts';
import { groupRrsets, type RRset } from './rrset.ts';

const ZONE = Name.parse('example.');

function sets(text: string): RRset[] {
  return groupRrsets(parseZone(text), []);
}

const CHAIN = sets(`example. 60 IN NSEC a.example. SOA NS RRSIG NSEC DNSKEY
a.example. 60 IN NSEC deleg.example. A RRSIG NSEC
deleg.example. 60 IN NSEC x.y.example. NS RRSIG NSEC
x.y.example. 60 IN NSEC example. A RRSIG NSEC`);

test('NSEC3 records are grouped by parameter set', () => {
  const h = (c: string): string => c.repeat(32);
  const rrs = parseZone(`${h('a')}.example. 60 IN NSEC3 1 0 0 - ${h('b')} A
${h('c')}.example. 60 IN NSEC3 1 0 5 ab ${h('d')} A
${h('e')}.example. 60 IN NSEC3 1 0 0 - ${h('f')} A`) as Rr<Nsec3Rdata>[];
  assert.deepEqual(
    groupByNsec3Params(rrs).map((g) => g.length),
    [2, 1],
  );
});

test('below a delegation without DS the answer is insecure, never a proven absence', () => {
  const p = proveNegative({
    name: Name.parse('www.deleg.example.'),
    qtype: RRType.A,
    kind: 'nodata',
    proofs: CHAIN,
    zone: ZONE,
    dc: { limits: DEFAULT_LIMITS },
  });
  assert.equal(p.status, 'insecure');
});

test('DS denials: no cut, insecure delegation, no such name (also when the rcode says otherwise)', () => {
  const want = [
    ['a.example.', 'nodata', 'nocut'],
    ['deleg.example.', 'nodata', 'insecure'],
    ['b.example.', 'nxdomain', 'nxdomain'],
    ['y.example.', 'nxdomain', 'nocut'], // an empty non-terminal answered with NXDOMAIN
    ['b.example.', 'nodata', 'nxdomain'], // a missing name answered with NOERROR
  ] as const;
  for (const [name, kind, outcome] of want) {
    assert.equal(
      classifyDsDenial(Name.parse(name), kind, CHAIN, ZONE, { limits: DEFAULT_LIMITS }).outcome,
      outcome,
      name,
    );
  }
  assert.equal(
    classifyDsDenial(Name.parse('b.example.'), 'nodata', [], ZONE, { limits: DEFAULT_LIMITS }).outcome,
    'bogus',
  );
});

/** RRsets of `text` with the RRSIGs in it attached (as the response validator hands them over). */
function signedSets(text: string): RRset[] {
  const rrs = parseZone(text);
  return groupRrsets(
    rrs,
    rrs.filter((rr): rr is Rr<RrsigRdata> => isType(rr, RRType.RRSIG)),
  );
}

const SIG = '300 20300101000000 20200101000000 1 example. AAAA';

test('proof records a wildcard expanded, or whose next name leaves the zone, prove nothing', () => {
  // "!.w.example." sorts before "*.w.example.": the wildcard's own NSEC expanded to that owner
  // would cover both q.w.example. and the wildcard (CVE-2017-15105).
  const cases: { name: string; text: string; want: string }[] = [
    {
      name: 'the wildcard NSEC expanded (RRSIG Labels 2 < 3)',
      text: `!.w.example. 60 IN NSEC x.example. TXT RRSIG NSEC
!.w.example. 60 IN RRSIG NSEC 13 2 ${SIG}`,
      want: 'bogus',
    },
    {
      name: 'the same record signed at its own name',
      text: `!.w.example. 60 IN NSEC x.example. TXT RRSIG NSEC
!.w.example. 60 IN RRSIG NSEC 13 3 ${SIG}`,
      want: 'secure',
    },
    {
      name: 'a next name outside the zone',
      text: `!.w.example. 60 IN NSEC x.other. TXT RRSIG NSEC
!.w.example. 60 IN RRSIG NSEC 13 3 ${SIG}`,
      want: 'bogus',
    },
  ];
  for (const c of cases) {
    const p = proveNegative({
      name: Name.parse('q.w.example.'),
      qtype: RRType.TXT,
      kind: 'nxdomain',
      proofs: signedSets(c.text),
      zone: ZONE,
      dc: { limits: DEFAULT_LIMITS },
    });
    assert.equal(p.status, c.want, `${c.name}: ${p.reason}`);
  }
});
