/**
 * One zone, both denial families: the NSEC proofs (RFC 4035 §5.4) and the NSEC3 proofs (RFC
 * 5155 §8) must reach the same verdict for every question, in particular at and below a
 * delegation without DS, which is an insecure delegation (RFC 4035 §5.2, RFC 6840 §4.4), and
 * below a delegation with DS, where the answer should have been a referral (bogus).
 */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { Name, RRType } from '../wire/index.ts';
import { nsec3Chain, nsecChain, type ZoneSpec } from './denial-fixtures.ts';
import { proveNoDsNsec, proveNodataNsec, proveNxdomainNsec } from './denial-nsec.ts';
import { proveNoDsNsec3, proveNodataNsec3, proveNxdomainNsec3 } from './denial-nsec3.ts';
import type { DenialProof } from './proof.ts';

/*
 * c.example is an empty non-terminal, dsub.example a secure and sub.example an insecure
 * delegation, *.w.example a wildcard and z.example a CNAME.
 */
const SPEC: ZoneSpec = {
  apex: 'example.',
  names: {
    'example.': 'SOA NS DNSKEY',
    'a.example.': 'A',
    'b.c.example.': 'TXT',
    'dsub.example.': 'NS DS',
    'sub.example.': 'NS',
    '*.w.example.': 'TXT',
    'x.w.example.': 'MX',
    'z.example.': 'CNAME',
  },
};

const ZONE = Name.parse(SPEC.apex);
const NSEC = nsecChain(SPEC);
const NSEC3 = nsec3Chain(SPEC, { salt: 'aabbccdd', iterations: 1 });

type Kind = 'nodata' | 'nxdomain' | 'nods';

function viaNsec(kind: Kind, qname: Name, qtype: number): DenialProof {
  if (kind === 'nxdomain') return proveNxdomainNsec(qname, NSEC, ZONE);
  if (kind === 'nods') return proveNoDsNsec(qname, NSEC, ZONE);
  return proveNodataNsec(qname, qtype, NSEC, ZONE);
}

function viaNsec3(kind: Kind, qname: Name, qtype: number): DenialProof {
  if (kind === 'nxdomain') return proveNxdomainNsec3(qname, NSEC3, ZONE);
  if (kind === 'nods') return proveNoDsNsec3(qname, NSEC3, ZONE);
  return proveNodataNsec3(qname, qtype, NSEC3, ZONE);
}

test('NSEC and NSEC3 proofs agree on one zone (at and below delegations too)', () => {
  const cases: {
    kind: Kind;
    qname: string;
    qtype?: number;
    want: { status: DenialProof['status']; zoneCut?: boolean };
  }[] = [
    { kind: 'nodata', qname: 'a.example.', qtype: RRType.MX, want: { status: 'secure' } },
    { kind: 'nodata', qname: 'a.example.', qtype: RRType.A, want: { status: 'bogus' } },
    { kind: 'nodata', qname: 'z.example.', qtype: RRType.A, want: { status: 'bogus' } },
    { kind: 'nodata', qname: 'c.example.', qtype: RRType.A, want: { status: 'secure' } },
    { kind: 'nodata', qname: 'y.w.example.', qtype: RRType.A, want: { status: 'secure' } },
    { kind: 'nodata', qname: 'y.w.example.', qtype: RRType.TXT, want: { status: 'bogus' } },
    { kind: 'nodata', qname: 'example.', qtype: RRType.DS, want: { status: 'bogus' } },
    // An insecure delegation: whatever lies at or below it is unsigned.
    { kind: 'nodata', qname: 'sub.example.', qtype: RRType.A, want: { status: 'insecure' } },
    { kind: 'nodata', qname: 'www.sub.example.', qtype: RRType.A, want: { status: 'insecure' } },
    { kind: 'nxdomain', qname: 'www.sub.example.', want: { status: 'insecure' } },
    { kind: 'nxdomain', qname: 'a.b.sub.example.', want: { status: 'insecure' } },
    { kind: 'nodata', qname: 'sub.example.', qtype: RRType.DS, want: { status: 'secure' } },
    { kind: 'nodata', qname: 'x.sub.example.', qtype: RRType.DS, want: { status: 'bogus' } },
    { kind: 'nxdomain', qname: 'sub.example.', want: { status: 'bogus' } },
    // A secure delegation: the parent's NSEC/NSEC3 says nothing about the child's data.
    { kind: 'nodata', qname: 'dsub.example.', qtype: RRType.A, want: { status: 'bogus' } },
    { kind: 'nodata', qname: 'www.dsub.example.', qtype: RRType.A, want: { status: 'bogus' } },
    { kind: 'nxdomain', qname: 'www.dsub.example.', want: { status: 'bogus' } },
    { kind: 'nxdomain', qname: 'b.example.', want: { status: 'secure' } },
    { kind: 'nxdomain', qname: 'a.example.', want: { status: 'bogus' } },
    { kind: 'nxdomain', qname: 'c.example.', want: { status: 'bogus' } },
    { kind: 'nxdomain', qname: 'y.w.example.', want: { status: 'bogus' } },
    { kind: 'nods', qname: 'sub.example.', want: { status: 'secure', zoneCut: true } },
    { kind: 'nods', qname: 'a.example.', want: { status: 'secure', zoneCut: false } },
    { kind: 'nods', qname: 'c.example.', want: { status: 'secure', zoneCut: false } },
    { kind: 'nods', qname: 'b.example.', want: { status: 'secure', zoneCut: false } },
    { kind: 'nods', qname: 'dsub.example.', want: { status: 'bogus' } },
  ];
  for (const c of cases) {
    const q = Name.parse(c.qname);
    const qtype = c.qtype ?? RRType.A;
    const label = `${c.kind} ${c.qname} ${c.qtype ?? ''}`;
    for (const [family, p] of [
      ['NSEC', viaNsec(c.kind, q, qtype)],
      ['NSEC3', viaNsec3(c.kind, q, qtype)],
    ] as const) {
      assert.equal(p.status, c.want.status, `${family} ${label}: ${p.reason}`);
      if (c.want.zoneCut !== undefined) assert.equal(p.zoneCut, c.want.zoneCut, `${family} ${label}`);
    }
  }
});
