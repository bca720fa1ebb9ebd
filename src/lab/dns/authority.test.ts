/**
 * Tests of the authoritative server's answers over real loopback UDP: for an NSEC zone, an
 * NSEC3 zone and an NSEC3 Opt-Out zone — positive answers, NODATA, NXDOMAIN, empty
 * non-terminals, wildcard answers and wildcard NODATA, referrals with and without DS, DS at the
 * parent, CNAME and DNAME — every RRset's signature is verified with dns/dnssec and every
 * denial is checked with its proof function (RFC 4035 §3.1, §5.4; RFC 5155 §7.2, §8).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  proveNoDsNsec,
  proveNoDsNsec3,
  proveNodataNsec,
  proveNodataNsec3,
  proveNxdomainNsec,
  proveNxdomainNsec3,
  proveWildcardAnswerNsec,
  proveWildcardAnswerNsec3,
  verifyRrsetAny,
  type DenialProof,
} from '../../dns/dnssec/index.ts';
import {
  isType,
  Name,
  Rcode,
  RRType,
  typeToString,
  type DnskeyRdata,
  type Message,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
  type RrsigRdata,
} from '../../dns/wire/index.ts';
import { startAuthority, type Authority } from './authority.ts';
import { ask } from '../../../test/lab/dns-client.ts';
import { NOW, signFixture } from '../../../test/lab/dns-fixtures.ts';
import { delegationRecords, type SignedZone } from './signer.ts';

type Denial = 'nsec' | 'nsec3' | 'optout';

let server: Authority;
const zones = new Map<Denial, SignedZone>();
const ORIGINS: Record<Denial, string> = { nsec: 'example.', nsec3: 'n3.example.', optout: 'oo.example.' };

before(async () => {
  const n3 = signFixture('n3.example.', { algorithm: 15, denial: 'nsec3' });
  const oo = signFixture('oo.example.', { algorithm: 13, denial: 'optout' });
  const glue = (z: SignedZone): Rr[] =>
    delegationRecords(z, {
      nameServers: [{ name: `ns1.${z.origin.toString()}`, addresses: ['192.0.2.53'] }],
    });
  const parent = signFixture('example.', {
    algorithm: 13,
    denial: 'nsec',
    extraRecords: [...glue(n3), ...glue(oo)],
  });
  zones.set('nsec', parent).set('nsec3', n3).set('optout', oo);
  server = await startAuthority({ listen: [{ address: '127.0.0.1' }], zones: [parent, n3, oo] });
});

after(async () => {
  await server.close();
});

function zoneKeys(): Rr<DnskeyRdata>[] {
  return [...zones.values()].flatMap((z) =>
    z.records.filter((r): r is Rr<DnskeyRdata> => isType(r, RRType.DNSKEY)),
  );
}

/** Verify every signed RRset of answer and authority; returns the (name type) of unsigned ones. */
function verifySections(msg: Message): { unsigned: string[]; wildcards: Name[] } {
  const all = [...msg.answers, ...msg.authorities];
  const groups = new Map<string, Rr[]>();
  for (const rr of all) {
    if (rr.type === RRType.RRSIG) continue;
    const key = `${rr.name.toString()} ${typeToString(rr.type)}`;
    groups.set(key, [...(groups.get(key) ?? []), rr]);
  }
  const unsigned: string[] = [];
  const wildcards: Name[] = [];
  for (const [key, rrset] of groups) {
    const first = rrset[0] as Rr;
    const sigs = all.filter(
      (r): r is Rr<RrsigRdata> =>
        isType(r, RRType.RRSIG) && r.name.equals(first.name) && r.data.typeCovered === first.type,
    );
    if (sigs.length === 0) {
      unsigned.push(key);
      continue;
    }
    const v = verifyRrsetAny(rrset, sigs, zoneKeys(), { now: NOW });
    assert.ok(v.ok, `${key}: ${v.ok ? '' : v.reason}`);
    if (v.wildcard !== undefined) wildcards.push(v.wildcard);
  }
  return { unsigned: unsigned.sort(), wildcards };
}

function denialRecords(msg: Message): { nsec: Rr<NsecRdata>[]; nsec3: Rr<Nsec3Rdata>[] } {
  return {
    nsec: msg.authorities.filter((r): r is Rr<NsecRdata> => isType(r, RRType.NSEC)),
    nsec3: msg.authorities.filter((r): r is Rr<Nsec3Rdata> => isType(r, RRType.NSEC3)),
  };
}

type ProofKind = 'nodata' | 'nxdomain' | 'wildcard' | 'nods';

function prove(
  kind: ProofKind,
  denial: Denial,
  q: { name: Name; type: number; zone: Name; wildcard?: Name },
  msg: Message,
): DenialProof {
  const { nsec, nsec3 } = denialRecords(msg);
  const n = denial === 'nsec';
  switch (kind) {
    case 'nodata':
      return n
        ? proveNodataNsec(q.name, q.type, nsec, q.zone)
        : proveNodataNsec3(q.name, q.type, nsec3, q.zone);
    case 'nxdomain':
      return n ? proveNxdomainNsec(q.name, nsec, q.zone) : proveNxdomainNsec3(q.name, nsec3, q.zone);
    case 'nods':
      return n ? proveNoDsNsec(q.name, nsec, q.zone) : proveNoDsNsec3(q.name, nsec3, q.zone);
    case 'wildcard': {
      const wc = q.wildcard as Name;
      return n
        ? proveWildcardAnswerNsec(q.name, wc, nsec, q.zone)
        : proveWildcardAnswerNsec3(q.name, wc, nsec3, q.zone);
    }
  }
}

interface Case {
  label: string;
  qname: string;
  qtype: number;
  want: {
    rcode: number;
    aa: boolean;
    /** "name TYPE" of the answer section's records (RRSIGs left out), relative names with "~" for the zone. */
    answer: string[];
    /** Unsigned RRsets expected in answer/authority (NS of referrals, synthesized CNAMEs). */
    unsigned?: string[];
    proof?: {
      kind: ProofKind;
      status: Record<Denial, DenialProof['status']>;
      name?: string;
      zoneCut?: boolean;
    };
    additional?: string[];
  };
}

const SECURE = { nsec: 'secure', nsec3: 'secure', optout: 'secure' } as const;
const OPT_OUT_INSECURE = { nsec: 'secure', nsec3: 'secure', optout: 'insecure' } as const;

const CASES: Case[] = [
  { label: 'positive', qname: 'www', qtype: RRType.A, want: { rcode: 0, aa: true, answer: ['www A'] } },
  {
    label: 'TLSA',
    qname: '_25._tcp.mx1',
    qtype: RRType.TLSA,
    want: { rcode: 0, aa: true, answer: ['_25._tcp.mx1 TLSA'] },
  },
  {
    label: 'NODATA',
    qname: 'www',
    qtype: RRType.TXT,
    want: { rcode: 0, aa: true, answer: [], proof: { kind: 'nodata', status: SECURE } },
  },
  {
    label: 'NXDOMAIN',
    qname: 'nope',
    qtype: RRType.A,
    want: {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answer: [],
      proof: { kind: 'nxdomain', status: OPT_OUT_INSECURE },
    },
  },
  {
    label: 'NXDOMAIN below an existing name',
    qname: 'a.b.www',
    qtype: RRType.A,
    want: {
      rcode: Rcode.NXDOMAIN,
      aa: true,
      answer: [],
      proof: { kind: 'nxdomain', status: OPT_OUT_INSECURE },
    },
  },
  {
    label: 'empty non-terminal',
    qname: 'y.ent',
    qtype: RRType.A,
    want: { rcode: 0, aa: true, answer: [], proof: { kind: 'nodata', status: SECURE } },
  },
  {
    label: 'wildcard answer',
    qname: 'foo.wild',
    qtype: RRType.TXT,
    want: {
      rcode: 0,
      aa: true,
      answer: ['foo.wild TXT'],
      proof: { kind: 'wildcard', status: OPT_OUT_INSECURE },
    },
  },
  {
    label: 'wildcard NODATA',
    qname: 'foo.wild',
    qtype: RRType.A,
    want: { rcode: 0, aa: true, answer: [], proof: { kind: 'nodata', status: OPT_OUT_INSECURE } },
  },
  {
    label: 'referral with DS',
    qname: 'host.sec',
    qtype: RRType.A,
    want: { rcode: 0, aa: false, answer: [], unsigned: ['sec NS'], additional: ['ns.sec A'] },
  },
  {
    label: 'referral without DS',
    qname: 'host.insec',
    qtype: RRType.A,
    want: {
      rcode: 0,
      aa: false,
      answer: [],
      unsigned: ['insec NS'],
      additional: ['ns.insec A'],
      proof: { kind: 'nods', name: 'insec', status: OPT_OUT_INSECURE, zoneCut: true },
    },
  },
  {
    label: 'DS at a signed delegation',
    qname: 'sec',
    qtype: RRType.DS,
    want: { rcode: 0, aa: true, answer: ['sec DS'] },
  },
  {
    label: 'DS at an unsigned delegation',
    qname: 'insec',
    qtype: RRType.DS,
    want: { rcode: 0, aa: true, answer: [], proof: { kind: 'nodata', status: OPT_OUT_INSECURE } },
  },
  {
    label: 'CNAME',
    qname: 'alias',
    qtype: RRType.A,
    want: { rcode: 0, aa: true, answer: ['alias CNAME', 'www A'] },
  },
  {
    label: 'DNAME',
    qname: 'host.dn',
    qtype: RRType.A,
    want: {
      rcode: 0,
      aa: true,
      answer: ['dn DNAME', 'host.dn CNAME', 'host.target A'],
      unsigned: ['host.dn CNAME'],
    },
  },
];

function relative(name: Name, zone: Name): string {
  return name.toString().slice(0, -zone.toString().length - 1);
}

for (const denial of ['nsec', 'nsec3', 'optout'] as const) {
  for (const c of CASES) {
    test(`${denial}: ${c.label} (${c.qname} ${typeToString(c.qtype)})`, async () => {
      const zone = Name.parse(ORIGINS[denial]);
      const qname = Name.parse(c.qname, zone);
      const msg = await ask(qname, c.qtype, { port: server.port });
      assert.equal(msg.rcode, c.want.rcode);
      assert.equal(msg.flags.aa, c.want.aa);
      assert.equal(msg.flags.qr, true);
      assert.equal(msg.edns?.do, true);
      const answer = msg.answers
        .filter((r) => r.type !== RRType.RRSIG)
        .map((r) => `${relative(r.name, zone)} ${typeToString(r.type)}`);
      assert.deepEqual([...new Set(answer)], c.want.answer);
      const { unsigned, wildcards } = verifySections(msg);
      const wantUnsigned = (c.want.unsigned ?? []).map((u) => {
        const [n, t] = u.split(' ') as [string, string];
        return `${Name.parse(n, zone).toString()} ${t}`;
      });
      assert.deepEqual(unsigned, wantUnsigned.sort());
      if (c.want.additional !== undefined) {
        const add = msg.additionals.map((r) => `${relative(r.name, zone)} ${typeToString(r.type)}`);
        assert.deepEqual(add, c.want.additional);
      }
      const proof = c.want.proof;
      if (proof !== undefined) {
        const name = proof.name === undefined ? qname : Name.parse(proof.name, zone);
        const wildcard = wildcards[0] ?? (c.want.answer.length > 0 ? Name.parse('*.wild', zone) : undefined);
        const got = prove(
          proof.kind,
          denial,
          { name, type: c.qtype, zone, ...(wildcard === undefined ? {} : { wildcard }) },
          msg,
        );
        assert.equal(got.status, proof.status[denial], got.reason);
        if (proof.zoneCut === true && got.status === 'secure') assert.equal(got.zoneCut, true);
      }
      if (c.label === 'wildcard answer') {
        assert.equal(wildcards.length, 1);
        assert.ok(wildcards[0]?.equals(Name.parse('*.wild', zone)));
      }
    });
  }
}

test('DS for a child apex is answered by the parent, DNSKEY by the child', async () => {
  for (const child of ['n3.example.', 'oo.example.']) {
    const ds = await ask(child, RRType.DS, { port: server.port });
    assert.equal(ds.flags.aa, true);
    const sig = ds.answers.find((r): r is Rr<RrsigRdata> => isType(r, RRType.RRSIG));
    assert.equal(sig?.data.signerName.toString(), 'example.');
    assert.equal(ds.answers.filter((r) => r.type === RRType.DS).length, 1);
    verifySections(ds);
    const keys = await ask(child, RRType.DNSKEY, { port: server.port });
    assert.equal(keys.answers.filter((r) => r.type === RRType.DNSKEY).length, 2);
    const ksig = keys.answers.find((r): r is Rr<RrsigRdata> => isType(r, RRType.RRSIG));
    assert.equal(ksig?.data.signerName.toString(), child);
    verifySections(keys);
  }
});

test('a name no zone serves is REFUSED; RRSIG and ANY queries return what the name holds', async () => {
  const refused = await ask('www.example.org.', RRType.A, { port: server.port });
  assert.equal(refused.rcode, Rcode.REFUSED);
  assert.equal(refused.flags.aa, false);
  const rrsig = await ask('www.example.', RRType.RRSIG, { port: server.port, dnssecOk: false });
  assert.deepEqual(
    rrsig.answers.map((r) => (isType(r, RRType.RRSIG) ? typeToString(r.data.typeCovered) : '?')).sort(),
    ['A', 'AAAA', 'NSEC'],
  );
  const any = await ask('www.example.', RRType.ANY, { port: server.port, dnssecOk: false });
  assert.deepEqual(any.answers.map((r) => typeToString(r.type)).sort(), ['A', 'AAAA', 'NSEC']);
});
