/**
 * Response classification (classify.ts): CNAME and DNAME chains, positive / NODATA / NXDOMAIN /
 * referral / incomplete, loops and malformed chains — table-driven, a `want` per case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FLAGS, Name, parseZone, Rcode, RRType, type Message } from '../wire/index.ts';
import { classifyResponse, substituteDname } from './classify.ts';

interface Case {
  name: string;
  qname: string;
  qtype: number;
  rcode?: number;
  aa?: boolean;
  answer?: string;
  authority?: string;
  referrals?: boolean;
  want: { kind: string; final: string; aliases: string[]; answers?: number };
}

const SOA = 'example. 60 IN SOA ns hm 1 2 3 4 5';

const CASES: Case[] = [
  {
    name: 'positive',
    qname: 'www.example.',
    qtype: RRType.A,
    answer: 'www.example. 60 IN A 192.0.2.1',
    want: { kind: 'positive', final: 'www.example.', aliases: [], answers: 1 },
  },
  {
    name: 'CNAME then data',
    qname: 'a.example.',
    qtype: RRType.A,
    answer: 'a.example. 60 IN CNAME b.example.\nb.example. 60 IN A 192.0.2.2',
    want: { kind: 'positive', final: 'b.example.', aliases: ['cname a.example.>b.example.'] },
  },
  {
    name: 'CNAME to a name the response says nothing about: follow it',
    qname: 'a.example.',
    qtype: RRType.A,
    answer: 'a.example. 60 IN CNAME b.other.',
    authority: 'other. 60 IN NSEC z.other. A RRSIG NSEC',
    want: { kind: 'incomplete', final: 'b.other.', aliases: ['cname a.example.>b.other.'] },
  },
  {
    name: 'CNAME to a NODATA in the same zone (SOA)',
    qname: 'a.example.',
    qtype: RRType.A,
    answer: 'a.example. 60 IN CNAME b.example.',
    authority: SOA,
    want: { kind: 'nodata', final: 'b.example.', aliases: ['cname a.example.>b.example.'] },
  },
  {
    name: 'CNAME to NXDOMAIN',
    qname: 'a.example.',
    qtype: RRType.A,
    rcode: Rcode.NXDOMAIN,
    answer: 'a.example. 60 IN CNAME b.example.',
    authority: SOA,
    want: { kind: 'nxdomain', final: 'b.example.', aliases: ['cname a.example.>b.example.'] },
  },
  {
    name: 'DNAME substitution',
    qname: 'x.y.old.example.',
    qtype: RRType.A,
    answer:
      'old.example. 60 IN DNAME new.example.\nx.y.old.example. 60 IN CNAME x.y.new.example.\nx.y.new.example. 60 IN A 192.0.2.3',
    want: {
      kind: 'positive',
      final: 'x.y.new.example.',
      aliases: ['dname x.y.old.example.>x.y.new.example.'],
    },
  },
  {
    name: 'qtype CNAME answers with the CNAME itself',
    qname: 'a.example.',
    qtype: RRType.CNAME,
    answer: 'a.example. 60 IN CNAME b.example.',
    want: { kind: 'positive', final: 'a.example.', aliases: [] },
  },
  {
    name: 'the first of a CNAME and data at one name wins (RFC 2181 §10.1 forbids both)',
    qname: 'a.example.',
    qtype: RRType.A,
    answer: 'a.example. 60 IN A 192.0.2.9\na.example. 60 IN CNAME b.example.',
    want: { kind: 'positive', final: 'a.example.', aliases: [] },
  },
  {
    name: 'alias loop',
    qname: 'a.example.',
    qtype: RRType.A,
    answer: 'a.example. 60 IN CNAME b.example.\nb.example. 60 IN CNAME a.example.',
    want: {
      kind: 'error',
      final: 'a.example.',
      aliases: ['cname a.example.>b.example.', 'cname b.example.>a.example.'],
    },
  },
  {
    name: 'NODATA',
    qname: 'www.example.',
    qtype: RRType.MX,
    authority: SOA,
    want: { kind: 'nodata', final: 'www.example.', aliases: [] },
  },
  {
    name: 'NXDOMAIN',
    qname: 'nope.example.',
    qtype: RRType.A,
    rcode: Rcode.NXDOMAIN,
    authority: SOA,
    want: { kind: 'nxdomain', final: 'nope.example.', aliases: [] },
  },
  {
    name: 'referral from an authoritative server',
    qname: 'www.sub.example.',
    qtype: RRType.A,
    authority: 'sub.example. 60 IN NS ns.sub.example.',
    want: { kind: 'referral', final: 'www.sub.example.', aliases: [] },
  },
  {
    name: 'the same from a recursive resolver is a NODATA',
    qname: 'www.sub.example.',
    qtype: RRType.A,
    authority: 'sub.example. 60 IN NS ns.sub.example.',
    referrals: false,
    want: { kind: 'nodata', final: 'www.sub.example.', aliases: [] },
  },
  {
    name: 'SERVFAIL',
    qname: 'www.example.',
    qtype: RRType.A,
    rcode: Rcode.SERVFAIL,
    want: { kind: 'error', final: 'www.example.', aliases: [] },
  },
];

for (const c of CASES) {
  test(`classify: ${c.name}`, () => {
    const m: Message = {
      id: 0,
      flags: { ...DEFAULT_FLAGS, qr: true, aa: c.aa ?? false },
      rcode: c.rcode ?? Rcode.NOERROR,
      questions: [{ name: Name.parse(c.qname), type: c.qtype, class: 1 }],
      answers: c.answer === undefined ? [] : parseZone(c.answer),
      authorities: c.authority === undefined ? [] : parseZone(c.authority),
      additionals: [],
    };
    const cls = classifyResponse(m, Name.parse(c.qname), c.qtype, { referrals: c.referrals ?? true });
    const got = {
      kind: cls.kind,
      final: cls.finalName.toString(),
      aliases: cls.aliases.map((a) => `${a.kind} ${a.from.toString()}>${a.to.toString()}`),
      ...(c.want.answers === undefined ? {} : { answers: cls.answers.length }),
    };
    assert.deepEqual(got, c.want);
  });
}

test('DNAME substitution that would exceed 255 octets is refused', () => {
  const long = Name.parse(`${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.old.`);
  assert.equal(
    substituteDname(long, Name.parse('old.'), Name.parse(`${'d'.repeat(60)}.${'e'.repeat(60)}.`)),
    undefined,
  );
  assert.equal(
    substituteDname(Name.parse('x.old.'), Name.parse('old.'), Name.parse('new.'))?.toString(),
    'x.new.',
  );
});
