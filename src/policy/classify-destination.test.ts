/**
 * Table tests, without sockets, for the decisions classify.ts makes outside an SMTP session:
 * the destination's DNS facts (RFC 5321 §5.1, RFC 7505, RFC 7672 §2.1), skipped hosts, an
 * exhausted host list and the outcome that speaks for several recipients.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideDestination,
  decideExhausted,
  decideHostSkip,
  type DestinationFact,
  type ExhaustedFacts,
  type HostSkipFact,
} from './classify.ts';
import { isEnhancedCode, outcomeOf, worstIndex, type Outcome } from './disposition.ts';

const destinationCases: { fact: DestinationFact; want: 'continue' | [string, string, RegExp] }[] = [
  { fact: { kind: 'hosts' }, want: 'continue' },
  {
    fact: { kind: 'nxdomain', domain: 'x.test', status: 'secure' },
    want: ['bounce', '5.1.2', /does not exist/],
  },
  // An insecure NXDOMAIN is still a proven answer of the DNS (RFC 5321 §5.1 applies).
  { fact: { kind: 'nxdomain', domain: 'x.test', status: 'insecure' }, want: ['bounce', '5.1.2', /insecure/] },
  { fact: { kind: 'null-mx', domain: 'x.test' }, want: ['bounce', '5.1.10', /null MX/] },
  // RFC 7672 §2.1.1: a failed or bogus MX lookup defers; it never bounces.
  {
    fact: { kind: 'mx-failed', domain: 'x.test', status: 'bogus', reason: 'signature expired' },
    want: ['defer', '4.4.3', /bogus.*signature expired/],
  },
  {
    fact: { kind: 'mx-failed', domain: 'x.test', status: 'indeterminate', reason: 'timeout' },
    want: ['defer', '4.4.3', /timeout/],
  },
  { fact: { kind: 'invalid-domain', domain: 'exa mple' }, want: ['bounce', '5.1.2', /invalid destination/] },
  { fact: { kind: 'general-literal', literal: 'tag:x' }, want: ['bounce', '5.1.2', /not an IPv4 or IPv6/] },
];

for (const c of destinationCases) {
  test(`destination: ${c.fact.kind} ${JSON.stringify(c.fact).slice(0, 60)}`, () => {
    const v = decideDestination(c.fact);
    if (c.want === 'continue') {
      assert.equal(v.kind, 'continue');
      return;
    }
    assert.equal(v.kind, 'final');
    assert.equal(v.disposition.kind, c.want[0]);
    assert.equal(v.disposition.enhanced, c.want[1]);
    assert.match(v.disposition.reason, c.want[2]);
  });
}

const skipCases: { fact: HostSkipFact; enhanced: string }[] = [
  { fact: { kind: 'address-failed', reason: 'SERVFAIL' }, enhanced: '4.4.3' },
  { fact: { kind: 'no-address', reason: 'no A or AAAA' }, enhanced: '4.4.3' },
  { fact: { kind: 'tlsa-failed', reason: 'TLSA bogus' }, enhanced: '4.7.5' },
  { fact: { kind: 'dane-required', reason: 'insecure name' }, enhanced: '4.7.5' },
];

for (const c of skipCases) {
  test(`skipped host (${c.fact.kind}) → next host, deferred ${c.enhanced}, never a bounce`, () => {
    const v = decideHostSkip(c.fact);
    assert.equal(v.kind, 'next-host');
    assert.equal(v.site.kind, 'defer');
    assert.equal(v.site.enhanced, c.enhanced);
    assert.equal(v.site.reason, c.fact.reason);
  });
}

const exhaustedCases: { name: string; facts: ExhaustedFacts; want: [string, string, RegExp] }[] = [
  {
    name: 'every host proven without address bounces 5.4.4 (RFC 5321 §5.1)',
    facts: { hosts: 2, hostsWithoutAddress: 2 },
    want: ['bounce', '5.4.4', /proven absent/],
  },
  {
    name: 'one host without address and one whose lookup failed defers',
    facts: {
      hosts: 2,
      hostsWithoutAddress: 1,
      lastSite: { kind: 'defer', enhanced: '4.4.3', reason: 'SERVFAIL' },
    },
    want: ['defer', '4.4.3', /SERVFAIL/],
  },
  {
    name: 'the last site failure is the reason',
    facts: {
      hosts: 1,
      hostsWithoutAddress: 0,
      lastSite: { kind: 'defer', enhanced: '4.7.5', reason: 'DANE failed' },
    },
    want: ['defer', '4.7.5', /DANE failed/],
  },
  {
    name: 'no host at all defers 4.4.1',
    facts: { hosts: 0, hostsWithoutAddress: 0 },
    want: ['defer', '4.4.1', /no MX host could be tried/],
  },
  {
    name: 'a reached limit is named in the reason',
    facts: {
      hosts: 3,
      hostsWithoutAddress: 0,
      lastSite: { kind: 'defer', enhanced: '4.4.1', reason: 'refused' },
      limitReached: 'address limit 20 reached',
    },
    want: ['defer', '4.4.1', /refused \(address limit 20 reached\)/],
  },
];

for (const c of exhaustedCases) {
  test(`exhausted: ${c.name}`, () => {
    const d = decideExhausted(c.facts);
    assert.deepEqual([d.kind, d.enhanced], c.want.slice(0, 2));
    assert.match(d.reason, c.want[2]);
  });
}

test('outcomes: a deferral speaks for several, then a failure, then success', () => {
  const of = (...o: Outcome[]): Outcome | undefined => o[worstIndex(o.map((outcome) => ({ outcome })))];
  assert.equal(of('delivered', 'bounced', 'deferred'), 'deferred');
  assert.equal(of('delivered', 'bounced'), 'bounced');
  assert.equal(of('accepted', 'rejected'), 'rejected');
  assert.equal(of('delivered'), 'delivered');
  assert.equal(of(), undefined);
  assert.equal(outcomeOf('bounce', true), 'rejected');
  assert.equal(outcomeOf('bounce', false), 'bounced');
  assert.equal(outcomeOf('defer', true), 'deferred');
});

test('enhanced codes are typed and checked', () => {
  for (const good of ['2.0.0', '4.7.5', '5.1.10', '5.7.30']) assert.ok(isEnhancedCode(good), good);
  for (const bad of ['3.0.0', '5.1', '5.1.2.3', 'x', '4.1000.1', '']) assert.ok(!isEnhancedCode(bad), bad);
});
