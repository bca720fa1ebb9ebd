/**
 * Stricter where the evidence is forged, lenient where it is only incomplete: a NODATA whose SOA
 * signature fails is bogus (all the authority section's signed data must verify, as in
 * Unbound); a DNAME answer whose synthesized CNAME does not match the DNAME substitution is
 * bogus (RFC 6672 §3.3), never silently repaired; a CNAME answer whose authority section does
 * not prove the target's NODATA / NXDOMAIN leads to a question for the target itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireSecure } from '../../src/dns/dnssec/index.ts';
import {
  formatRdata,
  isType,
  makeRr,
  Name,
  RRType,
  type Message,
  type Rr,
} from '../../src/dns/wire/index.ts';
import { basicWorld, buildWorld } from './world.ts';

function isQuestion(query: Message, name: string, type: number): boolean {
  const q = query.questions[0];
  return q !== undefined && q.type === type && q.name.equals(Name.parse(name));
}

/** The RRSIG over the SOA in the authority section, with a damaged signature. */
function breakSoaSignature(reply: Message): Message {
  const authorities = reply.authorities.map((rr): Rr =>
    isType(rr, RRType.RRSIG) && rr.data.typeCovered === RRType.SOA
      ? { ...rr, data: { ...rr.data, signature: rr.data.signature.map((b) => b ^ 1) } }
      : rr,
  );
  return { ...reply, authorities };
}

for (const mode of ['recursive', 'validate'] as const) {
  test(`${mode}: a NODATA whose SOA signature fails is bogus, even when its NSEC is fine`, async () => {
    const world = basicWorld();
    world.tamper = (query, _server, reply) =>
      isQuestion(query, 'www.example.test.', RRType.TXT) ? breakSoaSignature(reply) : reply;
    const a = await world.resolver(mode).lookup('www.example.test.', RRType.TXT);
    assert.equal(a.status, 'bogus');
    assert.match(a.reason ?? '', /SOA/);
  });

  test(`${mode}: an NXDOMAIN whose SOA signature fails is bogus`, async () => {
    const world = basicWorld();
    world.tamper = (query, _server, reply) =>
      isQuestion(query, 'nope.example.test.', RRType.A) ? breakSoaSignature(reply) : reply;
    const a = await world.resolver(mode).lookup('nope.example.test.', RRType.A);
    assert.equal(a.status, 'bogus');
  });
}

test('a DNAME answer whose synthesized CNAME does not match the substitution is bogus, not repaired', async () => {
  const world = buildWorld([
    { origin: '.' },
    { origin: 'test.' },
    { origin: 'old.test.', records: 'sub IN DNAME new.test.\n' },
    { origin: 'new.test.', records: 'host IN A 192.0.2.8\nevil IN A 192.0.2.66\n' },
  ]);
  const qname = Name.parse('host.sub.old.test.');
  world.tamper = (query, _server, reply) => {
    if (!isQuestion(query, 'host.sub.old.test.', RRType.A)) return reply;
    const forged = makeRr({
      name: qname,
      type: RRType.CNAME,
      ttl: 3600,
      data: { target: Name.parse('evil.new.test.') },
    });
    const answers = [
      ...reply.answers.filter((rr) => !(rr.type === RRType.CNAME && rr.name.equals(qname))),
      forged,
    ];
    return { ...reply, answers };
  };
  const a = await world.resolver().lookup(qname, RRType.A);
  assert.equal(a.kind, 'failed');
  assert.equal(a.status, 'bogus');
  assert.match(a.reason ?? '', /DNAME/);
});

test('a DNAME answer with the matching synthesized CNAME stays secure', async () => {
  const world = buildWorld([
    { origin: '.' },
    { origin: 'test.' },
    { origin: 'old.test.', records: 'sub IN DNAME new.test.\n' },
    { origin: 'new.test.', records: 'host IN A 192.0.2.8\n' },
  ]);
  const a = await world.resolver().lookup('host.sub.old.test.', RRType.A);
  assert.equal(a.status, 'secure', a.reason);
  assert.deepEqual(requireSecure(a.rrset).map(formatRdata), ['192.0.2.8']);
});

for (const mode of ['recursive', 'validate'] as const) {
  test(`${mode}: a CNAME answer without proof for the target leads to a question for the target`, async () => {
    const world = basicWorld();
    // The alias response keeps its SOA but loses the NSEC proving that www has no TXT.
    world.tamper = (query, _server, reply) => {
      if (!isQuestion(query, 'alias.example.test.', RRType.TXT)) return reply;
      const isProof = (rr: Rr): boolean =>
        rr.type === RRType.NSEC || (isType(rr, RRType.RRSIG) && rr.data.typeCovered === RRType.NSEC);
      return { ...reply, authorities: reply.authorities.filter((rr) => !isProof(rr)) };
    };
    const a = await world.resolver(mode).lookup('alias.example.test.', RRType.TXT);
    assert.deepEqual([a.kind, a.status], ['nodata', 'secure'], a.reason);
    assert.equal(a.canonicalName.toString(), 'www.example.test.');
    assert.ok(world.asked('www.example.test.', 'TXT').length >= 1, 'the target was asked');
  });
}
