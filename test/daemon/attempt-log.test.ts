/**
 * DESIGN.md "Observability": one JSON log line per delivery attempt,
 * `{"event":"attempt","id","domain","recipients","outcome", …the attempt record of the CLI
 * contract (mx, address, dnssec, tlsa, tls, dane, reply, error), "transcript":[…]}`, read from
 * the standard output of a real `dane-mta serve` — every field name and its value for a DANE
 * delivery and for a DANE failure (deferred). Lab 127.158.0.0/16, intake 127.158.200.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SCENARIOS, startInternet, type Internet } from '../../src/lab/index.ts';
import {
  childIntake,
  daemonWorld,
  killServes,
  queuedId,
  spawnServe,
  submit,
  type DaemonWorld,
  type LogLine,
  type ServeProcess,
} from './harness.ts';

let net: Internet;
let world: DaemonWorld;
let serve: ServeProcess;
let intake: { address: string; port: number };

before(async () => {
  const ids = ['ee-311', 'demo-botched-renewal'];
  net = await startInternet({
    baseAddress: '127.158.0.0',
    scenarios: SCENARIOS.filter((s) => ids.includes(s.id)),
  });
  world = await daemonWorld(net, { listen: '127.158.200.1', retry: '1h' });
  serve = spawnServe(world);
  intake = await childIntake(serve);
});

after(async () => {
  serve.child.kill('SIGTERM');
  await serve.exited;
  killServes();
  await world.close();
  await net.close();
});

/** DESIGN.md's names, in its order; pino adds level, time, pid and msg. */
const DESIGN_FIELDS = [
  'event',
  'id',
  'domain',
  'recipients',
  'outcome',
  'mx',
  'address',
  'dnssec',
  'tlsa',
  'tls',
  'dane',
  'reply',
  'error',
  'transcript',
];

async function attemptFor(to: string, tag: string): Promise<{ id: string; line: LogLine }> {
  const mark = serve.stdout.length;
  const r = await submit(intake, {
    from: 'log@client.daemon.test',
    to: [to],
    body: `Message-ID: <${tag}@client.daemon.test>\r\nSubject: ${tag}\r\n\r\nlog line test\r\n`,
  });
  const id = queuedId(r);
  const line = await serve.logLine(
    (e) => e.event === 'attempt' && e['id'] === id,
    `of the attempt of ${id}`,
    {
      from: mark,
    },
  );
  return { id, line };
}

function assertCommon(line: LogLine, id: string, domain: string, to: string): void {
  for (const k of DESIGN_FIELDS) assert.ok(k in line, `field ${k} is there`);
  assert.equal(line.event, 'attempt');
  assert.equal(line['id'], id);
  assert.equal(line['domain'], domain);
  assert.deepEqual(line['recipients'], [to]);
  assert.equal(line['pid'], serve.child.pid);
  assert.ok(!Number.isNaN(Date.parse(String(line['time']))), 'an ISO time');
  const transcript = line['transcript'];
  assert.ok(Array.isArray(transcript) && transcript.every((l) => typeof l === 'string'));
}

test('a DANE delivery: every field of the attempt line', async () => {
  const to = 'user@ee-311.test';
  const { id, line } = await attemptFor(to, 'log-ok');
  assertCommon(line, id, 'ee-311.test', to);
  const address = net.addressOf('mx.ee-311.test');
  assert.equal(line['level'], 30, 'info');
  assert.equal(line.msg, `${id} → ee-311.test: delivered 2.6.0 (dane) ${String(line['reason'])}`);
  assert.equal(line['outcome'], 'delivered');
  assert.equal(line['mx'], 'mx.ee-311.test');
  assert.equal(line['address'], address);
  assert.equal(line['dnssec'], 'secure');
  const tlsa = line['tlsa'];
  assert.ok(
    Array.isArray(tlsa) && tlsa.length === 1 && /^3 1 1 [0-9a-f]{64}$/.test(String(tlsa[0])),
    String(tlsa),
  );
  assert.equal(line['tls'], 'dane');
  assert.equal(line['dane'], 'validated');
  const reply = line['reply'] as { code: number; enhanced: string; text: string };
  assert.equal(reply.code, 250);
  assert.equal(reply.enhanced, '2.6.0');
  assert.equal(typeof reply.text, 'string');
  assert.equal(line['error'], null);
  const transcript = line['transcript'] as string[];
  const at = (text: string) => transcript.indexOf(text);
  assert.ok(at(`Connecting to [${address ?? ''}]:${net.smtpPort} (DNSSEC)`) >= 0, transcript.join('\n'));
  assert.ok(
    transcript.some((l) => l.startsWith('X.509: /CN=mx.ee-311.test')),
    transcript.join('\n'),
  );
  assert.ok(
    at('DANE: validated successfully') > at(`Connecting to [${address ?? ''}]:${net.smtpPort} (DNSSEC)`),
  );
  assert.ok(at('Connection is now using TLS') > at('DANE: validated successfully'));
});

test('a DANE failure: deferred, the failure in dane and error', async () => {
  const to = 'user@botched-renewal.test';
  const { id, line } = await attemptFor(to, 'log-dane-fail');
  assertCommon(line, id, 'botched-renewal.test', to);
  const address = net.addressOf('mx.botched-renewal.test');
  assert.equal(line['level'], 40, 'warn');
  assert.equal(line['outcome'], 'deferred');
  assert.equal(line['enhanced'], '4.7.5');
  assert.equal(line['mx'], 'mx.botched-renewal.test');
  assert.equal(line['address'], address);
  assert.equal(line['dnssec'], 'secure');
  const tlsa = line['tlsa'];
  assert.ok(
    Array.isArray(tlsa) && tlsa.length === 1 && /^3 1 1 [0-9a-f]{64}$/.test(String(tlsa[0])),
    String(tlsa),
  );
  assert.equal(line['dane'], 'failed');
  // The handshake failed before any reply of its own: the record carries the server's greeting.
  assert.deepEqual(line['reply'], { code: 220, enhanced: null, text: 'mx.botched-renewal.test ESMTP' });
  assert.match(
    String(line['error']),
    /DANE authentication failed: no TLSA record .* matches the server certificate chain/,
  );
  const transcript = line['transcript'] as string[];
  assert.ok(
    transcript.includes(`Connecting to [${address ?? ''}]:${net.smtpPort} (DNSSEC)`),
    transcript.join('\n'),
  );
  assert.ok(
    transcript.some((l) => l.startsWith('DANE: validation failed: no TLSA record')),
    transcript.join('\n'),
  );
  assert.ok(
    !transcript.includes('Connection is now using TLS'),
    'nothing was sent over the unauthenticated session',
  );
});
