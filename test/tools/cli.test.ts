/**
 * The `check`, `tlsa` and `web` commands end to end, in-process, against the simulated Internet
 * with the lab's trust-anchor file and the DNS flags every command takes: the readable report and
 * its fix, --json, the exit status (0 no error, 1 an error, 75 could not tell, 64 bad usage),
 * and `web` serving until it is told to stop. Loopback only, lab base address 127.114.0.0.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { runWeb } from '../../src/cli/commands/web.ts';
import { parseCommandArgs } from '../../src/cli/command.ts';
import { webCommand } from '../../src/cli/commands/web.ts';
import type { CheckReport } from '../../src/check/index.ts';
import type { Internet } from '../../src/lab/index.ts';
import { captureIo } from '../e2e/cli-io.ts';
import { startCheckerInternet } from './scenarios.ts';

let net: Internet;

before(async () => {
  net = await startCheckerInternet('127.114.0.0');
});

after(async () => {
  await net.close();
});

function dns(): string[] {
  return ['--resolver', `${net.allZonesAddress}:${net.dnsPort}`, '--trust-anchor', net.files.trustAnchor];
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const cap = captureIo();
  const code = await main(argv, cap.io);
  return { code, out: cap.stdout(), err: cap.stderr() };
}

test('check botched-renewal.test: exit 1, the report per host, and the fix with the record to publish', async () => {
  const r = await run([
    'check',
    'botched-renewal.test',
    ...dns(),
    '--port',
    String(net.smtpPort),
    '--helo',
    'cli.lab',
  ]);
  assert.equal(r.code, 1, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /^DANE check of botched-renewal\.test \(SMTP port \d+\): ERROR/);
  assert.match(r.out, /^ {2}mx\.botched-renewal\.test \(preference 10\)$/m);
  assert.match(r.out, /^ {4}TLSA at _\d+\._tcp\.mx\.botched-renewal\.test\. \(secure\):$/m);
  assert.match(r.out, /^ {6}DANE: failed: no TLSA record/m);
  assert.match(r.out, /^ {2}ERROR {3}tlsa-no-match \(mx\.botched-renewal\.test\): /m);
  assert.match(
    r.out,
    new RegExp(
      `fix: publish _${net.smtpPort}\\._tcp\\.mx\\.botched-renewal\\.test\\. IN TLSA 3 1 1 [0-9a-f]{64}, then remove`,
    ),
  );
});

test('check --json of a DANE-TA domain that works: exit 0, verdict ok', async () => {
  const r = await run(['check', 'ta-201.test', ...dns(), '--port', String(net.smtpPort), '--json']);
  assert.equal(r.code, 0, r.err);
  const body = JSON.parse(r.out) as CheckReport;
  assert.equal(body.domain, 'ta-201.test');
  assert.equal(body.verdict, 'ok');
  assert.deepEqual(
    body.findings.map((f) => f.code),
    ['dane-ok'],
  );
  assert.equal(body.hosts[0]?.addresses[0]?.dane?.depth, 1);
});

test('check with --days: warnings only, exit 0', async () => {
  const r = await run([
    'check',
    'ee-311.test',
    ...dns(),
    '--port',
    String(net.smtpPort),
    '--days',
    '60',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const body = JSON.parse(r.out) as CheckReport;
  assert.equal(body.verdict, 'warning');
  assert.ok(body.findings.some((f) => f.code === 'rrsig-expiring'));
});

test('check when lookups fail: exit 75, verdict unknown', async () => {
  // Nothing listens on this address: every query fails.
  const r = await run([
    'check',
    'ee-311.test',
    '--resolver',
    '127.114.255.250:9',
    '--trust-anchor',
    net.files.trustAnchor,
    '--timeout',
    '1',
    '--json',
  ]);
  assert.equal(r.code, 75, r.err);
  const body = JSON.parse(r.out) as CheckReport;
  assert.equal(body.verdict, 'unknown');
  assert.deepEqual(
    body.findings.map((f) => f.code),
    ['lookup-failed'],
  );
});

const BAD: readonly [string[], RegExp][] = [
  [['check'], /missing argument/],
  [['check', '192.0.2.1'], /address literal/],
  [['check', 'user@example.org'], /mail address/],
  [['check', 'example.org', '--days', 'soon'], /--days: 'soon' is not a whole number/],
  [['check', 'example.org', '--port', '0'], /--port: 0 is out of range/],
  [['check', 'example.org', '--dns-mode', 'guess'], /--dns-mode/],
  [['tlsa'], /missing argument/],
  [['tlsa', '/no/such/cert.pem'], /cannot read the certificate or key file \/no\/such\/cert\.pem/],
  [['tlsa', '/dev/null'], /holds no PEM certificate or key/],
  [['tlsa', '/dev/null', '--usage', '0'], /unusable for SMTP/],
  [['web'], /missing --listen/],
  [['web', '--listen', 'localhost:80'], /--listen: 'localhost:80' is not ADDR:PORT/],
  [['web', '--listen', '127.0.0.1:8080', 'extra'], /unexpected argument 'extra'/],
];

for (const [argv, re] of BAD) {
  test(`bad usage: dane-mta ${argv.join(' ')}`, async () => {
    const r = await run(argv);
    assert.equal(r.code, 64, r.err);
    assert.match(r.err, re);
    assert.equal(r.err.trimEnd().split('\n').length, 1);
    assert.equal(r.out, '');
  });
}

test('web serves the checker until told to stop', async () => {
  const cap = captureIo();
  let stop = (): void => undefined;
  const until = new Promise<void>((r) => (stop = r));
  const args = parseCommandArgs(webCommand, [
    '--listen',
    '127.114.255.1:0',
    '--allow-private',
    '--port',
    String(net.smtpPort),
    ...dns(),
  ]);
  const running = runWeb(args, cap.io, { until });
  const line = await cap.waitFor('listening on');
  const url = /listening on (http:\/\/\S+\/)/.exec(line)?.[1];
  assert.ok(url !== undefined, line);
  assert.match(line, /private MX addresses allowed/);
  const res = await fetch(new URL('/api/check?domain=null-mx.test', url));
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as CheckReport).findings[0]?.code, 'null-mx');
  stop();
  assert.equal(await running, 0);
  assert.match(cap.stdout(), /dane-mta web: stopped/);
  await assert.rejects(fetch(url), 'the server is closed');
});

test('web on an address it cannot listen on: exit 78, one line', async () => {
  const r = await run(['web', '--listen', '192.0.2.1:8080', ...dns()]);
  assert.equal(r.code, 78, r.err);
  assert.match(r.err, /cannot listen on 192\.0\.2\.1:8080/);
  assert.equal(r.err.trimEnd().split('\n').length, 1);
});
