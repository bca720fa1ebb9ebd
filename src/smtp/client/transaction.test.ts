import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ehloLines, withFakeServer, type FakeSmtpServer } from '../../../test/helpers/fake-smtp-server.ts';
import { runTransaction } from './transaction.ts';
import type { SmtpEvent, TransactionOptions, TransactionResult } from './types.ts';

interface Run {
  result: TransactionResult;
  srv: FakeSmtpServer;
  events: SmtpEvent[];
}

/** Run a transaction against a scripted server. */
async function run(script: string, opts: Partial<TransactionOptions> = {}): Promise<Run> {
  const events: SmtpEvent[] = [];
  const { value, server } = await withFakeServer({ script }, (srv) =>
    runTransaction({
      address: srv.host,
      port: srv.port,
      helo: 'client.test',
      starttls: 'never',
      from: 'a@b.test',
      recipients: [{ address: 'c@d.test' }],
      timeouts: { greeting: 5000, mail: 5000, rcpt: 5000, data: 5000, dataDone: 5000, quit: 2000 },
      onEvent: (e) => events.push(e),
      ...opts,
    }),
  );
  return { result: value, srv: server, events };
}

const msg = (text: string): Uint8Array => new TextEncoder().encode(text);
const codes = (r: TransactionResult): (number | undefined)[] => r.recipients.map((x) => x.reply?.code);

test('happy path with PIPELINING: one group, replies in order, facts reported', async () => {
  // The server answers only after the whole group arrived: a lock-step client would time out.
  const { result, srv, events } = await run(
    `S: 220 fake ESMTP
C: EHLO client.test
${ehloLines('PIPELINING', 'SIZE 100000', '8BITMIME', 'ENHANCEDSTATUSCODES')}
C: MAIL FROM:<a@b.test> SIZE=14
C: RCPT TO:<c@d.test>
C: RCPT TO:<e@f.test>
C: DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 250 2.1.5 Ok
S: 354 End data with <CR><LF>.<CR><LF>
DATA
S: 250 2.0.0 Ok: queued as X
C: QUIT
S: 221 2.0.0 Bye`,
    { recipients: [{ address: 'c@d.test' }, { address: 'e@f.test' }], message: msg('Hello\r\nWorld') },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.equal(result.connected, true);
  assert.equal(result.greeting?.code, 220);
  assert.deepEqual(Object.keys(result.extensions), ['PIPELINING', 'SIZE', '8BITMIME', 'ENHANCEDSTATUSCODES']);
  assert.deepEqual(result.mailParams, ['SIZE=14']);
  assert.deepEqual(codes(result), [250, 250]);
  assert.equal(result.dataStart?.code, 354);
  assert.deepEqual(result.data, {
    code: 250,
    enhanced: '2.0.0',
    lines: ['2.0.0 Ok: queued as X'],
    text: 'Ok: queued as X',
  });
  assert.equal(result.quit?.code, 221);
  assert.deepEqual(result.message, { size: 14, eightBit: false });
  assert.equal(result.tls.used, false);
  assert.deepEqual(srv.bodies.map(String), ['Hello\r\nWorld\r\n.\r\n']);
  assert.deepEqual(
    events.map((e) =>
      e.type === 'command' ? `C:${e.line}` : e.type === 'reply' ? `S:${e.reply.code}` : e.type,
    ),
    [
      'connect',
      'S:220',
      'C:EHLO client.test',
      'S:250',
      'C:MAIL FROM:<a@b.test> SIZE=14',
      'C:RCPT TO:<c@d.test>',
      'C:RCPT TO:<e@f.test>',
      'C:DATA',
      'S:250',
      'S:250',
      'S:250',
      'S:354',
      'body',
      'S:250',
      'C:QUIT',
      'S:221',
    ],
  );
});

test('happy path without PIPELINING: strict lock-step', async () => {
  const { result, srv } = await run(
    `S: 220 fake
C: EHLO client.test
${ehloLines('SIZE')}
C: MAIL FROM:<a@b.test> SIZE=6
S: 250 ok
C: RCPT TO:<c@d.test>
S: 250 ok
C: DATA
S: 354 go
DATA
S: 250 queued
C: QUIT
S: 221 bye`,
    { message: msg('hi\r\n\r\n') },
  );
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.sentAhead, [], 'a lock-step client never sends ahead');
  assert.equal(result.failure, undefined);
  assert.equal(result.data?.code, 250);
});

test('HELO fallback when EHLO gets 502; no extensions, no ESMTP parameters', async () => {
  const { result, srv } = await run(
    `S: 220 old
C: EHLO client.test
S: 502 5.5.1 command not implemented
C: HELO client.test
S: 250 old.example
C: MAIL FROM:<a@b.test>
S: 250 ok
C: RCPT TO:<c@d.test>
S: 250 ok
C: DATA
S: 354 go
DATA
S: 250 ok
C: QUIT
S: 221 bye`,
    { message: msg('x'), mailParams: ['RET=HDRS'] },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.usedHelo, true);
  assert.deepEqual(result.extensions, {});
  assert.equal(result.hello?.code, 250);
  assert.equal(result.failure, undefined);
});

test('failures that end with QUIT: table', async () => {
  interface Case {
    name: string;
    script: string;
    opts?: Partial<TransactionOptions>;
    want: { code: string; state: string; reply?: number; received: string[] };
  }
  const cases: Case[] = [
    {
      name: '554 greeting',
      script: 'S: 554 5.7.1 go away\nC: QUIT\nS: 221 bye',
      want: { code: 'SMTP_ERR_REPLY', state: 'GREETING', reply: 554, received: ['QUIT'] },
    },
    {
      name: '4xx to EHLO is no reason for HELO',
      script: 'S: 220 hi\nC: EHLO client.test\nS: 451 4.3.0 later\nC: QUIT\nS: 221 bye',
      want: { code: 'SMTP_ERR_REPLY', state: 'EHLO', reply: 451, received: ['EHLO client.test', 'QUIT'] },
    },
    {
      name: 'HELO refused too',
      script:
        'S: 220 hi\nC: EHLO client.test\nS: 500 no\nC: HELO client.test\nS: 550 no\nC: QUIT\nS: 221 bye',
      want: {
        code: 'SMTP_ERR_REPLY',
        state: 'HELO',
        reply: 550,
        received: ['EHLO client.test', 'HELO client.test', 'QUIT'],
      },
    },
    {
      name: 'MAIL refused (lock-step): no RCPT sent',
      script: `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 553 5.1.8 bad sender\nC: QUIT\nS: 221 bye`,
      opts: { message: msg('x') },
      want: {
        code: 'SMTP_ERR_REPLY',
        state: 'MAIL',
        reply: 553,
        received: ['EHLO client.test', 'MAIL FROM:<a@b.test>', 'QUIT'],
      },
    },
    {
      name: 'DATA refused',
      script: `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 451 4.3.0 not now\nC: QUIT\nS: 221 bye`,
      opts: { message: msg('x') },
      want: {
        code: 'SMTP_ERR_REPLY',
        state: 'DATA',
        reply: 451,
        received: ['EHLO client.test', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'DATA', 'QUIT'],
      },
    },
  ];
  for (const c of cases) {
    const { result, srv } = await run(c.script, c.opts);
    assert.deepEqual(srv.errors, [], c.name);
    assert.equal(result.failure?.code, c.want.code, c.name);
    assert.equal(result.failure.state, c.want.state, c.name);
    assert.equal(result.failure.reply?.code, c.want.reply, c.name);
    assert.deepEqual(srv.received, c.want.received, c.name);
    assert.equal(result.quit?.code, 221, c.name);
  }
});

test('4xx/5xx final reply after the dot is reported with the reply', async () => {
  for (const code of [452, 554]) {
    const { result, srv } = await run(
      `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nDATA\nS: ${code} ${code === 452 ? '4.3.1 full' : '5.6.0 bad'}\nC: QUIT\nS: 221 bye`,
      { message: msg('x\r\n') },
    );
    assert.deepEqual(srv.errors, []);
    assert.equal(result.failure?.code, 'SMTP_ERR_REPLY');
    assert.equal(result.failure.state, 'DATA_BODY');
    assert.equal(result.data?.code, code);
    assert.equal(result.failure.reply, result.data);
  }
});

test('a reply during the body is a protocol violation (RFC 5321 §4.2), never the reply to the message', async () => {
  // Issue 8 item 1: this rejection used to be taken as the DATA reply; a server may not answer
  // before the final dot, and a 250 sent early must never count as delivery.
  for (const reply of ['554 5.3.4 message too big for system', '250 2.0.0 queued early']) {
    const { result, events } = await run(
      `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nPAUSE\nS: ${reply}\nSTALL`,
      { message: Buffer.alloc(8 * 1024 * 1024, 'abcdefgh\r\n'), timeouts: { dataBlock: 5000 } },
    );
    assert.equal(result.failure?.code, 'SMTP_ERR_PROTOCOL', reply);
    assert.equal(result.failure.state, 'DATA_BODY', reply);
    assert.equal(
      result.failure.message,
      `server replied before the end of the message body: ${reply}`,
      reply,
    );
    assert.equal(result.failure.reply?.code, Number(reply.slice(0, 3)), reply);
    assert.equal(result.data, undefined, reply);
    assert.equal(result.quit, undefined, 'no QUIT into a half-sent body');
    assert.equal(
      events.some((e) => e.type === 'body'),
      false,
      'the body was never completely written',
    );
  }
});

test('some RCPTs rejected: DATA only for the accepted ones (lock-step)', async () => {
  const { result, srv } = await run(
    `S: 220 hi
C: EHLO client.test
${ehloLines()}
C: MAIL FROM:<>
S: 250 ok
C: RCPT TO:<a@x.test>
S: 250 ok
C: RCPT TO:<b@x.test>
S: 550 5.1.1 no such user
C: RCPT TO:<c@x.test>
S: 452 4.2.2 mailbox full
C: RCPT TO:<d@x.test>
S: 251 2.1.5 will forward
C: DATA
S: 354 go
DATA
S: 250 ok
C: QUIT
S: 221 bye`,
    {
      from: '',
      recipients: ['a', 'b', 'c', 'd'].map((u) => ({ address: `${u}@x.test` })),
      message: msg('body'),
    },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.deepEqual(codes(result), [250, 550, 452, 251]);
  assert.equal(result.recipients[1]?.reply?.enhanced, '5.1.1');
  assert.equal(result.data?.code, 250);
});

test('all RCPTs rejected: no DATA (lock-step)', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 550 5.1.1 unknown\nC: QUIT\nS: 221 bye`,
    { message: msg('body') },
  );
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.received, ['EHLO client.test', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>', 'QUIT']);
  assert.equal(result.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(result.failure.state, 'RCPT');
  assert.equal(result.failure.reply?.code, 550);
  assert.equal(result.dataStart, undefined);
  assert.equal(srv.bodies.length, 0);
});

test('all RCPTs rejected with PIPELINING: DATA refused by the server, no body', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('PIPELINING')}\nC: MAIL FROM:<a@b.test>\nC: RCPT TO:<c@d.test>\nC: DATA\nS: 250 ok\nS: 550 5.1.1 unknown\nS: 554 5.5.1 no valid recipients\nC: QUIT\nS: 221 bye`,
    { message: msg('body') },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(result.failure.state, 'RCPT');
  assert.equal(result.dataStart?.code, 554);
  assert.equal(srv.bodies.length, 0);
});

test('PIPELINING: a 354 without accepted recipients gets a lone dot (RFC 2920 §3.1)', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('PIPELINING')}\nC: MAIL FROM:<a@b.test>\nC: RCPT TO:<c@d.test>\nC: DATA\nS: 250 ok\nS: 550 unknown\nS: 354 go\nC: .\nS: 554 no recipients\nC: QUIT\nS: 221 bye`,
    { message: msg('secret body') },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(result.failure.state, 'RCPT');
  assert.equal(result.data, undefined, 'the reply to the lone dot is no delivery');
  assert.equal(srv.bodies.length, 0);
});

test('421 on a RCPT ends the session at once', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 421 4.3.2 shutting down\nCLOSE`,
    { recipients: [{ address: 'c@d.test' }, { address: 'e@d.test' }], message: msg('x') },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(result.failure.state, 'RCPT');
  assert.equal(result.failure.reply?.code, 421);
  assert.deepEqual(codes(result), [421, undefined]);
  assert.deepEqual(srv.received, ['EHLO client.test', 'MAIL FROM:<a@b.test>', 'RCPT TO:<c@d.test>']);
});

test('SIZE: over the advertised limit → refused before MAIL', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('SIZE 10')}\nC: QUIT\nS: 221 bye`,
    { message: msg('0123456789a') },
  );
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.received, ['EHLO client.test', 'QUIT']);
  assert.equal(result.failure?.code, 'SMTP_ERR_SIZE');
  assert.equal(result.failure.state, 'MAIL');
  assert.match(result.failure.message, /size 13 exceeds .* 10 octets/);
  assert.equal(result.mail, undefined);
});

test('SIZE= counts CRLF-normalised octets without stuffed dots; exactly at the limit is fine', async () => {
  // "a\n.b" → "a\r\n.b\r\n" = 7 octets (the stuffed dot is not counted).
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('SIZE 7')}\nC: MAIL FROM:<a@b.test> SIZE=7\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nDATA\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    { message: msg('a\n.b') },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.deepEqual(srv.bodies.map(String), ['a\r\n..b\r\n.\r\n']);
});

test('8BITMIME: BODY=8BITMIME only when the body is 8-bit and the server offers it', async () => {
  const body = new Uint8Array([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x0d, 0x0a]);
  const cases = [
    { ext: ['8BITMIME'], message: body, want: 'MAIL FROM:<a@b.test> BODY=8BITMIME' },
    { ext: [], message: body, want: 'MAIL FROM:<a@b.test>' },
    { ext: ['8BITMIME'], message: msg('plain\r\n'), want: 'MAIL FROM:<a@b.test>' },
  ];
  for (const c of cases) {
    const { result, srv } = await run(
      `S: 220 hi\nC: EHLO client.test\n${ehloLines(...c.ext)}\nC: ${c.want}\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nDATA\nS: 250 ok\nC: QUIT\nS: 221 bye`,
      { message: c.message },
    );
    assert.deepEqual(srv.errors, [], c.want);
    assert.equal(result.failure, undefined);
    assert.equal(result.message?.eightBit, c.message === body);
    assert.deepEqual([...(srv.bodies[0] ?? [])].slice(0, c.message.length), [...c.message]);
  }
});

test('SMTPUTF8: needed but not offered → stop before MAIL', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('8BITMIME')}\nC: QUIT\nS: 221 bye`,
    {
      recipients: [{ address: 'jörg@bücher.test' }],
      message: msg('x'),
    },
  );
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.received, ['EHLO client.test', 'QUIT']);
  assert.equal(result.failure?.code, 'SMTP_ERR_SMTPUTF8_REQUIRED');
  assert.equal(result.failure.state, 'MAIL');
});

test('SMTPUTF8: offered → MAIL carries SMTPUTF8 and the UTF-8 addresses go out as UTF-8', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('SMTPUTF8', 'PIPELINING')}\nC: MAIL FROM:<a@b.test> SMTPUTF8\nC: RCPT TO:<jörg@bücher.test>\nS: 250 ok\nS: 250 ok\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    { recipients: [{ address: 'jörg@bücher.test' }] },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.deepEqual(result.mailParams, ['SMTPUTF8']);
});

test('DSN parameters pass through only when DSN is offered', async () => {
  const opts: Partial<TransactionOptions> = {
    mailParams: ['RET=HDRS', 'ENVID=QQ314159'],
    recipients: [{ address: 'c@d.test', params: ['NOTIFY=FAILURE,DELAY', 'ORCPT=rfc822;c@d.test'] }],
  };
  const offered = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('DSN')}\nC: MAIL FROM:<a@b.test> RET=HDRS ENVID=QQ314159\nS: 250 ok\nC: RCPT TO:<c@d.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;c@d.test\nS: 250 ok\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    opts,
  );
  assert.deepEqual(offered.srv.errors, []);
  const absent = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    opts,
  );
  assert.deepEqual(absent.srv.errors, []);
});

test('dot-stuffing and CRLF normalisation on the wire', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nDATA\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    { message: msg('.leading\n..two\nmid.dle\n.\r\nbare\rcr\n.') },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.deepEqual(srv.bodies.map(String), [
    '..leading\r\n...two\r\nmid.dle\r\n..\r\nbare\r\ncr\r\n..\r\n.\r\n',
  ]);
});

test('an async iterable message is read and sent whole', async () => {
  async function* source(): AsyncGenerator<Uint8Array> {
    yield msg('Subject: hi\r');
    await new Promise((r) => setImmediate(r));
    yield msg('\n\r\n.');
    yield msg('dot\r\n');
  }
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('SIZE')}\nC: MAIL FROM:<a@b.test> SIZE=21\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nDATA\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    { message: source() },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.deepEqual(srv.bodies.map(String), ['Subject: hi\r\n\r\n..dot\r\n.\r\n']);
});

test('a line over 998 octets fails before any connection', async () => {
  const { result, srv } = await run('S: 220 hi', { message: msg(`ok\r\n${'x'.repeat(999)}\r\n`) });
  assert.equal(srv.connections, 0);
  assert.equal(result.connected, false);
  assert.equal(result.failure?.code, 'SMTP_ERR_LINE_TOO_LONG');
  assert.match(result.failure.message, /line 2 is longer than 998/);
});

test('recipient verification (no message): MAIL, RCPT, RSET, QUIT; never DATA', async () => {
  for (const pipelining of [false, true]) {
    const script = pipelining
      ? `S: 220 hi\nC: EHLO client.test\n${ehloLines('PIPELINING')}\nC: MAIL FROM:<>\nC: RCPT TO:<c@d.test>\nC: RCPT TO:<x@d.test>\nS: 250 ok\nS: 250 ok\nS: 550 5.1.1 no\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`
      : `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: RCPT TO:<x@d.test>\nS: 550 5.1.1 no\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`;
    const { result, srv } = await run(script, {
      from: '',
      recipients: [{ address: 'c@d.test' }, { address: 'x@d.test' }],
    });
    assert.deepEqual(srv.errors, []);
    assert.equal(result.failure, undefined);
    assert.deepEqual(codes(result), [250, 550]);
    assert.equal(result.dataStart, undefined);
    assert.equal(result.message, undefined);
    assert.equal(srv.received.includes('DATA'), false);
  }
});

test('bad arguments reject with SMTP_ERR_ARGUMENT before connecting', async () => {
  const base: TransactionOptions = {
    address: '127.0.0.1',
    port: 25,
    helo: 'client.test',
    starttls: 'never',
    from: 'a@b.test',
    recipients: [{ address: 'c@d.test' }],
  };
  const cases: [string, Partial<TransactionOptions>, RegExp][] = [
    ['CRLF in helo', { helo: 'x\r\nMAIL FROM:<>' }, /CR, LF or NUL/],
    ['bad sender', { from: 'not an address' }, /invalid address/],
    ['bad recipient', { recipients: [{ address: 'c@d.test>' }] }, /invalid address/],
    ['no recipients', { recipients: [] }, /no recipients/],
    ['bad DSN param', { mailParams: ['RET=HDRS\r\nRSET'] }, /CR, LF or NUL/],
    ['host name instead of address', { address: 'mx.example' }, /not an IP address/],
    ['port 0', { port: 0 }, /invalid port/],
    ['bad local address', { localAddress: 'eth0' }, /not an IP address/],
    ['negative timeout', { timeouts: { mail: -1 } }, /non-negative/],
    ['unknown trust store', { trustStore: 'all' as 'none' }, /invalid trust store "all"/],
  ];
  for (const [name, patch, want] of cases) {
    await assert.rejects(
      runTransaction({ ...base, ...patch }),
      (e: unknown) =>
        (e as { code?: string }).code === 'SMTP_ERR_ARGUMENT' && want.test((e as Error).message),
      name,
    );
  }
});

test('PIPELINING: a refused MAIL is reported in state MAIL, not in the state of the last reply read', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines('PIPELINING')}\nC: MAIL FROM:<a@b.test>\nC: RCPT TO:<c@d.test>\nC: DATA\nS: 550 5.7.1 sender refused\nS: 503 5.5.1 no valid sender\nS: 503 5.5.1 no valid recipients\nC: QUIT\nS: 221 bye`,
    { message: msg('body') },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(result.failure.state, 'MAIL');
  assert.equal(result.failure.reply?.code, 550);
  assert.match(result.failure.message, /^550 5\.7\.1 sender refused \(sending MAIL FROM\)$/);
});
