/**
 * After a bogus answer the resolver asks another server before giving up (as Unbound and Knot
 * Resolver do): a zone's stale secondary in mode recursive, one mangling resolver among several
 * in mode validate — for the question itself and for the DS/DNSKEY questions of the key walk.
 * The retries are bounded, and a single server is not asked twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isType, Name, RRType, type Message, type Rr } from '../../src/dns/wire/index.ts';
import { basicWorld } from './world.ts';

/** Every RRSIG of the answer section with a damaged signature (a stale or broken server). */
function breakSignatures(reply: Message): Message {
  const answers = reply.answers.map((rr): Rr =>
    isType(rr, RRType.RRSIG)
      ? { ...rr, data: { ...rr.data, signature: rr.data.signature.map((b) => b ^ 1) } }
      : rr,
  );
  return { ...reply, answers };
}

const WWW = 'www.example.test.';

test('validate: a bogus answer from the first of two resolvers is asked again of the second', async () => {
  const world = basicWorld();
  world.tamper = (_query, server, reply) => (server === '127.0.0.1' ? breakSignatures(reply) : reply);
  const a = await world.resolver('validate', {}, ['127.0.0.1', '127.0.0.2']).lookup(WWW, RRType.A);
  assert.equal(a.status, 'secure', a.reason);
  assert.deepEqual(
    world.asked(WWW, 'A').map((e) => e.server),
    ['127.0.0.1', '127.0.0.2'],
  );
  // The DNSKEY questions of the key walk were asked again too.
  assert.ok(world.asked('example.test.', 'DNSKEY').some((e) => e.server === '127.0.0.2'));
});

test('recursive: a stale secondary with broken signatures does not make the answer bogus', async () => {
  const world = basicWorld({ example: { secondary: true } });
  const servers = world.byAddress;
  let broken: string | undefined;
  world.tamper = (query, server, reply) => {
    const q = query.questions[0];
    if (q?.type !== RRType.A || !q.name.equals(Name.parse(WWW)) || reply.answers.length === 0) return reply;
    broken ??= server; // whichever of the two is asked first is the stale one
    return server === broken ? breakSignatures(reply) : reply;
  };
  const a = await world.resolver('recursive').lookup(WWW, RRType.A);
  assert.equal(a.status, 'secure', a.reason);
  const asked = world.asked(WWW, 'A').map((e) => e.server);
  assert.ok(broken !== undefined && asked.includes(broken), 'the stale secondary answered first');
  assert.equal(
    new Set(asked.filter((s) => servers.get(s)?.some((z) => z.origin.equals(Name.parse('example.test.')))))
      .size,
    2,
  );
});

test('the retries are bounded: four broken resolvers are asked three times, then the answer is bogus', async () => {
  const world = basicWorld();
  const resolvers = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
  world.tamper = (query, _server, reply) =>
    query.questions[0]?.type === RRType.A ? breakSignatures(reply) : reply;
  const a = await world.resolver('validate', {}, resolvers).lookup(WWW, RRType.A);
  assert.equal(a.status, 'bogus');
  assert.deepEqual(
    world.asked(WWW, 'A').map((e) => e.server),
    ['127.0.0.1', '127.0.0.2', '127.0.0.3'],
  );
});

test('a single resolver is not asked again for the same bogus answer', async () => {
  const world = basicWorld();
  world.tamper = (query, _server, reply) =>
    query.questions[0]?.type === RRType.A ? breakSignatures(reply) : reply;
  const a = await world.resolver('validate').lookup(WWW, RRType.A);
  assert.equal(a.status, 'bogus');
  assert.equal(world.asked(WWW, 'A').length, 1);
});
