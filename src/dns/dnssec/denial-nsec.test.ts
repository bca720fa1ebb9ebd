/** NSEC denial proofs (RFC 4035 §5.4, RFC 6840 §4.1/§4.3/§4.4) on a hand-made signed-zone chain. */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { Name, parseZone, RRType, type NsecRdata, type Rr } from '../wire/index.ts';
import {
  nsecClosestEncloser,
  nsecCovers,
  proveNoDsNsec,
  proveNodataNsec,
  proveNxdomainNsec,
  proveWildcardAnswerNsec,
} from './denial-nsec.ts';
import { Ede } from './proof.ts';

/*
 * A small signed zone "example." in canonical order: c.example is an empty non-terminal (only
 * b.c.example exists), dsub.example a secure and sub.example an insecure delegation, *.w.example
 * a wildcard; the last NSEC (z.example) wraps around to the apex.
 */
const CHAIN = parseZone(`
example.       300 IN NSEC a.example. NS SOA RRSIG NSEC DNSKEY
a.example.     300 IN NSEC b.c.example. A RRSIG NSEC
b.c.example.   300 IN NSEC dsub.example. TXT RRSIG NSEC
dsub.example.  300 IN NSEC sub.example. NS DS RRSIG NSEC
sub.example.   300 IN NSEC *.w.example. NS RRSIG NSEC
*.w.example.   300 IN NSEC x.w.example. TXT RRSIG NSEC
x.w.example.   300 IN NSEC z.example. MX RRSIG NSEC
z.example.     300 IN NSEC example. CNAME RRSIG NSEC
`) as Rr<NsecRdata>[];

const ZONE = Name.parse('example.');
const n = (s: string): Name => Name.parse(s);

function at(owner: string): Rr<NsecRdata> {
  const rr = CHAIN.find((r) => r.name.equals(n(owner)));
  assert.ok(rr !== undefined, owner);
  return rr;
}

function pick(...owners: string[]): Rr<NsecRdata>[] {
  return owners.map(at);
}

test('nsecCovers: canonical order, wrap-around, empty non-terminals, delegations', () => {
  const cases: { nsec: string; name: string; want: boolean; why: string }[] = [
    { nsec: 'example.', name: '0.example.', want: true, why: 'between apex and a.example' },
    { nsec: 'example.', name: 'example.', want: false, why: 'the owner itself exists' },
    { nsec: 'a.example.', name: 'b.example.', want: true, why: 'a.example < b.example < b.c.example' },
    { nsec: 'a.example.', name: 'c.example.', want: false, why: 'c.example is an empty non-terminal' },
    { nsec: 'a.example.', name: 'x.a.example.', want: true, why: 'below a non-delegation owner' },
    { nsec: 'a.example.', name: 'b.c.example.', want: false, why: 'the next name exists' },
    { nsec: 'sub.example.', name: 'x.sub.example.', want: false, why: 'ancestor delegation (RFC 6840 §4.1)' },
    { nsec: 'sub.example.', name: 't.example.', want: true, why: 'sub < t < *.w' },
    { nsec: 'z.example.', name: 'zz.example.', want: true, why: 'last NSEC wraps to the apex' },
    { nsec: 'z.example.', name: 'a.zz.example.', want: true, why: 'wrap, deeper name' },
    { nsec: 'z.example.', name: 'example.', want: false, why: 'the apex exists' },
    { nsec: 'z.example.', name: 'y.example.', want: false, why: 'before the owner' },
    { nsec: 'z.example.', name: 'other.', want: false, why: 'outside the zone' },
    { nsec: 'x.w.example.', name: 'y.w.example.', want: true, why: 'x.w < y.w < z' },
  ];
  for (const c of cases)
    assert.equal(nsecCovers(at(c.nsec), n(c.name)), c.want, `${c.nsec} / ${c.name}: ${c.why}`);
  const only = parseZone('example. 1 IN NSEC example. SOA NS') as Rr<NsecRdata>[];
  assert.equal(nsecCovers(only[0]!, n('any.example.')), true, 'a single NSEC covers the whole zone');
});

test('nsecCovers: names below a DNAME are not covered', () => {
  const d = parseZone('d.example. 1 IN NSEC e.example. DNAME RRSIG NSEC') as Rr<NsecRdata>[];
  assert.equal(nsecCovers(d[0]!, n('x.d.example.')), false);
  assert.equal(nsecCovers(d[0]!, n('dd.example.')), true);
});

test('nsecClosestEncloser: the longest ancestor shared with owner or next name', () => {
  assert.equal(nsecClosestEncloser(n('y.w.example.'), at('x.w.example.')).toString(), 'w.example.');
  assert.equal(nsecClosestEncloser(n('b.example.'), at('a.example.')).toString(), 'example.');
  assert.equal(nsecClosestEncloser(n('q.x.a.example.'), at('a.example.')).toString(), 'a.example.');
});

test('proveNxdomainNsec: name and wildcard proofs (RFC 4035 §5.4)', () => {
  const cases: { name: string; qname: string; nsecs: string[]; status: string; ede?: number; ce?: string }[] =
    [
      {
        name: 'proven',
        qname: 'b.example.',
        nsecs: ['a.example.', 'example.'],
        status: 'secure',
        ce: 'example.',
      },
      {
        name: 'one NSEC covers both',
        qname: 'zz.example.',
        nsecs: ['z.example.', 'example.'],
        status: 'secure',
        ce: 'example.',
      },
      {
        name: 'wildcard not denied',
        qname: 'b.example.',
        nsecs: ['a.example.'],
        status: 'bogus',
        ede: Ede.NSEC_MISSING,
      },
      {
        name: 'no covering NSEC',
        qname: 'b.example.',
        nsecs: ['example.'],
        status: 'bogus',
        ede: Ede.NSEC_MISSING,
      },
      {
        name: 'qname exists',
        qname: 'a.example.',
        nsecs: ['a.example.', 'example.'],
        status: 'bogus',
        ede: Ede.DNSSEC_BOGUS,
      },
      {
        name: 'the wildcard exists',
        qname: 'y.w.example.',
        nsecs: ['x.w.example.', '*.w.example.'],
        status: 'bogus',
        ede: Ede.DNSSEC_BOGUS,
      },
      {
        name: 'empty non-terminal is not NXDOMAIN',
        qname: 'c.example.',
        nsecs: ['a.example.', 'example.'],
        status: 'bogus',
      },
      {
        name: 'below an insecure delegation (RFC 4035 §5.2)',
        qname: 'x.sub.example.',
        nsecs: ['sub.example.', 'example.'],
        status: 'insecure',
      },
      {
        name: 'below a signed delegation: should have been a referral',
        qname: 'x.dsub.example.',
        nsecs: ['dsub.example.', 'example.'],
        status: 'bogus',
        ede: Ede.DNSSEC_BOGUS,
      },
    ];
  for (const c of cases) {
    const p = proveNxdomainNsec(n(c.qname), pick(...c.nsecs), ZONE);
    assert.equal(p.status, c.status, `${c.name}: ${p.reason}`);
    if (c.ede !== undefined) assert.equal(p.ede, c.ede, c.name);
    if (c.ce !== undefined) assert.equal(p.closestEncloser?.toString(), c.ce, c.name);
  }
});

test('proveNodataNsec: exact match, CNAME bit, delegations, ENT, wildcard NODATA', () => {
  const cases: {
    name: string;
    qname: string;
    qtype: number;
    nsecs: string[];
    status: string;
    ce?: string;
  }[] = [
    { name: 'type absent', qname: 'a.example.', qtype: RRType.MX, nsecs: ['a.example.'], status: 'secure' },
    { name: 'type present', qname: 'a.example.', qtype: RRType.A, nsecs: ['a.example.'], status: 'bogus' },
    {
      name: 'CNAME bit set (RFC 6840 §4.3)',
      qname: 'z.example.',
      qtype: RRType.A,
      nsecs: ['z.example.'],
      status: 'bogus',
    },
    {
      name: 'parent-side NSEC of an insecure delegation, for A',
      qname: 'sub.example.',
      qtype: RRType.A,
      nsecs: ['sub.example.'],
      status: 'insecure',
    },
    {
      name: 'parent-side NSEC of a signed delegation, for A',
      qname: 'dsub.example.',
      qtype: RRType.A,
      nsecs: ['dsub.example.'],
      status: 'bogus',
    },
    {
      name: 'the queried type at an insecure delegation (NS)',
      qname: 'sub.example.',
      qtype: RRType.NS,
      nsecs: ['sub.example.'],
      status: 'bogus',
    },
    {
      name: 'parent-side NSEC for DS',
      qname: 'sub.example.',
      qtype: RRType.DS,
      nsecs: ['sub.example.'],
      status: 'secure',
    },
    {
      name: 'apex NSEC cannot deny DS',
      qname: 'example.',
      qtype: RRType.DS,
      nsecs: ['example.'],
      status: 'bogus',
    },
    {
      name: 'apex NSEC denies TXT',
      qname: 'example.',
      qtype: RRType.TXT,
      nsecs: ['example.'],
      status: 'secure',
    },
    {
      name: 'empty non-terminal',
      qname: 'c.example.',
      qtype: RRType.A,
      nsecs: ['a.example.'],
      status: 'secure',
    },
    {
      name: 'wildcard NODATA',
      qname: 'y.w.example.',
      qtype: RRType.A,
      nsecs: ['x.w.example.', '*.w.example.'],
      status: 'secure',
      ce: 'w.example.',
    },
    {
      name: 'wildcard has the type',
      qname: 'y.w.example.',
      qtype: RRType.TXT,
      nsecs: ['x.w.example.', '*.w.example.'],
      status: 'bogus',
    },
    {
      name: 'no wildcard NSEC',
      qname: 'y.w.example.',
      qtype: RRType.A,
      nsecs: ['x.w.example.'],
      status: 'bogus',
    },
    {
      name: 'nothing relevant',
      qname: 'b.example.',
      qtype: RRType.A,
      nsecs: ['z.example.'],
      status: 'bogus',
    },
  ];
  for (const c of cases) {
    const p = proveNodataNsec(n(c.qname), c.qtype, pick(...c.nsecs), ZONE);
    assert.equal(p.status, c.status, `${c.name}: ${p.reason}`);
    if (c.ce !== undefined) assert.equal(p.closestEncloser?.toString(), c.ce, c.name);
  }
});

test('proveNodataNsec ignores NSECs from outside the zone', () => {
  const foreign = parseZone('a.example.org. 1 IN NSEC b.example.org. TXT') as Rr<NsecRdata>[];
  assert.equal(proveNodataNsec(n('a.example.org.'), RRType.A, foreign, ZONE).status, 'bogus');
  assert.equal(proveNodataNsec(n('a.example.org.'), RRType.A, foreign).status, 'secure');
});

test('proveWildcardAnswerNsec: the next closer name must not exist (RFC 4035 §5.3.4)', () => {
  const cases: { qname: string; wildcard: string; nsecs: string[]; status: string }[] = [
    { qname: 'y.w.example.', wildcard: '*.w.example.', nsecs: ['x.w.example.'], status: 'secure' },
    { qname: 'a.b.w.example.', wildcard: '*.w.example.', nsecs: ['*.w.example.'], status: 'secure' },
    {
      qname: 'x.w.example.',
      wildcard: '*.w.example.',
      nsecs: ['x.w.example.', '*.w.example.'],
      status: 'bogus',
    },
    { qname: 'y.w.example.', wildcard: '*.w.example.', nsecs: [], status: 'bogus' },
    { qname: 'y.w.example.', wildcard: 'w.example.', nsecs: ['x.w.example.'], status: 'bogus' },
    { qname: 'y.other.', wildcard: '*.w.example.', nsecs: ['x.w.example.'], status: 'bogus' },
  ];
  for (const c of cases) {
    const p = proveWildcardAnswerNsec(n(c.qname), n(c.wildcard), pick(...c.nsecs), ZONE);
    assert.equal(p.status, c.status, `${c.qname} from ${c.wildcard}: ${p.reason}`);
  }
});

test('proveNoDsNsec: insecure delegation vs. no zone cut (RFC 4035 §5.2, RFC 6840 §4.4)', () => {
  const cases: { name: string; nsecs: string[]; status: string; zoneCut?: boolean }[] = [
    { name: 'sub.example.', nsecs: ['sub.example.'], status: 'secure', zoneCut: true },
    { name: 'dsub.example.', nsecs: ['dsub.example.'], status: 'bogus' },
    { name: 'a.example.', nsecs: ['a.example.'], status: 'secure', zoneCut: false },
    { name: 'c.example.', nsecs: ['a.example.'], status: 'secure', zoneCut: false },
    { name: 'b.example.', nsecs: ['a.example.', 'example.'], status: 'secure', zoneCut: false },
    { name: 'example.', nsecs: ['example.'], status: 'bogus' },
    { name: 'z.example.', nsecs: ['z.example.'], status: 'bogus' },
    { name: 'q.example.', nsecs: ['a.example.'], status: 'bogus' },
  ];
  for (const c of cases) {
    const p = proveNoDsNsec(n(c.name), pick(...c.nsecs), ZONE);
    assert.equal(p.status, c.status, `${c.name}: ${p.reason}`);
    if (c.zoneCut !== undefined) assert.equal(p.zoneCut, c.zoneCut, c.name);
  }
});

/*
 * RFC 4034 §4.1.1: "The Next Domain field contains the next owner name (in the canonical ordering
 * of the zone)" and "The value of the Next Domain Name field in the last NSEC record in the zone
 * is the name of the zone apex". An NSEC whose next name leaves the zone (a signer bug, or a zone
 * trying to deny names of another zone) proves nothing.
 */
test('nsecCovers: the next name must lie in the zone; the last NSEC must point at the apex', () => {
  const odd = parseZone(`
a.example.  1 IN NSEC b.other. A
z.example.  1 IN NSEC . A
z2.example. 1 IN NSEC org. A
zz.example. 1 IN NSEC example. A
`) as Rr<NsecRdata>[];
  const rr = (owner: string): Rr<NsecRdata> => odd.find((r) => r.name.equals(n(owner)))!;
  const cases: { nsec: string; name: string; zone?: string; want: boolean; why: string }[] = [
    { nsec: 'a.example.', name: 'c.example.', zone: 'example.', want: false, why: 'next name in other.' },
    { nsec: 'a.example.', name: 'x.foo.', zone: 'example.', want: false, why: 'a name outside the zone' },
    {
      nsec: 'z.example.',
      name: 'a.zzz.',
      zone: 'example.',
      want: false,
      why: 'wraps to the root, not the apex',
    },
    { nsec: 'z.example.', name: 'zz.example.', zone: 'example.', want: false, why: 'wraps to the root' },
    { nsec: 'z2.example.', name: 'a.org.', want: false, why: 'the apex must contain the owner' },
    { nsec: 'z2.example.', name: 'a.org.', zone: 'example.', want: false, why: 'wraps to another zone' },
    { nsec: 'zz.example.', name: 'zzz.example.', zone: 'example.', want: true, why: 'a proper last NSEC' },
    { nsec: 'zz.example.', name: 'zzz.example.', want: true, why: 'a proper last NSEC, no zone given' },
    { nsec: 'zz.example.', name: 'zzz.example.', zone: 'zz.example.', want: false, why: 'not of that zone' },
  ];
  for (const c of cases) {
    const zone = c.zone === undefined ? undefined : n(c.zone);
    assert.equal(nsecCovers(rr(c.nsec), n(c.name), zone), c.want, `${c.nsec} / ${c.name}: ${c.why}`);
  }
});

test('proofs ignore NSECs whose next name leaves the zone', () => {
  const records = parseZone(`
example.   1 IN NSEC a.example. SOA NS
a.example. 1 IN NSEC b.other. A
`) as Rr<NsecRdata>[];
  const cases: { name: string; run: () => { status: string; reason: string }; want: string }[] = [
    { name: 'NXDOMAIN', run: () => proveNxdomainNsec(n('c.example.'), records, ZONE), want: 'bogus' },
    {
      name: 'NODATA at the owner',
      run: () => proveNodataNsec(n('a.example.'), RRType.TXT, records, ZONE),
      want: 'bogus',
    },
    { name: 'no DS', run: () => proveNoDsNsec(n('c.example.'), records, ZONE), want: 'bogus' },
    {
      name: 'wildcard answer',
      run: () => proveWildcardAnswerNsec(n('c.example.'), n('*.example.'), records, ZONE),
      want: 'bogus',
    },
  ];
  for (const c of cases) {
    const p = c.run();
    assert.equal(p.status, c.want, `${c.name}: ${p.reason}`);
  }
});
