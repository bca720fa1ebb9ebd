import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ehloLines,
  makeTestPki,
  withFakeServer,
  type FakeSmtpServer,
} from '../../../test/helpers/fake-smtp-server.ts';
import { openSession, type Session } from './smtp-session.ts';
import type { MailTransaction, SessionOptions, SmtpEvent, TransactionFacts } from './types.ts';

interface Run<T> {
  value: T;
  srv: FakeSmtpServer;
  events: SmtpEvent[];
}

/** Open a session against a scripted server, run `body`, close the session. */
async function withSession<T>(
  script: string,
  body: (session: Session) => Promise<T>,
  opts: Partial<SessionOptions> = {},
  tls?: { key: string; cert: string },
): Promise<Run<T>> {
  const events: SmtpEvent[] = [];
  const { value, server } = await withFakeServer(
    { script, ...(tls === undefined ? {} : { tls }) },
    async (s) => {
      const session = await openSession({
        address: s.host,
        port: s.port,
        helo: 'client.test',
        starttls: 'never',
        timeouts: {
          greeting: 5000,
          ehlo: 5000,
          mail: 5000,
          rcpt: 5000,
          rset: 5000,
          data: 5000,
          dataDone: 5000,
        },
        onEvent: (e) => events.push(e),
        ...opts,
      });
      try {
        return await body(session);
      } finally {
        await session.close();
      }
    },
  );
  return { value, srv: server, events };
}

const msg = (text: string): Uint8Array => new TextEncoder().encode(text);
const tx = (n: number, patch: Partial<MailTransaction> = {}): MailTransaction => ({
  from: 'a@b.test',
  recipients: [{ address: `r${n}@d.test` }],
  message: msg(`message ${n}`),
  ...patch,
});
/** Recipient verification of r<n>@d.test from the null sender: no message. */
const probe = (n: number): MailTransaction => ({ from: '', recipients: [{ address: `r${n}@d.test` }] });
const codes = (t: TransactionFacts): (number | undefined)[] => t.recipients.map((r) => r.reply?.code);

/** The lock-step lines of one delivered message to r<n>@d.test. */
function lockStepMessage(n: number, reset: boolean): string {
  return [
    ...(reset ? ['C: RSET', 'S: 250 2.0.0 Ok'] : []),
    'C: MAIL FROM:<a@b.test>',
    'S: 250 2.1.0 Ok',
    `C: RCPT TO:<r${n}@d.test>`,
    'S: 250 2.1.5 Ok',
    'C: DATA',
    'S: 354 go ahead',
    'DATA',
    `S: 250 2.0.0 queued as Q${n}`,
  ].join('\n');
}

test('session: three messages over one connection, RSET between them (lock-step)', async () => {
  const script = [
    'S: 220 fake ESMTP',
    'C: EHLO client.test',
    ehloLines('8BITMIME'),
    lockStepMessage(1, false),
    lockStepMessage(2, true),
    lockStepMessage(3, true),
    'C: QUIT',
    'S: 221 bye',
  ].join('\n');
  const usable: boolean[] = [];
  const { value, srv } = await withSession(script, async (session) => {
    usable.push(session.usable);
    const out: TransactionFacts[] = [];
    for (const n of [1, 2, 3]) {
      out.push(await session.send(tx(n)));
      usable.push(session.usable);
    }
    return { out, session };
  });
  assert.deepEqual(srv.errors, []);
  assert.equal(srv.connections, 1);
  assert.deepEqual(
    srv.bodies.map(String),
    [1, 2, 3].map((n) => `message ${n}\r\n.\r\n`),
  );
  assert.deepEqual(usable, [true, true, true, true]);
  const [first, second, third] = value.out;
  assert.equal(first?.rset, undefined, 'the first transaction has no RSET');
  assert.equal(second?.rset?.code, 250);
  assert.equal(third?.rset?.code, 250);
  assert.deepEqual(
    value.out.map((t) => [t.failure, t.mail?.code, t.dataStart?.code, t.data?.text]),
    [1, 2, 3].map((n) => [undefined, 250, 354, `queued as Q${n}`]),
  );
  assert.deepEqual(value.out[1]?.message, { size: 11, eightBit: false });
  assert.equal(value.session.facts.quit?.code, 221);
  assert.equal(value.session.usable, false, 'a closed session takes no transaction');
  assert.equal(srv.received.filter((l) => l === 'QUIT').length, 1);
});

test('session: with PIPELINING, RSET leads each later group (RSET, MAIL, RCPT, DATA in one write)', async () => {
  // The server answers only once the whole group has arrived: a client waiting for the RSET
  // reply before sending MAIL would run into its RSET timeout instead.
  const script = `S: 220 fake
C: EHLO client.test
${ehloLines('PIPELINING')}
C: MAIL FROM:<a@b.test>
C: RCPT TO:<r1@d.test>
C: DATA
S: 250 ok
S: 250 ok
S: 354 go
DATA
S: 250 queued 1
C: RSET
C: MAIL FROM:<a@b.test>
C: RCPT TO:<r2@d.test>
C: DATA
S: 250 reset
S: 250 ok
S: 250 ok
S: 354 go
DATA
S: 250 queued 2
C: RSET
C: MAIL FROM:<>
C: RCPT TO:<r3@d.test>
S: 250 reset
S: 250 ok
S: 250 ok
C: QUIT
S: 221 bye`;
  const { value, srv, events } = await withSession(script, async (session) => [
    await session.send(tx(1)),
    await session.send(tx(2)),
    await session.send(probe(3)),
  ]);
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(
    value.map((t) => [t.failure?.message, t.rset?.text, t.data?.text]),
    [
      [undefined, undefined, 'queued 1'],
      [undefined, 'reset', 'queued 2'],
      [undefined, 'reset', undefined],
    ],
  );
  assert.deepEqual(srv.bodies.map(String), ['message 1\r\n.\r\n', 'message 2\r\n.\r\n']);
  // The second group: four commands go out before the first of their replies comes in.
  const lines = events.map((e) =>
    e.type === 'command' ? `C:${e.line}` : e.type === 'reply' ? `S:${e.state}` : e.type,
  );
  const start = lines.indexOf('C:RSET');
  assert.deepEqual(lines.slice(start, start + 9), [
    'C:RSET',
    'C:MAIL FROM:<a@b.test>',
    'C:RCPT TO:<r2@d.test>',
    'C:DATA',
    'S:RSET',
    'S:MAIL',
    'S:RCPT',
    'S:DATA',
    'body',
  ]);
});

test('session: a 4xx to MAIL on the second message leaves the session usable', async () => {
  for (const pipelining of [false, true]) {
    const refused = pipelining
      ? 'C: RSET\nC: MAIL FROM:<a@b.test>\nC: RCPT TO:<r2@d.test>\nC: DATA\nS: 250 ok\nS: 451 4.3.0 try later\nS: 503 5.5.1 no sender\nS: 503 5.5.1 no recipients'
      : 'C: RSET\nS: 250 ok\nC: MAIL FROM:<a@b.test>\nS: 451 4.3.0 try later';
    const message = (n: number, reset: boolean): string =>
      pipelining
        ? `${reset ? 'C: RSET\n' : ''}C: MAIL FROM:<a@b.test>\nC: RCPT TO:<r${n}@d.test>\nC: DATA\n${reset ? 'S: 250 ok\n' : ''}S: 250 ok\nS: 250 ok\nS: 354 go\nDATA\nS: 250 queued ${n}`
        : lockStepMessage(n, reset);
    const script = [
      'S: 220 fake',
      'C: EHLO client.test',
      ehloLines(...(pipelining ? ['PIPELINING'] : [])),
      message(1, false),
      refused,
      message(3, true),
      'C: QUIT',
      'S: 221 bye',
    ].join('\n');
    const { value, srv } = await withSession(script, async (session) => {
      const out: [TransactionFacts, boolean][] = [];
      for (const n of [1, 2, 3]) out.push([await session.send(tx(n)), session.usable]);
      return out;
    });
    const name = pipelining ? 'pipelined' : 'lock-step';
    assert.deepEqual(srv.errors, [], name);
    const [, [second, usableAfter] = [], [third] = []] = value;
    assert.equal(second?.failure?.code, 'SMTP_ERR_REPLY', name);
    assert.equal(second.failure.state, 'MAIL', name);
    assert.equal(second.failure.reply?.code, 451, name);
    assert.equal(second.data, undefined, name);
    assert.equal(usableAfter, true, name);
    assert.equal(third?.failure, undefined, name);
    assert.equal(third?.data?.code, 250, name);
    assert.deepEqual(srv.bodies.map(String), ['message 1\r\n.\r\n', 'message 3\r\n.\r\n'], name);
  }
});

test('session: a timeout makes it unusable; nothing more is sent, not even QUIT', async () => {
  const script = `S: 220 fake
C: EHLO client.test
${ehloLines()}
${lockStepMessage(1, false)}
C: RSET
S: 250 ok
C: MAIL FROM:<a@b.test>
S: 250 ok
C: RCPT TO:<r2@d.test>
STALL`;
  const { value, srv } = await withSession(
    script,
    async (session) => {
      const first = await session.send(tx(1));
      const second = await session.send(tx(2));
      const usable = session.usable;
      const third = await session.send(tx(3));
      return { first, second, usable, third };
    },
    { timeouts: { rcpt: 200 } },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(value.first.failure, undefined);
  assert.equal(value.second.failure?.code, 'SMTP_ERR_TIMEOUT');
  assert.equal(value.second.failure.state, 'RCPT');
  assert.equal(value.usable, false);
  assert.equal(value.third.failure?.code, 'SMTP_ERR_TIMEOUT');
  assert.match(value.third.failure.message, /^the session cannot take a transaction: timed out after 200 ms/);
  assert.equal(value.third.mail, undefined);
  assert.equal(srv.received.at(-1), 'RCPT TO:<r2@d.test>');
  assert.deepEqual(srv.extra, [], 'no RSET, MAIL or QUIT after the timeout');
});

test('session: recipient verification of three recipients over one session', async () => {
  const script = `S: 220 fake
C: EHLO client.test
${ehloLines()}
C: MAIL FROM:<>
S: 250 ok
C: RCPT TO:<r1@d.test>
S: 250 2.1.5 ok
C: RSET
S: 250 ok
C: MAIL FROM:<>
S: 250 ok
C: RCPT TO:<r2@d.test>
S: 550 5.1.1 no such user
C: RSET
S: 250 ok
C: MAIL FROM:<>
S: 250 ok
C: RCPT TO:<r3@d.test>
S: 450 4.2.1 try later
C: QUIT
S: 221 bye`;
  const { value, srv } = await withSession(script, async (session) => {
    const out: [TransactionFacts, boolean][] = [];
    for (const n of [1, 2, 3]) out.push([await session.send(probe(n)), session.usable]);
    return out;
  });
  assert.deepEqual(srv.errors, []);
  assert.equal(srv.connections, 1);
  assert.deepEqual(
    value.map(([t, usable]) => [codes(t), t.failure?.state, usable]),
    [
      [[250], undefined, true],
      [[550], 'RCPT', true],
      [[450], 'RCPT', true],
    ],
  );
  assert.equal(srv.received.includes('DATA'), false);
});

test('session: a failed opening is a fact; send() then sends nothing and close() says QUIT', async () => {
  const { value, srv } = await withSession('S: 554 5.7.1 go away\nC: QUIT\nS: 221 bye', async (session) => ({
    facts: { ...session.facts },
    usable: session.usable,
    tx: await session.send(tx(1)),
  }));
  assert.deepEqual(srv.errors, []);
  assert.equal(value.facts.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(value.facts.failure.state, 'GREETING');
  assert.equal(value.usable, false);
  assert.equal(value.tx.failure?.code, 'SMTP_ERR_REPLY');
  assert.match(value.tx.failure.message, /cannot take a transaction: 554 5\.7\.1 go away/);
  assert.deepEqual(srv.received, ['QUIT']);
});

test('session: after verifyPeer said no, send() never sends MAIL', async () => {
  const pki = makeTestPki();
  const script = `S: 220 fake\nC: EHLO client.test\n${ehloLines('STARTTLS')}\nC: STARTTLS\nS: 220 go\nSTARTTLS\nC: QUIT\nS: 221 bye`;
  const { value, srv } = await withSession(
    script,
    async (session) => ({ usable: session.usable, tx: await session.send(tx(1)) }),
    { starttls: 'required', verifyPeer: () => ({ ok: false, reason: 'no TLSA record matched' }) },
    { key: pki.leafKey, cert: pki.chain },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(value.usable, false);
  assert.equal(value.tx.failure?.code, 'SMTP_ERR_PEER_REJECTED');
  assert.deepEqual(srv.received, ['EHLO client.test', 'STARTTLS', 'QUIT']);
  assert.equal(srv.bodies.length, 0);
});

test('session: a refused RSET leaves the session unusable; with a 354 in the group nothing is answered', async () => {
  const lockStep = await withSession(
    `S: 220 fake\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<>\nS: 250 ok\nC: RCPT TO:<r1@d.test>\nS: 250 ok\nC: RSET\nS: 502 5.5.1 no RSET here\nC: QUIT\nS: 221 bye`,
    async (session) => {
      await session.send(probe(1));
      return { second: await session.send(tx(2)), usable: session.usable };
    },
  );
  assert.deepEqual(lockStep.srv.errors, []);
  assert.equal(lockStep.value.second.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(lockStep.value.second.failure.state, 'RSET');
  assert.equal(lockStep.value.second.rset?.code, 502);
  assert.equal(lockStep.value.usable, false);
  assert.equal(lockStep.srv.received.at(-1), 'QUIT');
  assert.equal(lockStep.srv.received.includes('MAIL FROM:<a@b.test>'), false);

  const grouped = await withSession(
    `S: 220 fake\nC: EHLO client.test\n${ehloLines('PIPELINING')}\nC: MAIL FROM:<>\nC: RCPT TO:<r1@d.test>\nS: 250 ok\nS: 250 ok\nC: RSET\nC: MAIL FROM:<a@b.test>\nC: RCPT TO:<r2@d.test>\nC: DATA\nS: 502 no RSET here\nS: 503 nested MAIL\nS: 250 ok\nS: 354 go`,
    async (session) => {
      await session.send(probe(1));
      return { second: await session.send(tx(2)), usable: session.usable };
    },
  );
  assert.deepEqual(grouped.srv.errors, []);
  assert.equal(grouped.value.second.failure?.state, 'RSET');
  assert.equal(grouped.value.second.dataStart?.code, 354);
  assert.equal(grouped.value.usable, false);
  assert.deepEqual(grouped.srv.extra, [], 'neither a body, nor a dot, nor QUIT');
  assert.equal(grouped.srv.bodies.length, 0);
});

test('session: the server closing an idle session makes the next transaction fail', async () => {
  const { value, srv } = await withSession(
    `S: 220 fake\nC: EHLO client.test\n${ehloLines()}\n${lockStepMessage(1, false)}\nS: 421 4.4.2 idle too long\nCLOSE`,
    async (session) => {
      const first = await session.send(tx(1));
      const second = await session.send(tx(2));
      return { first, second, usable: session.usable };
    },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(value.first.failure, undefined);
  assert.equal(value.second.failure?.code, 'SMTP_ERR_PROTOCOL');
  assert.equal(value.second.mail, undefined);
  assert.equal(value.usable, false);
  assert.deepEqual(srv.extra, []);
});

test('session: destroy() ends a running transaction at once with SMTP_ERR_ABORTED', async () => {
  let mailSent = (): void => undefined;
  const sent = new Promise<void>((resolve) => (mailSent = resolve));
  const { value } = await withSession(
    `S: 220 fake\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nSTALL`,
    async (session) => {
      const running = session.send(tx(1));
      await sent;
      session.destroy();
      return { facts: await running, usable: session.usable };
    },
    {
      timeouts: { mail: 5000 },
      onEvent: (e) => {
        if (e.type === 'command' && e.state === 'MAIL') mailSent();
      },
    },
  );
  // Without destroy() the wait would end in SMTP_ERR_TIMEOUT after 5 s.
  assert.equal(value.facts.failure?.code, 'SMTP_ERR_ABORTED');
  assert.equal(value.facts.failure.state, 'MAIL');
  assert.equal(value.usable, false);
});

test('session: bad use is an SMTP_ERR_ARGUMENT; close() is idempotent', async () => {
  const { value, srv } = await withSession(
    `S: 220 fake\nC: EHLO client.test\n${ehloLines()}\n${lockStepMessage(1, false)}\nC: QUIT\nS: 221 bye`,
    async (session) => {
      const isArgument = (e: unknown): boolean => (e as { code?: string }).code === 'SMTP_ERR_ARGUMENT';
      await assert.rejects(session.send(tx(1, { recipients: [] })), isArgument);
      await assert.rejects(session.send(tx(1, { from: 'not an address' })), isArgument);
      const running = session.send(tx(1));
      await assert.rejects(session.send(tx(2)), /already running/);
      assert.equal((await running).failure, undefined);
      const closing = session.close();
      assert.equal(session.close(), closing);
      await closing;
      await assert.rejects(session.send(tx(2)), /the session is closed/);
      return session.facts.quit?.code;
    },
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(value, 221);
  assert.equal(srv.received.filter((l) => l === 'QUIT').length, 1);
});

test('openSession rejects bad options before connecting', async () => {
  await assert.rejects(
    openSession({ address: 'mx.example', port: 25, helo: 'client.test', starttls: 'never' }),
    (e: unknown) => (e as { code?: string }).code === 'SMTP_ERR_ARGUMENT',
  );
});

test('session: with CHUNKING (RFC 3030) a message goes as one BDAT LAST with its envelope while the server holds no transaction', async () => {
  // Message 1: first on the session. Message 2: after a 250, still one write. Its recipient is
  // refused, so the server may still hold its MAIL: message 3's envelope is checked before the
  // chunk goes out.
  const body = (n: number): string => `.dot\r\nmessage ${n}\r\n`;
  const size = body(1).length;
  const script = `S: 220 fake
C: EHLO client.test
${ehloLines('PIPELINING', 'CHUNKING')}
C: MAIL FROM:<a@b.test>
C: RCPT TO:<r1@d.test>
C: BDAT ${size} LAST
CHUNK: ${size}
S: 250 ok
S: 250 ok
S: 250 queued 1
C: RSET
C: MAIL FROM:<a@b.test>
C: RCPT TO:<r2@d.test>
C: BDAT ${size} LAST
CHUNK: ${size}
S: 250 reset
S: 250 ok
S: 550 5.1.1 no such user
S: 554 5.5.1 no valid recipients
C: RSET
C: MAIL FROM:<a@b.test>
C: RCPT TO:<r3@d.test>
S: 250 reset
S: 250 ok
S: 250 ok
C: BDAT ${size} LAST
CHUNK: ${size}
S: 250 queued 3
C: QUIT
S: 221 bye`;
  const { value, srv, events } = await withSession(script, async (session) => [
    await session.send(tx(1, { message: msg(body(1)) })),
    await session.send(tx(2, { message: msg(body(2)) })),
    await session.send(tx(3, { message: msg(body(3)) })),
  ]);
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(
    value.map((t) => [t.failure?.code, t.data?.code, t.dataStart]),
    [
      [undefined, 250, undefined],
      ['SMTP_ERR_REPLY', 554, undefined],
      [undefined, 250, undefined],
    ],
  );
  assert.match(value[1]?.failure?.message ?? '', /all recipients were rejected/);
  // No dot-stuffing and no terminator in a chunk: the message exactly.
  assert.deepEqual(srv.bodies.map(String), [body(1), body(2), body(3)]);
  const lines = events.map((e) =>
    e.type === 'command'
      ? `C:${e.line.split(' ')[0] ?? ''}`
      : e.type === 'reply'
        ? `S:${e.reply.code}`
        : e.type,
  );
  const third = lines.lastIndexOf('C:RSET');
  assert.deepEqual(lines.slice(third, third + 8), [
    'C:RSET',
    'C:MAIL',
    'C:RCPT',
    'S:250',
    'S:250',
    'S:250',
    'C:BDAT',
    'S:250',
  ]);
});

test('session: CHUNKING without PIPELINING waits for each reply, then sends the chunk; a 5xx to BDAT refuses the message', async () => {
  const size = 'message 1\r\n'.length;
  const script = `S: 220 fake
C: EHLO client.test
${ehloLines('CHUNKING', 'ENHANCEDSTATUSCODES')}
C: MAIL FROM:<a@b.test>
S: 250 2.1.0 ok
C: RCPT TO:<r1@d.test>
S: 250 2.1.5 ok
C: BDAT ${size} LAST
CHUNK: ${size}
S: 552 5.3.4 too big for us
C: QUIT
S: 221 bye`;
  const { value, srv } = await withSession(script, (session) => session.send(tx(1)));
  assert.deepEqual(srv.errors, []);
  assert.equal(value.data?.code, 552);
  assert.equal(value.failure?.code, 'SMTP_ERR_REPLY');
  assert.equal(value.failure.state, 'DATA_BODY');
  assert.deepEqual(srv.bodies.map(String), ['message 1\r\n']);
});
