/**
 * `checkDomain` over the simulated Internet: for every scenario of the catalogue and the
 * checker's own shapes (test/tools/scenarios.ts), the check names exactly the scenario's problems
 * (the table below, kept here and not in the lab data) with the verdict that follows from them;
 * the fix for the botched renewal names the record that matches the server's key now (computed
 * here with node:crypto, independently of the checker); expiry warnings follow --days and the
 * clock; both resolver modes agree; and the check never sends mail. Loopback only, lab base
 * address 127.110.0.0.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { checkDomain, type CheckReport } from '../../src/check/index.ts';
import type { Internet, Scenario } from '../../src/lab/index.ts';
import { FixedClock, systemClock } from '../../src/util/index.ts';
import { ALL_SCENARIOS, labResolver, startCheckerInternet } from './scenarios.ts';

/** The finding codes each scenario must produce — no more, no fewer — and its verdict. */
const EXPECTED: Readonly<Record<string, { verdict: CheckReport['verdict']; codes: readonly string[] }>> = {
  'ee-311': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'ee-301': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'ee-312': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'ta-201': { verdict: 'ok', codes: ['dane-ok'] },
  'ta-211': { verdict: 'ok', codes: ['dane-ok'] },
  'ee-expired': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'ee-wrong-name': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'ta-wrong-name': { verdict: 'error', codes: ['dane-ta-name-mismatch'] },
  'ta-no-ca': { verdict: 'error', codes: ['dane-ta-ca-not-sent'] },
  'wrong-digest': { verdict: 'error', codes: ['tlsa-no-match'] },
  'one-wrong-one-right': { verdict: 'ok', codes: ['dane-ok', 'tlsa-unmatched'] },
  'usage-01-only': { verdict: 'warning', codes: ['tlsa-pkix-only'] },
  'tlsa-no-starttls': { verdict: 'error', codes: ['starttls-missing'] },
  'rcpt-rejected': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'first-mx-fails': { verdict: 'error', codes: ['tlsa-no-match', 'no-next-key', 'dane-ok'] },
  'cname-tlsa-target': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'cname-tlsa-alias': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'cname-to-unsigned': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'tlsa-nodata-nsec': { verdict: 'ok', codes: ['no-tlsa'] },
  'tlsa-nodata-nsec3': { verdict: 'ok', codes: ['no-tlsa'] },
  'tlsa-nxdomain-nsec': { verdict: 'ok', codes: ['no-tlsa'] },
  'tlsa-nxdomain-nsec3': { verdict: 'ok', codes: ['no-tlsa'] },
  'mx-host-unsigned': { verdict: 'warning', codes: ['tlsa-unsigned-zone', 'host-insecure'] },
  'insecure-mx-secure-host': { verdict: 'warning', codes: ['no-next-key', 'mx-insecure', 'dane-ok'] },
  'plain-no-tls': { verdict: 'warning', codes: ['plaintext-only', 'mx-insecure', 'host-insecure'] },
  'bogus-tlsa': { verdict: 'error', codes: ['dnssec-bogus'] },
  'bogus-mx': { verdict: 'error', codes: ['dnssec-bogus'] },
  'ds-mismatch': { verdict: 'error', codes: ['dnssec-bogus'] },
  'null-mx': { verdict: 'ok', codes: ['null-mx'] },
  'no-mx': { verdict: 'warning', codes: ['no-next-key', 'no-mx', 'dane-ok'] },
  nxdomain: { verdict: 'error', codes: ['domain-nxdomain'] },
  'demo-dane': { verdict: 'warning', codes: ['no-next-key', 'dane-ok'] },
  'demo-unsigned': { verdict: 'ok', codes: ['mx-insecure', 'host-insecure'] },
  'demo-botched-renewal': { verdict: 'error', codes: ['tlsa-no-match'] },
  'chk-wrong-owner': { verdict: 'warning', codes: ['tlsa-wrong-owner'] },
  'chk-wrong-port': { verdict: 'warning', codes: ['tlsa-wrong-port'] },
  'chk-island': { verdict: 'warning', codes: ['zone-island', 'mx-insecure', 'host-insecure'] },
  'chk-nsec3-iterations': { verdict: 'warning', codes: ['no-next-key', 'nsec3-iterations', 'dane-ok'] },
  'chk-digest-length': { verdict: 'warning', codes: ['tlsa-digest-length'] },
  'chk-ee-and-ta': { verdict: 'ok', codes: ['dane-ok'] },
};

let net: Internet;
const reports = new Map<string, CheckReport>();

function check(s: Scenario, extra: { days?: number; clock?: FixedClock } = {}): Promise<CheckReport> {
  const clock = extra.clock ?? systemClock;
  return checkDomain(s.domain, {
    resolver: labResolver(net, extra.clock === undefined ? {} : { clock: extra.clock }),
    clock,
    port: net.smtpPort,
    timeoutMs: 5000,
    helo: 'checker.lab',
    ...(extra.days === undefined ? {} : { days: extra.days }),
  });
}

function scenario(id: string): Scenario {
  const s = ALL_SCENARIOS.find((x) => x.id === id);
  assert.ok(s !== undefined, `scenario ${id}`);
  return s;
}

/** Commands other than EHLO/HELO, STARTTLS and QUIT that any MX host saw. */
function mailCommands(): string[] {
  return [...net.receivers.values()].flatMap((r) =>
    r.sessions.flatMap((x) => x.commands.filter((c) => !/^(EHLO|HELO|STARTTLS|QUIT)\b/i.test(c))),
  );
}

before(async () => {
  net = await startCheckerInternet('127.110.0.0');
});

after(async () => {
  await net.close();
});

test('the table covers every scenario', () => {
  assert.deepEqual(ALL_SCENARIOS.map((s) => s.id).sort(), Object.keys(EXPECTED).sort());
});

for (const s of ALL_SCENARIOS) {
  test(`check ${s.domain} (${s.id}) names its problems`, async () => {
    const want = EXPECTED[s.id];
    assert.ok(want !== undefined);
    const r = await check(s);
    reports.set(s.id, r);
    const codes = r.findings.map((f) => f.code);
    assert.deepEqual([...codes].sort(), [...want.codes].sort(), JSON.stringify(r.findings, null, 1));
    assert.equal(r.verdict, want.verdict);
    for (const f of r.findings) {
      assert.ok(f.message.length > 0 && !f.message.includes('\n'), `one-line message: ${f.message}`);
      if (f.severity !== 'info') assert.ok(f.fix !== null && f.fix.length > 0, `${f.code} has a fix`);
    }
  });
}

test('the checks sent no mail: only EHLO, STARTTLS and QUIT reached the MX hosts', () => {
  const sessions = [...net.receivers.values()].reduce((n, r) => n + r.sessions.length, 0);
  assert.ok(sessions > 30, `the checks connected (${sessions} sessions)`);
  assert.deepEqual(mailCommands(), []);
  assert.equal(
    [...net.receivers.values()].reduce((n, r) => n + r.messages.length, 0),
    0,
  );
});

/** SHA-256 of the SPKI of the first certificate in `pem` — a 3 1 1 record's data, by node:crypto. */
function spkiSha256(pem: string): string {
  const cert = new X509Certificate(pem);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

function hostPem(name: string): string {
  const h = net.hosts.find((x) => x.name === name);
  assert.ok(h?.tls !== undefined, `host ${name} has a certificate`);
  return h.tls.certChainPem;
}

test('botched renewal: the error names the stale record and the exact record to publish now', () => {
  const r = reports.get('demo-botched-renewal');
  assert.ok(r !== undefined);
  const f = r.findings.find((x) => x.code === 'tlsa-no-match');
  assert.ok(f !== undefined);
  assert.equal(f.severity, 'error');
  assert.equal(f.host, 'mx.botched-renewal.test');
  const owner = `_${net.smtpPort}._tcp.mx.botched-renewal.test.`;
  const want = `${owner} IN TLSA 3 1 1 ${spkiSha256(hostPem('mx.botched-renewal.test'))}`;
  assert.ok(f.fix?.includes(want), `fix ${f.fix ?? ''} names ${want}`);
  const published = r.hosts[0]?.tlsa?.records[0] ?? '';
  assert.match(f.message, new RegExp(published.slice(0, 16)));
  assert.equal(r.hosts[0]?.addresses[0]?.dane?.result, 'failed');
});

test('a DANE-EE success reports the record and depth 0; DANE-TA the depth of the CA', () => {
  const ee = reports.get('ee-311')?.hosts[0]?.addresses[0]?.dane;
  assert.equal(ee?.result, 'validated');
  assert.equal(ee.depth, 0);
  assert.equal(ee.record, `3 1 1 ${spkiSha256(hostPem('mx.ee-311.test'))}`);
  const ta = reports.get('ta-211')?.hosts[0]?.addresses[0]?.dane;
  assert.equal(ta?.result, 'validated');
  assert.equal(ta.depth, 1);
  assert.match(ta.record ?? '', /^2 1 1 /);
});

test('bogus answers carry their EDE reason', () => {
  const mx = reports.get('bogus-mx')?.findings[0];
  assert.match(mx?.message ?? '', /EDE 7 \(Signature Expired\)/);
  const ds = reports.get('ds-mismatch')?.findings[0];
  assert.match(ds?.message ?? '', /EDE 9 \(DNSKEY Missing\)/);
  const tlsa = reports.get('bogus-tlsa')?.findings[0];
  assert.match(tlsa?.message ?? '', /EDE 6 \(DNSSEC Bogus\)/);
});

test('--days: RRSIGs within the window warn; a DANE-TA certificate does, a DANE-EE one does not', async () => {
  const ta = await check(scenario('ta-211'), { days: 100 });
  const ee = await check(scenario('ee-311'), { days: 100 });
  const codes = (r: CheckReport): string[] => r.findings.map((f) => f.code);
  assert.ok(codes(ta).includes('rrsig-expiring') && codes(ta).includes('cert-expiring'), codes(ta).join());
  assert.ok(codes(ee).includes('rrsig-expiring'), codes(ee).join());
  assert.ok(!codes(ee).includes('cert-expiring'), 'DANE-EE ignores certificate expiry (RFC 7672 §3.1.1)');
  const leaf = new X509Certificate(hostPem('mx.ta-211.test'));
  const f = ta.findings.find((x) => x.code === 'cert-expiring');
  assert.match(f?.message ?? '', new RegExp(new Date(leaf.validTo).toISOString().slice(0, 10)));
});

test('RRSIGs expiring within the default 7 days warn when the clock is 25 days on', async () => {
  // The lab signs for 30 days from a day before its start; 25 days on, 5 days are left.
  const clock = new FixedClock(Date.now() + 25 * 86_400_000);
  const r = await check(scenario('ee-311'), { clock });
  const f = r.findings.filter((x) => x.code === 'rrsig-expiring');
  assert.equal(f.length, 1, JSON.stringify(r.findings));
  assert.match(f[0]?.message ?? '', /zone ee-311\.test\. expire at .* in [45]\.\d days/);
  assert.equal(r.verdict, 'warning');
});

test('mode recursive finds the same problems', async () => {
  for (const id of ['demo-botched-renewal', 'ta-no-ca', 'chk-island', 'chk-wrong-port', 'bogus-tlsa']) {
    const s = scenario(id);
    const r = await checkDomain(s.domain, {
      resolver: labResolver(net, { mode: 'recursive' }),
      clock: systemClock,
      port: net.smtpPort,
      timeoutMs: 5000,
    });
    assert.deepEqual(r.findings.map((f) => f.code).sort(), [...(EXPECTED[id]?.codes ?? [])].sort(), id);
  }
});

test('the JSON shape: domain, verdict, hosts, findings with severity, code, host, message, fix', () => {
  const r = JSON.parse(JSON.stringify(reports.get('first-mx-fails'))) as Record<string, unknown>;
  assert.equal(r['domain'], 'first-mx-fails.test');
  assert.equal(r['verdict'], 'error');
  assert.ok(Array.isArray(r['hosts']) && r['hosts'].length === 2);
  const findings = r['findings'] as Record<string, unknown>[];
  for (const f of findings)
    assert.deepEqual(Object.keys(f).sort(), ['code', 'fix', 'host', 'message', 'severity']);
  assert.equal(findings[0]?.['severity'], 'error', 'errors come first');
  assert.equal(findings[0]['host'], 'mx1.first-mx-fails.test');
});
