/**
 * The scenario catalogue as data: it is consistent, the consistency check finds each kind of
 * mistake, lookups by id and domain work, and expectations read as one-line summaries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EE_311, SIGNED } from './kit.ts';
import type { Scenario } from './types.ts';
import { checkCatalogue } from './validate.ts';
import { describeExpectation, SCENARIOS, scenarioByDomain, scenarioById } from './catalogue.ts';

const GOOD: Scenario = {
  id: 'good',
  title: 'a consistent scenario',
  domain: 'good.test',
  zones: [{ origin: 'good.test.', signing: SIGNED.nsec13 }],
  mx: [{ preference: 10, host: 'mx.good.test' }],
  hosts: [{ name: 'mx.good.test', cert: { issuer: 'ca' }, tlsa: [EE_311] }],
  expect: { outcome: 'delivered', tls: 'dane', landsOn: 'mx.good.test', log: [] },
};

test('the whole catalogue is consistent', () => {
  assert.deepEqual(checkCatalogue(SCENARIOS), []);
  assert.deepEqual(checkCatalogue([GOOD]), []);
});

const BROKEN: { name: string; scenarios: Scenario[]; want: RegExp }[] = [
  {
    name: 'duplicate id',
    scenarios: [GOOD, { ...GOOD, domain: 'other.test', zones: [], hosts: [], mx: 'nxdomain' }],
    want: /scenario id good appears twice/,
  },
  { name: 'id not kebab-case', scenarios: [{ ...GOOD, id: 'Good One' }], want: /not kebab-case/ },
  {
    name: 'domain with trailing dot',
    scenarios: [{ ...GOOD, domain: 'good.test.' }],
    want: /without the trailing dot/,
  },
  {
    name: 'domain outside its zones',
    scenarios: [{ ...GOOD, domain: 'elsewhere.test' }],
    want: /domain elsewhere\.test is in none of its zones/,
  },
  {
    name: 'relative zone origin',
    scenarios: [{ ...GOOD, zones: [{ origin: 'good.test', signing: 'unsigned' }] }],
    want: /must be absolute/,
  },
  {
    name: 'MX naming no host',
    scenarios: [{ ...GOOD, mx: [{ preference: 10, host: 'mx9.good.test' }] }],
    want: /MX mx9\.good\.test is no host/,
  },
  {
    name: 'no MX and no host at the domain',
    scenarios: [{ ...GOOD, mx: 'none' }],
    want: /no MX, but no host named good\.test/,
  },
  {
    name: 'host outside the zones',
    scenarios: [{ ...GOOD, hosts: [{ name: 'mx.other.test' }], mx: 'null' }],
    want: /mx\.other\.test is in none of its zones/,
  },
  {
    name: 'leaf TLSA without a certificate',
    scenarios: [{ ...GOOD, hosts: [{ name: 'mx.good.test', tlsa: [EE_311] }] }],
    want: /TLSA record of its leaf but no certificate/,
  },
  {
    name: 'duplicate zone',
    scenarios: [GOOD, { ...GOOD, id: 'good2', domain: 'good2.good.test', hosts: [], mx: 'null' }],
    want: /zone good\.test\. appears twice/,
  },
];

for (const c of BROKEN) {
  test(`the consistency check finds: ${c.name}`, () => {
    const problems = checkCatalogue(c.scenarios);
    assert.ok(
      problems.some((p) => c.want.test(p)),
      `${c.want} not in ${JSON.stringify(problems)}`,
    );
  });
}

test('scenarios are found by id and by domain', () => {
  assert.equal(scenarioById('ee-311')?.domain, 'ee-311.test');
  assert.equal(scenarioById('nope'), undefined);
  assert.equal(scenarioByDomain('EE-311.test.')?.id, 'ee-311');
  assert.equal(scenarioByDomain('good.test', [GOOD])?.id, 'good');
});

test('expectations read as one line', () => {
  const cases: { id: string; want: string }[] = [
    { id: 'ee-311', want: 'delivered (tls dane)' },
    { id: 'demo-unsigned', want: 'delivered (tls encrypted)' },
    { id: 'plain-no-tls', want: 'delivered (tls none)' },
    { id: 'wrong-digest', want: 'deferred 4.7.5' },
    { id: 'null-mx', want: 'bounced 5.1.10' },
    { id: 'rcpt-rejected', want: 'bounced 5.1.1 (tls dane)' },
  ];
  for (const c of cases) assert.equal(describeExpectation(scenarioById(c.id) as Scenario), c.want, c.id);
});

test('every scenario that delivers names the host it lands on, and deferrals land nowhere', () => {
  for (const s of SCENARIOS) {
    if (s.expect.outcome === 'delivered') assert.notEqual(s.expect.landsOn, null, s.id);
    if (s.expect.outcome === 'deferred') assert.equal(s.expect.landsOn, null, s.id);
    assert.ok(s.expect.log.length > 0, `${s.id} names transcript lines`);
  }
});
