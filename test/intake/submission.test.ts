/**
 * Submission listeners (RFC 6409): STARTTLS first (no AUTH offered or accepted before it),
 * AUTH PLAIN/LOGIN against the users file, MAIL only after AUTH, Date and Message-ID added when
 * missing, REQUIRETLS offered and accepted only on TLS (RFC 8689 §4); relay listeners with a
 * certificate offer STARTTLS too. Addresses: 127.130.3.0/24.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { hashPassword } from '../../src/smtp/server/index.ts';
import { seededRandom } from '../../src/util/index.ts';
import { bodyText, relay, SmtpTestClient, startTestIntake, submission, testCertificate } from './kit.ts';

const SERVER = '127.130.3.1';
const CLIENT = '127.130.3.2';

async function usersFile(t: TestContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dane-mta-users-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const params = { ln: 10, r: 8, p: 1 };
  const alice = await hashPassword('alice pw', { random: seededRandom(1), params });
  const bob = await hashPassword('bob pw', { random: seededRandom(2), params });
  const file = join(dir, 'users');
  writeFileSync(file, `# test users\nalice@example.com:${alice}\nbob:${bob}\n`);
  return file;
}

const plain = (authzid: string, authcid: string, pw: string) =>
  Buffer.from(`${authzid}\0${authcid}\0${pw}`).toString('base64');

async function started(t: TestContext) {
  const cert = testCertificate(t);
  if (cert === undefined) return undefined;
  const run = await startTestIntake(t, [submission(SERVER, cert, await usersFile(t))]);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  return { run, client };
}

test('before STARTTLS: no AUTH offered or accepted, no MAIL', async (t) => {
  const s = await started(t);
  if (s === undefined) return;
  const { run, client } = s;
  const ehlo = await client.command('EHLO submit.example');
  assert.ok(ehlo.lines.includes('STARTTLS'));
  assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), 'AUTH is not offered in the clear');
  assert.ok(!ehlo.lines.includes('REQUIRETLS'));
  const auth = await client.command(`AUTH PLAIN ${plain('', 'bob', 'bob pw')}`);
  assert.equal(auth.code, 538);
  const mail = await client.command('MAIL FROM:<bob@example.com>');
  assert.equal(mail.code, 530);
  assert.equal(run.queue.attempts, 0);
});

test('after STARTTLS and AUTH PLAIN: Date and Message-ID added, REQUIRETLS recorded, ESMTPSA', async (t) => {
  const s = await started(t);
  if (s === undefined) return;
  const { run, client } = s;
  await client.command('EHLO submit.example');
  assert.equal((await client.starttls()).code, 220);
  const ehlo = await client.command('EHLO submit.example');
  assert.ok(ehlo.lines.includes('AUTH PLAIN LOGIN'), ehlo.lines.join(' | '));
  assert.ok(ehlo.lines.includes('REQUIRETLS'));
  assert.ok(!ehlo.lines.includes('STARTTLS'));
  const wrong = await client.command(`AUTH PLAIN ${plain('', 'bob', 'alice pw')}`);
  assert.deepEqual([wrong.code, wrong.enhanced], [535, '5.7.8']);
  const ok = await client.command(`AUTH PLAIN ${plain('', 'bob', 'bob pw')}`);
  assert.equal(ok.code, 235);
  assert.equal((await client.command('MAIL FROM:<bob@example.com> REQUIRETLS')).code, 250);
  assert.equal((await client.command('RCPT TO:<carol@example.org>')).code, 250);
  const r = await client.data('From: bob@example.com\r\nSubject: no date\r\n\r\nbody\r\n');
  assert.equal(r.code, 250);
  const m = run.queue.messages[0]!;
  assert.equal(m.requireTls, true);
  assert.deepEqual(m.origin, {
    address: CLIENT,
    helo: 'submit.example',
    listener: `${SERVER}:${run.port()}`,
    user: 'bob',
  });
  const text = bodyText(m.body);
  assert.match(
    text,
    /^Received: from submit\.example \(\[127\.130\.3\.2\]\)\r\n\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\r\n\tby mta\.intake\.test \(dane-mta\) with ESMTPSA id /,
  );
  assert.match(
    text,
    new RegExp(
      `\\r\\nFrom: bob@example\\.com\\r\\nSubject: no date\\r\\nDate: Mon, 01 Jun 2026 12:00:00 \\+0000\\r\\nMessage-ID: <${m.id}@mta\\.intake\\.test>\\r\\n\\r\\nbody\\r\\n$`,
    ),
  );
  const accepted = run.events.find((e) => e.type === 'accepted');
  assert.ok(accepted?.type === 'accepted' && accepted.user === 'bob' && accepted.tls);
});

test('AUTH LOGIN works; a message with Date and Message-ID keeps its own', async (t) => {
  const s = await started(t);
  if (s === undefined) return;
  const { run, client } = s;
  await client.command('EHLO submit.example');
  await client.starttls();
  await client.command('EHLO submit.example');
  assert.equal((await client.command('AUTH LOGIN')).code, 334);
  assert.equal((await client.command(Buffer.from('alice@example.com').toString('base64'))).code, 334);
  assert.equal((await client.command(Buffer.from('alice pw').toString('base64'))).code, 235);
  await client.command('MAIL FROM:<alice@example.com>');
  await client.command('RCPT TO:<carol@example.org>');
  const own =
    'Date: Sun, 31 May 2026 10:00:00 +0200\r\nMessage-ID: <own@example.com>\r\nSubject: s\r\n\r\nb\r\n';
  assert.equal((await client.data(own)).code, 250);
  const text = bodyText(run.queue.messages[0]!.body);
  assert.ok(text.endsWith(own), 'nothing added');
  assert.equal(text.match(/^Date:/gm)?.length, 1);
});

test('AUTH refusals: another identity (authzid), three failures close the session', async (t) => {
  const s = await started(t);
  if (s === undefined) return;
  const { run, client } = s;
  await client.command('EHLO submit.example');
  await client.starttls();
  await client.command('EHLO submit.example');
  const proxy = await client.command(`AUTH PLAIN ${plain('alice@example.com', 'bob', 'bob pw')}`);
  assert.deepEqual([proxy.code, proxy.enhanced], [535, '5.7.8'], 'bob may not act as alice');
  assert.equal((await client.command(`AUTH PLAIN ${plain('', 'nobody', 'x')}`)).code, 535);
  const third = await client.command(`AUTH PLAIN ${plain('', 'bob', 'nope')}`);
  assert.deepEqual([third.code, third.enhanced], [421, '4.7.0']);
  await client.closed;
  const auth = run.events.filter((e) => e.type === 'rejected' && e.stage === 'auth');
  assert.equal(auth.length, 3);
  assert.ok(!JSON.stringify(run.events).includes('bob pw'), 'no password in events');
});

test('a relay listener with a certificate: STARTTLS offered, REQUIRETLS only after it', async (t) => {
  const cert = testCertificate(t);
  if (cert === undefined) return;
  const run = await startTestIntake(t, [relay(SERVER, [`${CLIENT}/32`], cert)]);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  const before = await client.command('EHLO relay.example');
  assert.ok(before.lines.includes('STARTTLS'));
  assert.ok(!before.lines.includes('REQUIRETLS'));
  assert.ok(!before.lines.some((l) => l.startsWith('AUTH')));
  const clear = await client.command('MAIL FROM:<a@example.com> REQUIRETLS');
  assert.equal(clear.code, 530, 'REQUIRETLS is refused in the clear');
  await client.starttls();
  const after = await client.command('EHLO relay.example');
  assert.ok(after.lines.includes('REQUIRETLS'));
  assert.ok(!after.lines.some((l) => l.startsWith('AUTH')), 'relay listeners never offer AUTH');
  assert.equal((await client.command('MAIL FROM:<a@example.com> REQUIRETLS')).code, 250);
  assert.equal((await client.command('RCPT TO:<b@example.org>')).code, 250);
  assert.equal((await client.data('Subject: t\r\n\r\nt\r\n')).code, 250);
  const m = run.queue.messages[0]!;
  assert.equal(m.requireTls, true);
  assert.match(bodyText(m.body), /with ESMTPS id/);
});
