/**
 * End-to-end tests of delivery (`send`) and recipient verification (`lookup-rcpt`) for every
 * scenario of the catalogue, over the simulated Internet: the lab's signed zones on its
 * authoritative server, our validating resolver in both modes (`validate` through the address
 * serving every zone, `recursive` from the lab's root hints), the real SMTP client and the lab's
 * receiving MXs. Each run asserts the outcome, the TLS level, where the message landed and the
 * transcript lines of DESIGN.md. No root, no Debian package, loopback only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  deliveredDane,
  SCENARIOS,
  scenarioById,
  startInternet,
  type Internet,
  type LabResolverMode,
  type Scenario,
} from '../../src/lab/index.ts';
import type { Resolver } from '../../src/dns/resolver/index.ts';
import { createResolver } from '../../src/mta/index.ts';
import { explain, runScenario } from './harness.ts';

let net: Internet;
const resolvers = new Map<LabResolverMode, Resolver>();

/** A fresh validating resolver (empty cache) pointed at the lab. */
function labResolver(mode: LabResolverMode): Resolver {
  return createResolver({ ...net.dnsSettings(mode), timeoutMs: 1000 });
}

before(async () => {
  net = await startInternet({ baseAddress: '127.81.0.0' });
  resolvers.set('validate', labResolver('validate'));
  resolvers.set('recursive', labResolver('recursive'));
});

after(async () => {
  await net.close();
});

test('the catalogue covers every case of the delivery issue', () => {
  const ids = new Set(SCENARIOS.map((s) => s.id));
  for (const id of [
    'ee-311',
    'ee-301',
    'ee-312',
    'ta-201',
    'ta-211',
    'ee-expired',
    'ee-wrong-name',
    'ta-wrong-name',
    'ta-no-ca',
    'wrong-digest',
    'one-wrong-one-right',
    'usage-01-only',
    'tlsa-no-starttls',
    'mx-host-unsigned',
    'demo-unsigned',
    'tlsa-nodata-nsec',
    'tlsa-nodata-nsec3',
    'tlsa-nxdomain-nsec',
    'tlsa-nxdomain-nsec3',
    'bogus-tlsa',
    'bogus-mx',
    'ds-mismatch',
    'cname-tlsa-target',
    'cname-tlsa-alias',
    'cname-to-unsigned',
    'first-mx-fails',
    'null-mx',
    'no-mx',
    'demo-dane',
    'demo-botched-renewal',
  ]) {
    assert.ok(ids.has(id), `scenario ${id} is missing`);
  }
  // Every outcome and TLS level of DESIGN.md's vocabulary is exercised.
  const seen = new Set(SCENARIOS.map((s) => `${s.expect.outcome}/${String(s.expect.tls)}`));
  for (const want of [
    'delivered/dane',
    'delivered/encrypted',
    'delivered/none',
    'deferred/null',
    'bounced/null',
    'bounced/dane',
  ]) {
    assert.ok(seen.has(want), `no scenario expects ${want}`);
  }
});

test('the harness fails a run whose expectation is wrong (the tests can fail)', async () => {
  const real = scenarioById('wrong-digest') as Scenario;
  const lie: Scenario = { ...real, expect: deliveredDane(real.hosts[0]?.name ?? '') };
  const run = await runScenario(net, lie, { resolver: resolvers.get('validate') as Resolver, verify: false });
  assert.ok(run.problems.includes('outcome deferred, expected delivered'), run.problems.join('; '));
  assert.ok(run.problems.includes('tls null, expected dane'));
  assert.ok(run.problems.some((p) => p.startsWith('transcript lacks "DANE: validated successfully"')));
  assert.ok(run.problems.some((p) => p.startsWith('mx.wrong-digest.test received 0 message(s), expected 1')));
  // A secure host is asked for TLSA records: the "no TLSA query" check sees that.
  const ee = scenarioById('ee-311') as Scenario;
  const strict: Scenario = {
    ...ee,
    expect: { ...ee.expect, noTlsaQuery: true, untouched: [ee.hosts[0]?.name ?? ''] },
  };
  const fresh = await runScenario(net, strict, { resolver: labResolver('validate'), verify: false });
  assert.ok(
    fresh.problems.some((p) => p.startsWith('TLSA query sent for _')),
    fresh.problems.join('; '),
  );
  assert.ok(fresh.problems.some((p) => p.startsWith('mx.ee-311.test must see no session')));
});

for (const mode of ['validate', 'recursive'] as const) {
  describe(`send over the simulated Internet (mode ${mode})`, { concurrency: 4 }, () => {
    for (const s of SCENARIOS) {
      test(`${s.id}: ${s.title}`, async () => {
        const run = await runScenario(net, s, { resolver: resolvers.get(mode) as Resolver, verify: false });
        assert.deepEqual(run.problems, [], explain(s, mode, run));
      });
    }
  });
  describe(`lookup-rcpt over the simulated Internet (mode ${mode})`, { concurrency: 4 }, () => {
    for (const s of SCENARIOS) {
      test(`${s.id}: ${s.title}`, async () => {
        const run = await runScenario(net, s, { resolver: resolvers.get(mode) as Resolver, verify: true });
        assert.deepEqual(run.problems, [], explain(s, mode, run));
      });
    }
  });
}
