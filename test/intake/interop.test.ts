/**
 * Intake against real clients from Debian's packages: swaks (plain with PIPELINING, from an
 * address outside `networks`, STARTTLS + AUTH PLAIN to a submission listener, a wrong password)
 * and Postfix's smtp-source (many messages over several sessions, and an oversize message).
 * Interop address plan N = 27: our listeners on 127.25.27.1, clients from 127.25.27.2 (trusted)
 * and 127.25.27.3 (not). Skipped without the tools unless DANE_MTA_INTEROP=1.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { hashPassword } from '../../src/smtp/server/index.ts';
import { seededRandom } from '../../src/util/index.ts';
import { addressPlan, requireTools, runCommand, runSwaks, swaksArgs, testScope } from '../interop/index.ts';
import { bodyText, LIMITS, relay, startTestIntake, submission, testCertificate } from './kit.ts';

const net = addressPlan(27);
const SERVER = net.smtp(1);
const TRUSTED = net.smtp(2);
const OUTSIDER = net.smtp(3);

test('swaks relays through a relay listener with PIPELINING', async (t) => {
  if (!requireTools(t, ['swaks'])) return;
  const run = await startTestIntake(t, [relay(SERVER, [`${TRUSTED}/32`])]);
  const r = await runSwaks({
    server: SERVER,
    port: run.port(),
    from: 'alice@example.com',
    to: 'bob@example.org,carol@example.net',
    tls: false,
    localAddress: TRUSTED,
    headers: ['Subject: swaks relay'],
    body: 'hello from swaks',
  });
  assert.equal(r.exitCode, 0, r.transcript);
  assert.match(r.transcript, /<-\s+250 2\.0\.0 Ok: queued as [0-9A-Z]{20}/);
  assert.equal(run.queue.messages.length, 1);
  const m = run.queue.messages[0]!;
  assert.deepEqual(
    m.recipients.map((x) => [x.address, x.domain]),
    [
      ['bob@example.org', 'example.org'],
      ['carol@example.net', 'example.net'],
    ],
  );
  assert.match(
    bodyText(m.body),
    /^Received: from swaks\.interop\.example \(\[127\.25\.27\.2\]\)\r\n\tby mta\.intake\.test \(dane-mta\) with ESMTP id /,
  );
  assert.match(bodyText(m.body), /Subject: swaks relay\r\n[\s\S]*hello from swaks/);
});

test('swaks from outside networks is refused 554 5.7.1: no open relay', async (t) => {
  if (!requireTools(t, ['swaks'])) return;
  const run = await startTestIntake(t, [relay(SERVER, [`${TRUSTED}/32`])]);
  const r = await runSwaks({
    server: SERVER,
    port: run.port(),
    from: 'spam@example.net',
    to: 'victim@example.org',
    tls: false,
    localAddress: OUTSIDER,
  });
  assert.notEqual(r.exitCode, 0);
  assert.match(r.transcript, /<\*\* 554 5\.7\.1 <victim@example\.org>: Relay access denied/);
  assert.equal(run.queue.attempts, 0);
});

async function submissionIntake(t: TestContext) {
  const cert = testCertificate(t);
  if (cert === undefined) return undefined;
  const scope = await testScope(t, 'intake-users');
  const users = join(scope.dir, 'users');
  writeFileSync(
    users,
    `alice:${await hashPassword('wonderland', { random: seededRandom(9), params: { ln: 10, r: 8, p: 1 } })}\n`,
  );
  return startTestIntake(t, [submission(SERVER, cert, users)]);
}

test('swaks submits with STARTTLS and AUTH PLAIN; a wrong password gets 535 5.7.8', async (t) => {
  if (!requireTools(t, ['swaks', 'openssl'])) return;
  const run = await submissionIntake(t);
  if (run === undefined) return;
  const base = swaksArgs({
    server: SERVER,
    port: run.port(),
    from: 'alice@example.com',
    to: 'bob@example.org',
    tls: true,
    localAddress: TRUSTED,
  });
  const good = await runCommand(
    'swaks',
    [...base, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland'],
    { allowFailure: true },
  );
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.equal(run.queue.messages.length, 1);
  const m = run.queue.messages[0]!;
  assert.equal(m.origin?.user, 'alice');
  assert.match(bodyText(m.body), /with ESMTPSA id /);
  const bad = await runCommand(
    'swaks',
    [...base, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'looking-glass'],
    {
      allowFailure: true,
    },
  );
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /535 5\.7\.8 Authentication credentials invalid/);
  assert.equal(run.queue.messages.length, 1);
});

test('swaks cannot authenticate without STARTTLS: AUTH is not offered in the clear', async (t) => {
  if (!requireTools(t, ['swaks', 'openssl'])) return;
  const run = await submissionIntake(t);
  if (run === undefined) return;
  const args = swaksArgs({
    server: SERVER,
    port: run.port(),
    from: 'alice@example.com',
    to: 'bob@example.org',
    tls: false,
    localAddress: TRUSTED,
  });
  const r = await runCommand(
    'swaks',
    [...args, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland'],
    { allowFailure: true },
  );
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /did not advertise authentication/i);
  assert.equal(run.queue.attempts, 0);
});

test("Postfix's smtp-source: 40 messages over 4 sessions, 2 recipients each, all stored once", async (t) => {
  if (!requireTools(t, ['smtp-source'])) return;
  // smtp-source cannot choose its source address: trust loopback for this listener.
  const run = await startTestIntake(t, [relay(SERVER, ['127.0.0.0/8'])]);
  const r = await runCommand(
    'smtp-source',
    [
      '-m',
      '40',
      '-s',
      '4',
      '-l',
      '2000',
      '-r',
      '2',
      '-f',
      'load@example.com',
      '-t',
      'sink@example.org',
      '-M',
      'source.example',
      `${SERVER}:${run.port()}`,
    ],
    { allowFailure: true, timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(run.queue.messages.length, 40);
  assert.equal(new Set(run.queue.messages.map((m) => m.id)).size, 40, 'unique queue ids');
  for (const m of run.queue.messages) {
    assert.equal(m.recipients.length, 2);
    assert.match(
      bodyText(m.body),
      /^Received: from source\.example \(\[127\.0\.0\.1\]\)\r\n\tby mta\.intake\.test \(dane-mta\) with E?SMTP id /,
    );
  }
  assert.equal(run.events.filter((e) => e.type === 'accepted').length, 40);
});

test('smtp-source: a message over message_size is refused (552) and nothing is stored', async (t) => {
  if (!requireTools(t, ['smtp-source'])) return;
  const run = await startTestIntake(t, [relay(SERVER, ['127.0.0.0/8'])]);
  const r = await runCommand(
    'smtp-source',
    [
      '-m',
      '1',
      '-l',
      String(LIMITS.message_size + 10_000),
      '-f',
      'big@example.com',
      '-t',
      'sink@example.org',
      `${SERVER}:${run.port()}`,
    ],
    { allowFailure: true, timeoutMs: 60_000 },
  );
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /552/);
  assert.equal(run.queue.attempts, 0);
});
