/**
 * The web checker over HTTP against the simulated Internet: the form, a shareable report page
 * rendered by the server (no script, no external asset, everything escaped), the JSON API with
 * the shape of `check --json`, address literals refused, MX addresses in private ranges refused
 * unless allowed (and then never connected to), checks bounded per client and in time, and only
 * GET served. Probes that block are released by the test itself — nothing waits on a clock but
 * the checker's own deadlines. Loopback only, lab base address 127.111.0.0.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  checkDomain,
  smtpProbe,
  type CheckReport,
  type Probe,
  type ProbeResult,
} from '../../src/check/index.ts';
import type { Internet } from '../../src/lab/index.ts';
import { systemClock } from '../../src/util/index.ts';
import { startWebChecker, type WebChecker, type WebCheckerOptions } from '../../src/web/index.ts';
import { labResolver, startCheckerInternet } from './scenarios.ts';

let net: Internet;
const servers: WebChecker[] = [];

before(async () => {
  net = await startCheckerInternet('127.111.0.0');
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await net.close();
});

async function web(extra: Partial<WebCheckerOptions> = {}): Promise<WebChecker> {
  const w = await startWebChecker({
    resolver: labResolver(net),
    clock: systemClock,
    listen: { address: '127.111.255.1', port: 0 },
    smtpPort: net.smtpPort,
    smtpTimeoutMs: 5000,
    allowPrivate: true,
    ...extra,
  });
  servers.push(w);
  return w;
}

async function get(
  w: WebChecker,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(new URL(path, w.url), init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

test('GET / is the form: GET to /?domain=, no script, a strict content security policy', async () => {
  const w = await web();
  const r = await get(w, '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(r.body, /<form method="get" action="\/">/);
  assert.match(r.body, /<input id="domain" name="domain"/);
  assert.doesNotMatch(r.body, /<script|<link|src=|@import|url\(/i);
  assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
});

test('a report page: verdict, findings with fixes, hosts table, and links to share and to the JSON', async () => {
  const w = await web();
  const r = await get(w, '/?domain=botched-renewal.test');
  assert.equal(r.status, 200);
  assert.match(r.body, /<p class="verdict v-error" id="verdict">Error — DANE fails/);
  assert.match(r.body, /<code class="code">tlsa-no-match<\/code>/);
  assert.match(
    r.body,
    new RegExp(`publish _${net.smtpPort}\\._tcp\\.mx\\.botched-renewal\\.test\\. IN TLSA 3 1 1 [0-9a-f]{64}`),
  );
  assert.match(r.body, /<a href="\/\?domain=botched-renewal\.test">/);
  assert.match(r.body, /<a href="\/api\/check\?domain=botched-renewal\.test">/);
  assert.match(r.body, /<table id="hosts">[\s\S]*mx\.botched-renewal\.test/);
  assert.match(r.body, /value="botched-renewal\.test"/, 'the form keeps the domain');
});

test('the JSON API has the shape of check --json and the same findings', async () => {
  const w = await web();
  const r = await get(w, '/api/check?domain=ta-no-ca.test');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(r.body) as CheckReport;
  const direct = await checkDomain('ta-no-ca.test', {
    resolver: labResolver(net),
    clock: systemClock,
    port: net.smtpPort,
    timeoutMs: 5000,
  });
  assert.deepEqual(Object.keys(body).sort(), Object.keys(direct).sort());
  assert.equal(body.domain, 'ta-no-ca.test');
  assert.equal(body.verdict, 'error');
  assert.deepEqual(
    body.findings.map((f) => [f.severity, f.code, f.host]),
    direct.findings.map((f) => [f.severity, f.code, f.host]),
  );
});

test('address literals and junk are refused with a clear message, escaped', async () => {
  const w = await web();
  for (const q of ['192.0.2.1', '[IPv6:2001:db8::1]', '%3Cscript%3Ealert(1)%3C%2Fscript%3E']) {
    const page = await get(w, `/?domain=${q}`);
    assert.equal(page.status, 400, q);
    assert.match(page.body, /<p class="error" id="error">/);
    assert.doesNotMatch(page.body, /<script>/);
    const api = await get(w, `/api/check?domain=${q}`);
    assert.equal(api.status, 400);
    const err = (JSON.parse(api.body) as { error: string }).error;
    assert.ok(!err.includes('\n'));
    if (!q.startsWith('%')) assert.match(err, /address literal/);
  }
  assert.equal((await get(w, '/api/check')).status, 400);
});

test('MX addresses in private ranges are refused unless allowed, and never connected to', async () => {
  const w = await web({ allowPrivate: false });
  const receiver = net.receivers.get('mx.ee-311.test');
  assert.ok(receiver !== undefined);
  const before = receiver.sessions.length;
  const r = await get(w, '/api/check?domain=ee-311.test');
  const body = JSON.parse(r.body) as CheckReport;
  const refused = body.findings.filter((f) => f.code === 'address-refused');
  assert.equal(refused.length, 1);
  assert.match(refused[0]?.message ?? '', /loopback address 127\.111\.20\.\d+/);
  assert.equal(body.verdict, 'unknown');
  assert.equal(body.hosts[0]?.addresses[0]?.probed, false);
  assert.equal(receiver.sessions.length, before, 'no SMTP session reached the MX host');
});

/** A probe that waits until the test releases it (and records that it was called). */
function gatedProbe(): { probe: Probe; called: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  let called = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const calledP = new Promise<void>((r) => (called = r));
  return {
    probe: async (t) => {
      called();
      await gate;
      return smtpProbe(t);
    },
    called: calledP,
    release: () => {
      release();
    },
  };
}

test('checks are bounded per client: a second check while one runs gets 429', async () => {
  const g = gatedProbe();
  const w = await web({ perClient: 1, probe: g.probe });
  const first = get(w, '/api/check?domain=ee-311.test');
  await g.called;
  const second = await get(w, '/api/check?domain=ta-201.test');
  assert.equal(second.status, 429);
  assert.match((JSON.parse(second.body) as { error: string }).error, /already have checks running/);
  g.release();
  const done = await first;
  assert.equal(done.status, 200);
  assert.equal((JSON.parse(done.body) as CheckReport).verdict, 'warning');
  assert.equal((await get(w, '/api/check?domain=ta-201.test')).status, 200, 'the slot is free again');
});

test('checks are bounded in time: past the budget the probe is aborted and the report says so', async () => {
  let aborted = false;
  const probe: Probe = (t) =>
    new Promise<ProbeResult>((resolve) => {
      t.signal?.addEventListener('abort', () => {
        aborted = true;
        resolve({
          connected: false,
          starttls: null,
          error: { stage: 'connect', message: 'aborted by the caller' },
        });
      });
    });
  const w = await web({ checkTimeoutMs: 200, probe });
  const r = await get(w, '/api/check?domain=ee-311.test');
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body) as CheckReport;
  assert.ok(aborted);
  assert.ok(body.findings.some((f) => f.code === 'check-timeout'));
  assert.equal(body.verdict, 'unknown');
});

test('a check that ignores its deadline gets 504, and its slot stays taken until it ends', async () => {
  const g = gatedProbe();
  const w = await web({ checkTimeoutMs: 100, graceMs: 100, perClient: 1, probe: g.probe });
  const r = await get(w, '/api/check?domain=ee-311.test');
  assert.equal(r.status, 504);
  assert.match((JSON.parse(r.body) as { error: string }).error, /took too long/);
  assert.equal((await get(w, '/api/check?domain=ta-201.test')).status, 429);
  g.release();
});

test('only GET: POST is 405, other paths 404', async () => {
  const w = await web();
  assert.equal((await get(w, '/', { method: 'POST', body: 'domain=x' })).status, 405);
  assert.equal((await get(w, '/etc/passwd')).status, 404);
  assert.equal((await get(w, '/favicon.ico')).status, 404);
});
