/**
 * `Internet.publishTlsa` over the running lab: the botched renewal of the demo is fixed the way
 * an operator fixes it (publish the record of the key the server presents now): the zone is
 * re-signed and served at once with a bumped SOA serial, a fresh validating resolver sees the new
 * record as secure, and the delivery that was deferred goes through with DANE. The scenario's
 * other broken signatures stay broken, a TLSA RRset whose signature was broken is served
 * afresh, an empty list removes the RRset (a secure NODATA), and an unknown host or a bad record
 * is a one-line LAB_ERR_PUBLISH. Loopback only (127.140.0.0/16).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Resolver } from '../../src/dns/resolver/index.ts';
import { isType, RRType } from '../../src/dns/wire/index.ts';
import {
  DEMO_RENEWAL_FIX,
  deliveredDane,
  EE_311,
  scenarioById,
  startInternet,
  type Internet,
  type LabResolverMode,
  type Scenario,
} from '../../src/lab/index.ts';
import { createResolver } from '../../src/mta/index.ts';
import { isMtaError } from '../../src/util/index.ts';
import { runScenario } from './harness.ts';

const IDS = ['demo-botched-renewal', 'bogus-tlsa', 'bogus-mx', 'demo-unsigned', 'ee-311'];
const SCENARIOS = IDS.map((id) => scenarioById(id) as Scenario);
const byId = (id: string): Scenario => SCENARIOS[IDS.indexOf(id)] as Scenario;

let net: Internet;

before(async () => {
  net = await startInternet({ scenarios: SCENARIOS, baseAddress: '127.140.0.0' });
});

after(async () => {
  await net.close();
});

/** A fresh validating resolver (empty cache): what the next retry of a daemon may use. */
function fresh(mode: LabResolverMode = 'validate'): Resolver {
  return createResolver({ ...net.dnsSettings(mode), timeoutMs: 1000 });
}

async function serial(origin: string): Promise<number | undefined> {
  const soa = await fresh().lookup(origin, RRType.SOA);
  const rr = soa.records[0];
  return rr !== undefined && isType(rr, RRType.SOA) ? rr.data.serial : undefined;
}

test('the botched renewal, fixed by publishing the new key, delivers with DANE at the next try', async () => {
  const renewal = byId('demo-botched-renewal');
  const owner = `_${net.smtpPort}._tcp.${DEMO_RENEWAL_FIX.host}.`;
  const deferred = await runScenario(net, renewal, { resolver: fresh(), verify: false });
  assert.deepEqual(deferred.problems, [], 'before the fix: deferred as the catalogue says');
  const stale = await fresh().lookup(owner, RRType.TLSA);
  assert.equal(await serial('botched-renewal.test.'), 1);

  const published = net.publishTlsa(DEMO_RENEWAL_FIX.host, DEMO_RENEWAL_FIX.tlsa);
  assert.deepEqual(
    { owner: published.owner, zone: published.zone, serial: published.serial, n: published.records.length },
    { owner, zone: 'botched-renewal.test.', serial: 2, n: 1 },
  );
  assert.equal(await serial('botched-renewal.test.'), 2);
  for (const mode of ['validate', 'recursive'] as const) {
    const now = await fresh(mode).lookup(owner, RRType.TLSA);
    assert.deepEqual([now.kind, now.status], ['answer', 'secure'], `${mode}: ${now.reason ?? ''}`);
    assert.notDeepEqual(now.records[0]?.rdata, stale.records[0]?.rdata, 'another key is named now');
  }
  const fixed: Scenario = { ...renewal, expect: deliveredDane(DEMO_RENEWAL_FIX.host) };
  const delivered = await runScenario(net, fixed, { resolver: fresh(), verify: false });
  assert.deepEqual(delivered.problems, [], 'after the fix: delivered over DANE');
  assert.match(
    delivered.result.attempts[0]?.tlsa[0] ?? '',
    new RegExp(`^${published.records[0] ?? '-'}$`, 'i'),
  );
});

test("publishing re-signs the TLSA RRset afresh but leaves the scenario's other breakage", async () => {
  const tlsaOwner = `_${net.smtpPort}._tcp.mx.bogus-tlsa.test.`;
  const before = await fresh().lookup(tlsaOwner, RRType.TLSA);
  assert.deepEqual([before.kind, before.status], ['failed', 'bogus']);
  net.publishTlsa('mx.bogus-tlsa.test', [EE_311]);
  const after = await fresh().lookup(tlsaOwner, RRType.TLSA);
  assert.deepEqual([after.kind, after.status], ['answer', 'secure'], after.reason ?? '');

  net.publishTlsa('MX.bogus-mx.test.', [EE_311, '3 1 1 ' + 'ab'.repeat(32)]);
  const mx = await fresh().lookup('bogus-mx.test.', RRType.MX);
  assert.deepEqual([mx.kind, mx.status], ['failed', 'bogus'], 'the expired MX signature stays expired');
  const tlsa = await fresh().lookup(`_${net.smtpPort}._tcp.mx.bogus-mx.test.`, RRType.TLSA);
  assert.deepEqual([tlsa.kind, tlsa.status, tlsa.records.length], ['answer', 'secure', 2]);
});

test('an empty list removes the RRset (and its name); an unsigned zone is changed unsigned', async () => {
  const owner = `_${net.smtpPort}._tcp.mx.ee-311.test.`;
  const removed = net.publishTlsa('mx.ee-311.test', []);
  assert.deepEqual(removed.records, []);
  const gone = await fresh().lookup(owner, RRType.TLSA);
  // The owner held nothing else, so the name itself is gone: a proven NXDOMAIN (RFC 4035 §3.1.3.2).
  assert.deepEqual([gone.kind, gone.status], ['nxdomain', 'secure'], gone.reason ?? '');

  const unsignedOwner = `_${net.smtpPort}._tcp.mx.unsigned.test.`;
  const added = net.publishTlsa('mx.unsigned.test', [EE_311]);
  assert.equal(added.serial, 2);
  const insecure = await fresh().lookup(unsignedOwner, RRType.TLSA);
  assert.deepEqual([insecure.kind, insecure.status, insecure.records.length], ['answer', 'insecure', 1]);
});

test('an unknown host or a bad record is a one-line LAB_ERR_PUBLISH and changes nothing', async () => {
  const was = await serial('ee-311.test.');
  const cases: [string, readonly (string | typeof EE_311)[]][] = [
    ['mx.nowhere.test', [EE_311]],
    ['mx.ee-311.test', ['3 1 1 not-hex']],
    ['mx.ee-311.test', ['banana']],
    ['mx.ee-311.test', [{ ...EE_311, of: 'retired-leaf' }]],
  ];
  for (const [host, tlsa] of cases) {
    assert.throws(
      () => net.publishTlsa(host, tlsa),
      (e: unknown) => isMtaError(e, 'LAB_ERR_PUBLISH') && !e.message.includes('\n'),
      `${host} ${JSON.stringify(tlsa)}`,
    );
  }
  assert.equal(await serial('ee-311.test.'), was, 'a refused publication bumps no serial');
});
