/**
 * Hostile and broken input at intake: malformed commands, 8-bit data without 8BITMIME,
 * oversize messages, loops, bare line ends and over-long lines, a client that disconnects
 * mid-DATA (nothing queued) and a store that cannot write (451 4.3.0, nothing lost: the same
 * session succeeds once the store works again). Addresses: 127.130.2.0/24.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyText, LIMITS, relay, SmtpTestClient, startTestIntake } from './kit.ts';

const SERVER = '127.130.2.1';
const CLIENT = '127.130.2.2';

async function session(
  t: Parameters<typeof startTestIntake>[0],
  over: Parameters<typeof startTestIntake>[2] = {},
) {
  const run = await startTestIntake(t, [relay(SERVER, [`${CLIENT}/32`])], over);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), CLIENT);
  assert.equal((await client.command('EHLO hostile.example')).code, 250);
  return { run, client };
}

async function envelope(client: SmtpTestClient, mail = 'MAIL FROM:<a@example.com>'): Promise<void> {
  assert.equal((await client.command(mail)).code, 250);
  assert.equal((await client.command('RCPT TO:<b@example.org>')).code, 250);
}

test('malformed commands get 5xx and the session goes on; ten unknown commands end it', async (t) => {
  const { run, client } = await session(t);
  const cases: [string, number][] = [
    ['HELLO there', 500],
    ['MAIL FROM:a@example.com', 501],
    ['MAIL FROM:<a@example.com', 501],
    ['RCPT TO:<b@example.org>', 503],
    ['DATA', 503],
    ['MAIL FROM:<a@example.com> SIZE=abc', 501],
    ['MAIL FROM:<a@example.com> BODY=BINARYMIME', 501],
    ['MAIL FROM:<a@exa mple.com>', 501],
    ['EHLO', 501],
  ];
  for (const [line, code] of cases) assert.equal((await client.command(line)).code, code, line);
  await envelope(client);
  assert.equal((await client.data('Subject: still fine\r\n\r\nx\r\n')).code, 250);
  let last = 0;
  for (let i = 0; i < 10 && last !== 421; i++) last = (await client.command(`XYZZY${i}`)).code;
  assert.equal(last, 421);
  await client.closed;
  assert.equal(run.queue.messages.length, 1);
});

test('8-bit data without BODY=8BITMIME: 554 5.6.1, nothing stored; with it: stored as 8BITMIME', async (t) => {
  const { run, client } = await session(t);
  await envelope(client);
  const r = await client.data('Subject: caf\u00e9\r\n\r\nna\u00efve\r\n');
  assert.deepEqual([r.code, r.enhanced], [554, '5.6.1']);
  assert.match(r.text, /8-bit data without BODY=8BITMIME/);
  assert.equal(run.queue.attempts, 0);
  await envelope(client, 'MAIL FROM:<a@example.com> BODY=8BITMIME');
  assert.equal((await client.data('Subject: caf\u00e9\r\n\r\nna\u00efve\r\n')).code, 250);
  assert.equal(run.queue.messages[0]!.eightBitMime, true);
  assert.match(bodyText(run.queue.messages[0]!.body), /na\u00efve/);
});

test('oversize: SIZE= above the limit and a message above it both get 552 5.3.4; the session goes on', async (t) => {
  const { run, client } = await session(t);
  const declared = await client.command(`MAIL FROM:<a@example.com> SIZE=${LIMITS.message_size + 1}`);
  assert.deepEqual([declared.code, declared.enhanced], [552, '5.3.4']);
  await envelope(client);
  const big = `Subject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(Math.ceil(LIMITS.message_size / 1000) + 1);
  const r = await client.data(big);
  assert.deepEqual([r.code, r.enhanced], [552, '5.3.4']);
  assert.equal(run.queue.attempts, 0);
  await envelope(client);
  assert.equal((await client.data('Subject: small\r\n\r\nok\r\n')).code, 250);
  assert.equal(run.queue.messages.length, 1);
});

test('a mail loop: more Received: headers than allowed get 554 5.4.6; exactly the limit passes', async (t) => {
  const { run, client } = await session(t);
  const hops = (n: number) => 'Received: from a by b; Mon, 1 Jun 2026 00:00:00 +0000\r\n'.repeat(n);
  await envelope(client);
  const loop = await client.data(`${hops(51)}Subject: loop\r\n\r\nx\r\n`);
  assert.deepEqual([loop.code, loop.enhanced], [554, '5.4.6']);
  await envelope(client);
  assert.equal((await client.data(`${hops(50)}Subject: ok\r\n\r\nx\r\n`)).code, 250);
  assert.equal(run.queue.messages.length, 1);
  const rejected = run.events.find((e) => e.type === 'rejected');
  assert.equal(rejected?.type === 'rejected' ? rejected.stage : undefined, 'data');
});

test('bare LF (SMTP smuggling) and lines over 998 octets are refused', async (t) => {
  const { run, client } = await session(t);
  await envelope(client);
  const smuggle = await client.data('Subject: s\r\n\r\nx\n.\nMAIL FROM:<evil@example.net>\r\n');
  assert.deepEqual([smuggle.code, smuggle.enhanced], [554, '5.6.0']);
  await envelope(client);
  const long = await client.data(`Subject: l\r\n\r\n${'y'.repeat(999)}\r\n`);
  assert.deepEqual([long.code, long.enhanced], [554, '5.6.0']);
  await envelope(client);
  assert.equal((await client.data(`Subject: l\r\n\r\n${'y'.repeat(998)}\r\n`)).code, 250);
  assert.equal(run.queue.messages.length, 1);
});

test('a client that disconnects mid-DATA: nothing is queued', async (t) => {
  const { run, client } = await session(t);
  await envelope(client);
  assert.equal((await client.command('DATA')).code, 354);
  client.write('Subject: half\r\n\r\nthe first half of a message\r\n');
  client.destroy();
  await run.waitFor('disconnected');
  assert.equal(run.queue.attempts, 0);
  assert.equal(run.events.filter((e) => e.type === 'accepted').length, 0);
});

test('a store that cannot write: 451 4.3.0, nothing stored; the client retries and it is stored once', async (t) => {
  const { run, client } = await session(t);
  run.queue.failWith = new Error('ENOSPC: no space left on device');
  await envelope(client);
  const r = await client.data('Subject: full disk\r\n\r\nx\r\n');
  assert.deepEqual([r.code, r.enhanced], [451, '4.3.0']);
  assert.match(r.text, /cannot store the message \(ENOSPC: no space left on device\)/);
  assert.equal(run.queue.messages.length, 0);
  run.queue.failWith = undefined;
  await envelope(client);
  const again = await client.data('Subject: full disk\r\n\r\nx\r\n');
  assert.equal(again.code, 250);
  assert.equal(run.queue.messages.length, 1);
  assert.equal(run.queue.attempts, 2);
});

test('250 comes only after the store has the message', async (t) => {
  const { run, client } = await session(t);
  let release!: () => void;
  run.queue.gate = new Promise((resolve) => (release = resolve));
  await envelope(client);
  assert.equal((await client.command('DATA')).code, 354);
  const entered = run.queue.entered();
  client.write('Subject: gated\r\n\r\nx\r\n.\r\n');
  const reply = client.reply();
  let replied = false;
  void reply.then(() => (replied = true));
  await entered;
  assert.equal(replied, false, 'no reply while the store has not answered');
  assert.equal(run.events.filter((e) => e.type === 'accepted').length, 0);
  assert.equal(run.queue.messages.length, 0);
  release();
  assert.equal((await reply).code, 250);
  assert.equal(run.queue.messages.length, 1);
});

test('an over-long command line ends the session with 421', async (t) => {
  const { run, client } = await session(t);
  client.write(`MAIL FROM:<${'a'.repeat(9000)}@example.com>\r\n`);
  const r = await client.reply();
  assert.equal(r.code, 421);
  await client.closed;
  assert.equal(run.queue.attempts, 0);
});

test('a refused MAIL leaves nothing behind: its BODY=8BITMIME does not carry over to the next MAIL', async (t) => {
  const { run, client } = await session(t);
  const refused = await client.command('MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8 XFOO=1');
  assert.equal(refused.code, 555);
  await envelope(client);
  const r = await client.data('Subject: caf\u00e9\r\n\r\nx\r\n');
  assert.deepEqual([r.code, r.enhanced], [554, '5.6.1']);
  assert.equal(run.queue.attempts, 0);
});
