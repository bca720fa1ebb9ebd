/**
 * Start and stop: listeners that cannot start fail with one line and start nothing; close()
 * stops accepting, ends idle sessions with 421, lets a message in DATA finish and be stored,
 * and ends a stalled one when the grace period is over (nothing stored). Connection limit.
 * Addresses: 127.130.4.0/24.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IntakeError, startIntake } from '../../src/smtp/server/index.ts';
import { FixedClock, seededRandom } from '../../src/util/index.ts';
import { MemoryQueue, standInQueueId } from '../helpers/memory-queue.ts';
import { LIMITS, relay, SmtpTestClient, startTestIntake, submission } from './kit.ts';

const SERVER = '127.130.4.1';
const CLIENT = '127.130.4.2';

const base = {
  hostname: 'mta.intake.test',
  limits: LIMITS,
  newId: standInQueueId,
  clock: new FixedClock(0),
  random: seededRandom(4),
};

test('listeners that cannot start: one line naming the listener; nothing keeps running', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dane-mta-intake-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'bad.pem'), 'not a certificate');
  writeFileSync(join(dir, 'users'), 'alice\n');
  const queue = new MemoryQueue();
  const cases: [Parameters<typeof startIntake>[0]['listen'], RegExp][] = [
    [
      [
        submission(
          SERVER,
          { cert: join(dir, 'missing.pem'), key: join(dir, 'missing.pem') },
          join(dir, 'users'),
        ),
      ],
      /^listen\[0\]: \/\S+\/users:1: expected name:hash$/,
    ],
    [
      [relay(SERVER, ['127.0.0.1/32'], { cert: join(dir, 'missing.pem'), key: join(dir, 'missing.pem') })],
      /^listen\[0\]: cannot read the TLS certificate or key \(ENOENT/,
    ],
    [
      [relay(SERVER, ['127.0.0.1/32'], { cert: join(dir, 'bad.pem'), key: join(dir, 'bad.pem') })],
      /^listen\[0\]: bad TLS certificate or key/,
    ],
  ];
  for (const [listen, re] of cases) {
    await assert.rejects(
      startIntake({ ...base, listen, queue }),
      (e: unknown) => e instanceof IntakeError && re.test(e.message) && !e.message.includes('\n'),
    );
  }
  const first = await startIntake({ ...base, listen: [relay(SERVER, [])], queue });
  t.after(() => first.close({ graceMs: 0 }));
  const port = first.listeners[0]!.port;
  const second = { ...relay(SERVER, []), address: { host: SERVER, port } };
  await assert.rejects(
    startIntake({ ...base, listen: [relay('127.130.4.9', []), second], queue }),
    (e: unknown) =>
      e instanceof IntakeError &&
      /^listen\[1\]: cannot listen on 127\.130\.4\.1:\d+ \(.*EADDRINUSE/.test(e.message),
  );
  // The first listener of the failed start was closed again: its address is free.
  const again = await startIntake({ ...base, listen: [relay('127.130.4.9', [])], queue });
  await again.close({ graceMs: 0 });
});

test('close(): no new connections, idle sessions get 421, a message in DATA finishes and is stored', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${CLIENT}/32`])]);
  const port = run.port();
  const busy = (await SmtpTestClient.connect(SERVER, port, CLIENT)).client;
  const idle = (await SmtpTestClient.connect(SERVER, port, CLIENT)).client;
  await busy.command('EHLO busy.example');
  await idle.command('EHLO idle.example');
  await busy.command('MAIL FROM:<a@example.com>');
  await busy.command('RCPT TO:<b@example.org>');
  assert.equal((await busy.command('DATA')).code, 354);
  busy.write('Subject: in flight\r\n\r\nfirst half\r\n');

  const closing = run.intake.close({ graceMs: 60_000 });
  const bye = await idle.reply();
  assert.deepEqual([bye.code, bye.enhanced], [421, '4.3.2']);
  await idle.closed;
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = connect({ host: SERVER, port, localAddress: CLIENT });
      s.on('connect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.on('error', reject);
    }),
    /ECONNREFUSED/,
  );
  busy.write('second half\r\n.\r\n');
  const done = await busy.reply();
  assert.equal(done.code, 250);
  const after = await busy.command('MAIL FROM:<a@example.com>');
  assert.equal(after.code, 421, 'no new transaction while shutting down');
  await closing;
  assert.equal(run.queue.messages.length, 1);
  assert.match(Buffer.from(run.queue.messages[0]!.body).toString(), /first half\r\nsecond half\r\n$/);
});

test('close(): a client stalled in DATA is ended when the grace period is over; nothing stored', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${CLIENT}/32`])]);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  await client.command('EHLO stall.example');
  await client.command('MAIL FROM:<a@example.com>');
  await client.command('RCPT TO:<b@example.org>');
  assert.equal((await client.command('DATA')).code, 354);
  client.write('Subject: never finished\r\n\r\n');
  await run.intake.close({ graceMs: 20 });
  const r = await client.reply();
  assert.equal(r.code, 421);
  await client.closed;
  assert.equal(run.queue.attempts, 0);
});

test('connection limit: the client over it gets 421 and is disconnected', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${CLIENT}/32`])], {
    limits: { ...LIMITS, connections: 2 },
  });
  const a = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  const b = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  assert.equal(a.greeting.code, 220);
  assert.equal(b.greeting.code, 220);
  const c = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  assert.equal(c.greeting.code, 421);
  assert.match(c.greeting.text, /Too many connected clients/);
  await c.client.closed;
  assert.equal((await a.client.command('NOOP')).code, 250);
});

test('a silent client is ended after command_timeout with 421', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${CLIENT}/32`])], {
    // Longer than smtp-server's fixed 100 ms wait before the greeting (its early-talker check).
    limits: { ...LIMITS, command_timeout: 500 },
  });
  const { client, greeting } = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  assert.equal(greeting.code, 220);
  assert.equal((await client.command('EHLO quiet.example')).code, 250);
  const r = await client.reply();
  assert.equal(r.code, 421);
  assert.match(r.text, /Timeout/);
  await client.closed;
  await run.waitFor('disconnected');
});
