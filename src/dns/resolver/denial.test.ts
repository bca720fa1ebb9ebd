/**
 * The resolver's use of denial proofs (denial.ts): NSEC3 one parameter set at a time, an
 * insecure delegation NSEC above the name makes the answer insecure, and DS denials read as
 * "no cut", "insecure delegation" or "no such name" whatever rcode the server chose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Name, parseZone, RRType, type Nsec3Rdata, type Rr } from '../wire/index.ts';
import { DEFAULT_LIMITS } from './budget.ts';
import { byNsec3Params, classifyDsDenial, proveNegative } from './denial.ts';
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
    byNsec3Params(rrs).map((g) => g.length),
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
    limits: DEFAULT_LIMITS,
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
      classifyDsDenial(Name.parse(name), kind, CHAIN, ZONE, DEFAULT_LIMITS).outcome,
      outcome,
      name,
    );
  }
  assert.equal(
    classifyDsDenial(Name.parse('b.example.'), 'nodata', [], ZONE, DEFAULT_LIMITS).outcome,
    'bogus',
  );
});
