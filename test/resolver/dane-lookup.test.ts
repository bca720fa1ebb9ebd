/**
 * The DNS side of DANE (dane/lookup.ts) end to end against the signed test world, where the
 * resolver's verdicts decide delivery: NSEC3 denials that are insecure only because of their
 * iterations (RFC 9276) replayed by an on-path attacker as NODATA for an existing TLSA RRset, as
 * a "no DS" for the destination domain, or as NXDOMAIN for its MX — each must be a failed lookup
 * (defer), never "no records" (plaintext), an insecure MX (the attacker's host) or a bounce.
 * And each address of an MX host is judged by the RRset it came from (RFC 7672 §2.2.2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupHost, lookupMx, lookupTlsa } from '../../src/dane/index.ts';
import { isType, Name, Rcode, RRType, type Message, type Rr } from '../../src/dns/wire/index.ts';
import type { SignedZone } from '../../src/lab/index.ts';
import { ScriptedResolver, type Script } from '../helpers/scripted-resolver.ts';
import { basicWorld, buildWorld, type World } from './world.ts';

const TLSA_DATA = 'ab'.repeat(32);
const MX_HOST = Name.parse('mx.example.test.');
const HOSTS = `@ IN MX 10 mx.example.test.\nmx IN A 192.0.2.25\nmx IN AAAA 2001:db8::25\n_25._tcp.mx IN TLSA 3 1 1 ${TLSA_DATA}\nwww IN A 192.0.2.1\n`;

function signed(world: World, origin: string): SignedZone {
  return world.zones.get(origin) as SignedZone;
}

/** The zone's SOA and one NSEC3 with their RRSIGs: all genuine, replayable by anyone. */
function replayableDenial(zone: SignedZone): Rr[] {
  const soa = zone.records.filter((rr) => rr.type === RRType.SOA && rr.name.equals(zone.origin));
  const nsec3 = zone.records.find((rr) => rr.type === RRType.NSEC3) as Rr;
  const sigs = zone.records.filter(
    (rr) =>
      isType(rr, RRType.RRSIG) &&
      ((rr.data.typeCovered === RRType.SOA && rr.name.equals(zone.origin)) ||
        (rr.data.typeCovered === RRType.NSEC3 && rr.name.equals(nsec3.name))),
  );
  return [...soa, nsec3, ...sigs];
}

function isQuestion(query: Message, name: string, type: number): boolean {
  const q = query.questions[0];
  return q !== undefined && q.type === type && q.name.equals(Name.parse(name));
}

test('NSEC3 iterations above 150: a replayed NODATA for an existing TLSA RRset is a failed TLSA lookup, not "no records"', async () => {
  const world = basicWorld({ example: { sign: { iterations: 151 }, records: HOSTS } });
  const zone = signed(world, 'example.test.');
  world.tamper = (query, _server, reply) => {
    if (!isQuestion(query, '_25._tcp.mx.example.test.', RRType.TLSA) || reply.answers.length === 0)
      return reply;
    return { ...reply, rcode: Rcode.NOERROR, answers: [], authorities: replayableDenial(zone) };
  };
  const r = world.resolver();
  const host = await lookupHost(MX_HOST, r);
  assert.ok(host.kind === 'ok' && host.secure, 'the A and AAAA RRsets are signed and validate');
  const t = await lookupTlsa(host, 25, r);
  assert.ok(t.kind === 'failed', JSON.stringify(t));
  assert.match(t.reason, /NSEC3 iterations/);
  // The resolver itself answers as Unbound and BIND do: insecure, and says why.
  const a = await r.lookup('_25._tcp.mx.example.test.', RRType.TLSA);
  assert.deepEqual([a.kind, a.status, a.insecureKind], ['nodata', 'insecure', 'nsec3-iterations']);
});

test('NSEC3 iterations above 150 in the parent: a forged "no DS" is a failed MX lookup, not the attacker\'s insecure MX', async () => {
  const world = buildWorld([
    { origin: '.' },
    { origin: 'test.', sign: { iterations: 151 } },
    { origin: 'example.test.', records: HOSTS },
  ]);
  const tld = signed(world, 'test.');
  const example = Name.parse('example.test.');
  const isDs = (rr: Rr): boolean =>
    rr.name.equals(example) &&
    (rr.type === RRType.DS || (isType(rr, RRType.RRSIG) && rr.data.typeCovered === RRType.DS));
  world.tamper = (query, _server, reply) => {
    // Every DS RRset for example.test. (referrals and DS answers) becomes a replayed NSEC3 denial…
    if ([...reply.answers, ...reply.authorities].some(isDs)) {
      return {
        ...reply,
        answers: reply.answers.filter((rr) => !isDs(rr)),
        authorities: [
          ...reply.authorities.filter((rr) => !isDs(rr)),
          ...replayableDenial(tld).filter(
            (rr) =>
              rr.type !== RRType.SOA && !(isType(rr, RRType.RRSIG) && rr.data.typeCovered === RRType.SOA),
          ),
        ],
      };
    }
    // …and the now "unsigned" zone names the attacker's MX.
    if (isQuestion(query, 'example.test.', RRType.MX) && reply.answers.length > 0) {
      const mx = reply.answers.find((rr) => rr.type === RRType.MX) as Rr;
      return {
        ...reply,
        answers: [{ ...mx, data: { preference: 10, exchange: Name.parse('evil.example.net.') } }],
      };
    }
    return reply;
  };
  const mx = await lookupMx(example, world.resolver());
  assert.equal(mx.kind, 'failed', JSON.stringify(mx));
});

test('NSEC3 iterations above 150: a replayed NXDOMAIN for the MX is a failed lookup, not a bounce', async () => {
  const world = basicWorld({ example: { sign: { iterations: 151 }, records: HOSTS } });
  const zone = signed(world, 'example.test.');
  world.tamper = (query, _server, reply) => {
    if (!isQuestion(query, 'example.test.', RRType.MX) || reply.answers.length === 0) return reply;
    return { ...reply, rcode: Rcode.NXDOMAIN, answers: [], authorities: replayableDenial(zone) };
  };
  const r = world.resolver();
  const mx = await lookupMx(Name.parse('example.test.'), r);
  assert.equal(mx.kind, 'failed', JSON.stringify(mx));
  const a = await r.lookup('example.test.', RRType.MX);
  assert.deepEqual([a.kind, a.status, a.insecureKind], ['nxdomain', 'insecure', 'nsec3-iterations']);
});

test('an A-only host in a zone with NSEC3 iterations above 150 is secure by its A RRset and gets DANE', async () => {
  const records = `mx IN A 192.0.2.25\n_25._tcp.mx IN TLSA 3 1 1 ${TLSA_DATA}\n`;
  const world = basicWorld({ example: { sign: { iterations: 200 }, records } });
  const r = world.resolver();
  const host = await lookupHost(MX_HOST, r);
  assert.ok(host.kind === 'ok', JSON.stringify(host));
  assert.equal(host.secure, true);
  assert.deepEqual(host.addressStatus, [{ address: '192.0.2.25', status: 'secure' }]);
  const t = await lookupTlsa(host, 25, r);
  assert.ok(t.kind === 'records', JSON.stringify(t));
  assert.equal(t.tlsa.size, 1);
});

test('each address is judged by its own RRset: an insecure denial of the other family changes nothing', async () => {
  const cases: {
    name: string;
    aaaa: Script;
    want: { secure: boolean; status: string; addresses: [string, string][] };
  }[] = [
    {
      // E.g. a trust-ad resolver that sets AD on the A answer but not on the AAAA NODATA.
      name: 'secure A, insecure AAAA NODATA',
      aaaa: { kind: 'nodata', status: 'insecure' },
      want: { secure: true, status: 'secure', addresses: [['192.0.2.1', 'secure']] },
    },
    {
      name: 'secure A, insecure AAAA NXDOMAIN',
      aaaa: { kind: 'nxdomain', status: 'insecure' },
      want: { secure: true, status: 'secure', addresses: [['192.0.2.1', 'secure']] },
    },
    {
      name: 'secure A, insecure AAAA records',
      aaaa: { kind: 'answer', status: 'insecure', records: ['mx.example. 300 IN AAAA 2001:db8::1'] },
      want: {
        secure: true,
        status: 'insecure',
        addresses: [
          ['192.0.2.1', 'secure'],
          ['2001:db8::1', 'insecure'],
        ],
      },
    },
  ];
  for (const c of cases) {
    const r = new ScriptedResolver()
      .set('mx.example.', 'A', {
        kind: 'answer',
        status: 'secure',
        records: ['mx.example. 300 IN A 192.0.2.1'],
      })
      .set('mx.example.', 'AAAA', c.aaaa);
    const h = await lookupHost(Name.parse('mx.example.'), r);
    assert.ok(h.kind === 'ok', c.name);
    assert.deepEqual(
      {
        secure: h.secure,
        status: h.status,
        addresses: h.addressStatus.map((x) => [x.address, x.status]),
      },
      c.want,
      c.name,
    );
  }
  // An insecure A RRset stays insecure, whatever a secure AAAA denial says.
  const insecureA = new ScriptedResolver()
    .set('mx.example.', 'A', {
      kind: 'answer',
      status: 'insecure',
      records: ['mx.example. 300 IN A 192.0.2.1'],
    })
    .set('mx.example.', 'AAAA', { kind: 'nodata', status: 'secure' });
  const h = await lookupHost(Name.parse('mx.example.'), insecureA);
  assert.ok(h.kind === 'ok');
  assert.deepEqual([h.secure, h.status], [false, 'insecure']);
});
