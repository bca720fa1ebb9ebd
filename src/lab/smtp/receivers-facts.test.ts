/**
 * What a receiver tells a test besides accept/refuse: connections in all, open now and at peak;
 * per message the envelope, Message-ID, TLS facts (STARTTLS, protocol, SNI), its session and
 * transaction and the injected clock's time; per session the transactions, RSETs and messages;
 * counts per minute; and `waitFor`, which wakes on the receiver's own events. Loopback only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FixedClock, isMtaError } from '../../util/index.ts';
import { clientTls, leaf, TestClient, tlsFor, withReceiver } from '../../../test/lab/smtp-client.ts';
import { countPerMinute, messageIdOf } from './receivers.ts';

const T0 = Date.UTC(2031, 4, 6, 7, 59, 30);

/** A message with a Message-ID header (folded onto a second line). */
const message = (id: string): string =>
  `From: a@client.example\nMessage-ID:\n <${id}@client.example>\n\nbody\n`;

async function transaction(c: TestClient, rcpt: string, id: string): Promise<number> {
  assert.equal((await c.cmd('MAIL FROM:<a@client.example>')).code, 250);
  assert.equal((await c.cmd(`RCPT TO:<${rcpt}>`)).code, 250);
  return (await c.data(message(id))).code;
}

test('connections are counted in all, open now and at their peak', async () => {
  await withReceiver({}, async (r) => {
    assert.deepEqual(r.stats().connections, { total: 0, open: 0, peak: 0 });
    const clients = [await TestClient.open(r), await TestClient.open(r), await TestClient.open(r)];
    for (const c of clients) await c.reply();
    assert.deepEqual(r.stats().connections, { total: 3, open: 3, peak: 3 });
    clients[0]?.close();
    await r.waitFor(() => r.stats().connections.open === 2);
    const late = await TestClient.open(r);
    await late.reply();
    assert.deepEqual(r.stats().connections, { total: 4, open: 3, peak: 3 });
    for (const c of [...clients, late]) c.close();
    await r.waitFor(() => r.stats().connections.open === 0);
    assert.deepEqual(r.stats().connections, { total: 4, open: 0, peak: 3 });
    assert.equal(r.stats().sessions, 4);
  });
});

test('two messages on one STARTTLS session: envelope, Message-ID, TLS, transaction and time', async () => {
  const clock = new FixedClock(T0);
  const r = await withReceiver({ tls: tlsFor(leaf), clock }, async (rec) => {
    const c = await TestClient.open(rec);
    await c.reply();
    await c.cmd('EHLO client.example');
    assert.equal((await c.startTls(clientTls('mx1.example.org'))).error, undefined);
    await c.cmd('EHLO client.example');
    assert.equal(await transaction(c, 'bob@example.org', 'first'), 250);
    clock.advance(45_000); // into the next minute
    assert.equal((await c.cmd('RSET')).code, 250);
    assert.equal(await transaction(c, 'carol@example.org', 'second'), 250);
    assert.equal((await c.cmd('QUIT')).code, 221);
    c.close();
    await rec.waitFor(() => rec.sessions[0]?.closedAt !== undefined);
  });
  const [first, second] = r.messages;
  const s = r.sessions[0];
  assert.ok(first !== undefined && second !== undefined && s !== undefined);
  assert.deepEqual(
    [first, second].map((m) => [m.sessionId, m.transaction, m.from, m.to, m.messageId, m.receivedAt]),
    [
      [s.id, 1, 'a@client.example', ['bob@example.org'], '<first@client.example>', T0],
      [s.id, 2, 'a@client.example', ['carol@example.org'], '<second@client.example>', T0 + 45_000],
    ],
  );
  assert.deepEqual(
    { ...second.tls, cipher: undefined },
    { used: true, startTls: true, protocol: 'TLSv1.3', servername: 'mx1.example.org', cipher: undefined },
  );
  assert.deepEqual([s.transactions, s.resets, s.messagesAccepted], [2, 1, 2]);
  assert.deepEqual(
    [...countPerMinute(r.messages.map((m) => m.receivedAt))],
    [
      [T0 - 30_000, 1],
      [T0 + 30_000, 1],
    ],
  );
  assert.deepEqual(r.stats(), {
    connections: { total: 1, open: 0, peak: 1 },
    sessions: 1,
    messages: 2,
    temporaryFailures: { rcpt: 0, data: 0 },
  });
});

test('a plaintext message says no STARTTLS, and a message without Message-ID has none', async () => {
  const r = await withReceiver({}, async (rec) => {
    const c = await TestClient.open(rec);
    await c.reply();
    await c.cmd('EHLO client.example');
    await c.cmd('MAIL FROM:<>');
    await c.cmd('RCPT TO:<x@example.org>');
    assert.equal((await c.data('Subject: no id\n\nMessage-ID: <in-the-body@x>\n')).code, 250);
    c.close();
  });
  const m = r.messages[0];
  assert.deepEqual([m?.from, m?.messageId, m?.tls], ['', undefined, { used: false, startTls: false }]);
});

test('pipelined commands are recorded in order, and the replies as sent', async () => {
  const r = await withReceiver({}, async (rec) => {
    const c = await TestClient.open(rec);
    await c.reply();
    await c.cmd('EHLO client.example');
    c.socket.write(
      'MAIL FROM:<a@client.example>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n',
    );
    const replies = [await c.reply(), await c.reply(), await c.reply(), await c.reply()];
    assert.deepEqual(
      replies.map((x) => x.code),
      [250, 250, 250, 354],
    );
    c.socket.write('Subject: p\r\n\r\nRSET\r\n.\r\nQUIT\r\n');
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 221);
    await rec.waitFor(() => rec.sessions[0]?.closedAt !== undefined);
  });
  const s = r.sessions[0];
  assert.deepEqual(s?.commands, [
    'EHLO client.example',
    'MAIL FROM:<a@client.example>',
    'RCPT TO:<b@example.org>',
    'RCPT TO:<c@example.org>',
    'DATA',
    'QUIT',
  ]);
  assert.equal(s.resets, 0, 'RSET inside the message is content');
  assert.deepEqual(s.replies.slice(0, 1), ['220 mx1.example.org ESMTP']);
  assert.match(s.replies.at(-2) ?? '', /^250 2\.6\.0 Ok: queued as /);
  assert.match(s.replies.at(-1) ?? '', /^221 /);
});

test('waitFor wakes on events, gives up on abort or timeout, and looks once after close', async () => {
  const r = await withReceiver({}, async (rec) => {
    const seen = rec.waitFor(() => rec.sessions.length === 1);
    const c = await TestClient.open(rec);
    await seen;
    await c.reply();
    const never = new AbortController();
    const aborted = rec.waitFor(() => false, { signal: never.signal });
    never.abort();
    await assert.rejects(aborted, (e: unknown) => isMtaError(e, 'LAB_ERR_RECEIVER_WAIT'));
    await assert.rejects(
      rec.waitFor(() => false, { timeoutMs: 1 }),
      /condition not reached/,
    );
    c.close();
  });
  await r.waitFor(() => r.sessions.length === 1);
  await assert.rejects(
    r.waitFor(() => r.sessions.length === 2),
    /closed/,
  );
});

test('messageIdOf reads the header section only', () => {
  const cases = [
    { text: 'Message-ID: <a@b>\r\n\r\n', want: '<a@b>' },
    { text: 'message-id:<a@b>\n\nx', want: '<a@b>' },
    { text: 'Subject: x\r\nMessage-Id:\r\n  <folded@b>\r\n\r\n', want: '<folded@b>' },
    { text: 'Subject: x\r\n\r\nMessage-ID: <body@b>\r\n', want: undefined },
    { text: 'Message-ID:   \r\n\r\n', want: undefined },
  ];
  for (const c of cases) assert.equal(messageIdOf(Buffer.from(c.text)), c.want, JSON.stringify(c.text));
});
