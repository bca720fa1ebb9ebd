/**
 * `dane-mta demo` end to end: run through `main()` it exits 0 and shows the three transcripts
 * with DESIGN.md's lines (DNSSEC-marked connection, X.509 subject, DANE success; the insecure-name
 * fallback and an X.509 error; a DANE failure deferred with 4.7.5) and the summary; and the demo
 * script reports failure (ok = false, exit 70 path) when an outcome is not the expected one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { DEMO_SCENARIOS, runDemo, startInternet, type DemoDelivery } from '../../src/lab/index.ts';
import { captureIo } from './cli-io.ts';

test('dane-mta demo exits 0 and shows the three deliveries with the key lines', async () => {
  const cap = captureIo();
  const started = Date.now();
  const code = await main(['demo', '--base-address', '127.84.0.0'], cap.io);
  const out = cap.stdout();
  assert.equal(code, 0, `${out}\n${cap.stderr()}`);
  assert.equal(cap.stderr(), '');
  assert.ok(Date.now() - started < 30_000, 'the demo takes less than 30 seconds');
  const lines = [
    /^ {3}\| Connecting to \[127\.84\.20\.1\]:\d+ \(DNSSEC\)$/m,
    /^ {3}\| X\.509: \/CN=mx1\.dane-signed\.test$/m,
    /^ {3}\| DANE: validated successfully$/m,
    /^ {3}\| Connection is now using TLS$/m,
    /^ {3}\| Connecting to \[127\.84\.20\.2\]:\d+$/m,
    /^ {3}\| DANE: insecure name unsigned\.test \(falling back to optional TLS\)$/m,
    /^ {3}\| X\.509 error: .+ \(\d+\)$/m,
    /^ {3}\| DANE: validation failed: .+$/m,
    /^ {3}→ deferred 4\.7\.5: .+$/m,
    /^Summary$/m,
    /All three outcomes as expected/,
  ];
  let at = 0;
  for (const re of lines) {
    const m = re.exec(out.slice(at));
    assert.ok(m !== null, `demo output lacks ${re} after offset ${at}:\n${out}`);
    at += m.index + m[0].length;
  }
  assert.equal((out.match(/✓ as expected/g) ?? []).length, 3);
  assert.doesNotMatch(out, /\n\s+at .+:\d+:\d+/, 'no stack trace');
});

test('the demo reports an unexpected outcome (a broken build) with ok = false', async () => {
  const net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.85.0.0' });
  try {
    let text = '';
    // A "client" that defers everything: the first two steps are then not as expected.
    const deferAll = (): Promise<DemoDelivery> =>
      Promise.resolve({
        outcome: 'deferred',
        enhanced: '4.4.1',
        reason: 'simulated failure',
        tls: null,
        reply: null,
        attempts: [],
        log: ['Deferred: 4.4.1 simulated failure'],
      });
    const res = await runDemo({ internet: net, deliver: deferAll, out: (t) => (text += t) });
    assert.equal(res.ok, false);
    assert.ok((res.problems[0] ?? []).some((p) => p.startsWith('outcome deferred, expected delivered')));
    assert.ok((res.problems[1] ?? []).length > 0);
    assert.match(text, /✗ NOT as expected/);
    assert.match(text, /this build of dane-mta is broken/);
  } finally {
    await net.close();
  }
});

test('a delivery that throws is reported, not a crash', async () => {
  const net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.85.0.0' });
  try {
    let text = '';
    const res = await runDemo({
      internet: net,
      deliver: () => Promise.reject(new Error('resolver exploded')),
      out: (t) => (text += t),
    });
    assert.equal(res.ok, false);
    assert.match(text, /the delivery failed to run: resolver exploded/);
  } finally {
    await net.close();
  }
});
