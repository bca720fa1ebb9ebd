/**
 * `dane-mta demo` end to end: run through `main()` it exits 0 and shows the three transcripts
 * with DESIGN.md's lines (DNSSEC-marked connection, X.509 subject, DANE success; the insecure-name
 * fallback and an X.509 error; a DANE failure deferred with 4.7.5), then the fourth act — the
 * botched renewal through the daemon: queued, deferred with the DANE reason in `queue list`,
 * `check` naming the record to publish, that record published, `queue retry` delivering over
 * DANE, `queue list` showing it delivered — and the summary; and the demo script reports failure
 * (ok = false, exit 70 path) when an outcome is not the expected one, in any act.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import {
  DEMO_RENEWAL_FIX,
  DEMO_SCENARIOS,
  runDemo,
  startInternet,
  type DemoDelivery,
  type DemoQueueAttempt,
  type DemoQueueSide,
  type Internet,
} from '../../src/lab/index.ts';
import { runTransaction, uniformTimeouts } from '../../src/smtp/client/index.ts';
import { captureIo } from './cli-io.ts';

test('dane-mta demo exits 0 and shows the four acts with the key lines', async () => {
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
    // The fourth act: through the daemon's queue.
    /^4\. The queue turns a DANE failure into a delay: botched-renewal\.test$/m,
    /^ {3}\$ dane-mta serve --config \S+\/dane-mta\.yaml$/m,
    /^ {3}\| relay listener 127\.84\.25\.1:\d+, queue sqlite:\S+\/queue\.db, retries 10 minutes apart$/m,
    /^ {3}SMTP to the daemon: .* → 250 2\.0\.0 Ok: queued as ([0-9A-Z]{20})$/m,
    /^ {3}\| DANE: validation failed: .+$/m,
    /^ {3}→ deferred: 4\.7\.5 .+$/m,
    /^ {3}\$ dane-mta queue list$/m,
    /^ {3}\| {5}user@botched-renewal\.test {2}deferred {2}attempts 1 next \S+ \S+ 4\.7\.5 .*DANE authentication failed.*$/m,
    /^ {3}\$ dane-mta check botched-renewal\.test$/m,
    /^ {3}\| DANE check of botched-renewal\.test \(SMTP port \d+\): ERROR .+$/m,
    /^ {3}\| +fix: publish (_\d+\._tcp\.mx\.botched-renewal\.test\. IN TLSA 3 1 1 [0-9a-f]{64}), then .+$/m,
    /^ {3}\| _\d+\._tcp\.mx\.botched-renewal\.test\. IN TLSA 3 1 1 [0-9a-f]{64}$/m,
    /^ {3}\$ dane-mta queue retry --domain botched-renewal\.test$/m,
    /^ {3}\| 1 recipient\(s\) due now$/m,
    /^ {3}\| DANE: validated successfully$/m,
    /^ {3}→ delivered \(TLS: dane\): 250 .+$/m,
    /^ {3}\| {5}user@botched-renewal\.test {2}delivered {2}attempts 2 .+$/m,
    /^ {3}\| DANE check of botched-renewal\.test \(SMTP port \d+\): (OK|WARNING) .+$/m,
    /^Summary$/m,
    /^ {2}✓ botched-renewal\.test \(queue\) +queued, deferred, fixed with the checker, then delivered over DANE$/m,
    /All four acts went as expected/,
  ];
  let at = 0;
  for (const re of lines) {
    const m = re.exec(out.slice(at));
    assert.ok(m !== null, `demo output lacks ${re} after offset ${at}:\n${out}`);
    at += m.index + m[0].length;
  }
  // What check said to publish is what was published.
  const fix = /fix: publish (\S+ IN TLSA 3 1 1 [0-9a-f]{64}),/.exec(out)?.[1];
  assert.ok(fix !== undefined);
  assert.ok(out.includes(`   | ${fix}\n`), 'the published record is the one check named');
  assert.equal((out.match(/✓ as expected/g) ?? []).length, 4);
  assert.doesNotMatch(out, /\n\s+at .+:\d+:\d+/, 'no stack trace');
});

/** Transcript lines that satisfy the catalogue's expectation for the renewal host. */
function renewalLog(net: Internet, dane: 'failed' | 'validated'): string[] {
  const ip = net.addressOf(DEMO_RENEWAL_FIX.host) ?? '';
  const connect = `Connecting to [${ip}]:${net.smtpPort} (DNSSEC)`;
  return dane === 'failed'
    ? [connect, 'X.509: /CN=x', 'DANE: validation failed: no match', 'Deferred: 4.7.5 DANE failed']
    : [connect, 'X.509: /CN=x', 'DANE: validated successfully', 'Connection is now using TLS'];
}

/** Put a message naming queue id `id` on `host`'s receiver (plain SMTP; the fake's delivery). */
async function deliverTo(net: Internet, host: string, id: string): Promise<void> {
  const r = await runTransaction({
    address: net.addressOf(host) ?? '',
    port: net.smtpPort,
    helo: 'fake.daemon.test',
    starttls: 'never',
    from: 'demo@client.lab',
    recipients: [{ address: 'user@botched-renewal.test' }],
    message: new TextEncoder().encode(`Received: by fake with ESMTP id ${id}\r\nSubject: x\r\n\r\nx\r\n`),
    timeouts: uniformTimeouts(10_000),
  });
  assert.equal(r.data?.code, 250);
}

/**
 * A stand-in for the daemon side that plays its part right (the first attempt deferred by DANE,
 * the second delivered over DANE, check naming the record that will be published) unless told
 * otherwise, so each test breaks exactly one thing.
 */
function fakeQueue(net: Internet, broken: Partial<DemoQueueSide> = {}): DemoQueueSide {
  const fixLine = (): string => {
    // The record the act will publish, computed as the lab does (publishing twice is harmless).
    const p = net.publishTlsa(DEMO_RENEWAL_FIX.host, DEMO_RENEWAL_FIX.tlsa);
    return `${p.owner} IN TLSA ${p.records.join(' ')}`;
  };
  const attempts: DemoQueueAttempt[] = [
    {
      outcome: 'deferred',
      enhanced: '4.7.5',
      reason: 'DANE failed',
      tls: null,
      reply: null,
      log: renewalLog(net, 'failed'),
    },
    {
      outcome: 'delivered',
      enhanced: '2.0.0',
      reason: 'ok',
      tls: 'dane',
      reply: { code: 250, enhanced: '2.0.0', text: 'Ok' },
      log: renewalLog(net, 'validated'),
    },
  ];
  let checks = 0;
  const states = ['deferred', 'delivered'];
  let lists = 0;
  return {
    serve: { command: 'dane-mta serve --config fake.yaml', details: [] },
    submit: () =>
      Promise.resolve({ id: '01ARZ3NDEKTSV4RRFFQ6', reply: '250 2.0.0 Ok: queued as 01ARZ3NDEKTSV4RRFFQ6' }),
    attempt: async (id, n) => {
      // The delivery the fake daemon claims: the message (with its queue id) lands on the host.
      if (n === 2) await deliverTo(net, DEMO_RENEWAL_FIX.host, id);
      return attempts[n - 1] as DemoQueueAttempt;
    },
    list: () => {
      const state = states[Math.min(lists++, 1)] ?? '';
      return Promise.resolve({
        text: `01ARZ3NDEKTSV4RRFFQ6 ${state}`,
        messages: [
          {
            id: '01ARZ3NDEKTSV4RRFFQ6',
            recipients: [{ address: 'user@botched-renewal.test', state, reason: null }],
          },
        ],
      });
    },
    check: () => {
      checks += 1;
      return Promise.resolve(
        checks === 1
          ? {
              text: 'ERROR',
              verdict: 'error',
              findings: [{ severity: 'error', code: 'tlsa-no-match', fix: `publish ${fixLine()}, then …` }],
            }
          : { text: 'OK', verdict: 'ok', findings: [] },
      );
    },
    retry: () => Promise.resolve('1 recipient(s) due now\n'),
    passTime: () => undefined,
    ...broken,
  };
}

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

test('the demo reports an unexpected outcome (a broken build) with ok = false', async () => {
  const net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.85.0.0' });
  try {
    let text = '';
    // A "client" that defers everything: the first two steps are then not as expected.
    const res = await runDemo({
      internet: net,
      deliver: deferAll,
      queue: fakeQueue(net),
      out: (t) => (text += t),
    });
    assert.equal(res.ok, false);
    assert.ok((res.problems[0] ?? []).some((p) => p.startsWith('outcome deferred, expected delivered')));
    assert.ok((res.problems[1] ?? []).length > 0);
    assert.deepEqual(res.problems[3], [], 'the fake daemon side plays its part');
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
      queue: fakeQueue(net, { submit: () => Promise.reject(new Error('intake exploded')) }),
      out: (t) => (text += t),
    });
    assert.equal(res.ok, false);
    assert.match(text, /the delivery failed to run: resolver exploded/);
    assert.deepEqual(res.problems[3], ['the act failed to run: intake exploded']);
  } finally {
    await net.close();
  }
});

test('the fourth act fails when the daemon, the queue or the checker misbehaves', async () => {
  const net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.85.0.0' });
  try {
    const cases: [string, (fake: DemoQueueSide) => Partial<DemoQueueSide>, RegExp][] = [
      [
        'the retry delivers without DANE',
        (f) => ({
          attempt: async (id, n) =>
            n === 1 ? f.attempt(id, n) : { ...(await f.attempt(id, n)), tls: 'encrypted' },
        }),
        /tls encrypted, expected dane/,
      ],
      [
        'the message is lost instead of deferred',
        (f) => ({
          list: async () => {
            const l = await f.list();
            return { ...l, messages: [] };
          },
        }),
        /queue list shows 01ARZ3NDEKTSV4RRFFQ6 as missing, expected deferred/,
      ],
      [
        'check names another record',
        () => ({
          check: () =>
            Promise.resolve({
              text: 'ERROR',
              verdict: 'error',
              findings: [{ severity: 'error', code: 'tlsa-no-match', fix: 'publish something else' }],
            }),
        }),
        /the checker's fix does not name the published record/,
      ],
      [
        'no second attempt comes',
        (f) => ({
          attempt: (id, n) =>
            n === 1 ? f.attempt(id, n) : Promise.reject(new Error('no attempt 2 within 20 s')),
        }),
        /the act failed to run: no attempt 2 within 20 s/,
      ],
    ];
    for (const [what, breakIt, want] of cases) {
      const fake = fakeQueue(net);
      const res = await runDemo({
        internet: net,
        deliver: deferAll,
        queue: { ...fake, ...breakIt(fake) },
        out: () => undefined,
      });
      assert.equal(res.ok, false, what);
      assert.match((res.problems[3] ?? []).join('; '), want, what);
    }
  } finally {
    await net.close();
  }
});
