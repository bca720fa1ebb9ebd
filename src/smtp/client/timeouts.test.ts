import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ehloLines, makeTestPki, withFakeServer } from '../../../test/helpers/fake-smtp-server.ts';
import { runTransaction } from './transaction.ts';
import { uniformTimeouts, type Timeouts } from './session.ts';
import type { SmtpEvent, TransactionOptions } from './types.ts';

const SHORT = 200;
const LONG = 5000;

interface Case {
  name: string;
  script: string;
  timeout: keyof Timeouts;
  opts?: Partial<TransactionOptions>;
  tls?: boolean;
  want: { state: string; failure: boolean };
}

const HI = `S: 220 hi\nC: EHLO client.test`;
const ENVELOPE = `C: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok`;
const MESSAGE = { message: new TextEncoder().encode('hello\r\n') };

const cases: Case[] = [
  { name: 'greeting', script: 'STALL', timeout: 'greeting', want: { state: 'GREETING', failure: true } },
  { name: 'EHLO', script: `${HI}\nSTALL`, timeout: 'ehlo', want: { state: 'EHLO', failure: true } },
  {
    name: 'STARTTLS reply',
    script: `${HI}\n${ehloLines('STARTTLS')}\nC: STARTTLS\nSTALL`,
    timeout: 'starttls',
    opts: { starttls: 'required' },
    want: { state: 'STARTTLS', failure: true },
  },
  {
    name: 'TLS handshake',
    script: `${HI}\n${ehloLines('STARTTLS')}\nC: STARTTLS\nS: 220 go\nSTALL`,
    timeout: 'tlsHandshake',
    opts: { starttls: 'required' },
    want: { state: 'TLS_HANDSHAKE', failure: true },
  },
  {
    name: 'MAIL',
    script: `${HI}\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nSTALL`,
    timeout: 'mail',
    want: { state: 'MAIL', failure: true },
  },
  {
    name: 'RCPT',
    script: `${HI}\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nSTALL`,
    timeout: 'rcpt',
    want: { state: 'RCPT', failure: true },
  },
  {
    name: 'DATA initiation',
    script: `${HI}\n${ehloLines()}\n${ENVELOPE}\nC: DATA\nSTALL`,
    timeout: 'data',
    opts: MESSAGE,
    want: { state: 'DATA', failure: true },
  },
  {
    name: 'DATA termination (the reply to the dot)',
    script: `${HI}\n${ehloLines()}\n${ENVELOPE}\nC: DATA\nS: 354 go\nDATA\nSTALL`,
    timeout: 'dataDone',
    opts: MESSAGE,
    want: { state: 'DATA_BODY', failure: true },
  },
  {
    name: 'RSET (recipient verification)',
    script: `${HI}\n${ehloLines()}\n${ENVELOPE}\nC: RSET\nSTALL`,
    timeout: 'rset',
    want: { state: 'RSET', failure: true },
  },
  {
    name: 'QUIT is never waited for long and is no failure',
    script: `${HI}\n${ehloLines()}\n${ENVELOPE}\nC: RSET\nS: 250 ok\nC: QUIT\nSTALL`,
    timeout: 'quit',
    want: { state: 'QUIT', failure: false },
  },
];

function timeouts(short: keyof Timeouts): Partial<Timeouts> {
  return { ...uniformTimeouts(LONG), [short]: SHORT };
}

// Which timeout fired is told by the failure's state and its "timed out after 200 ms" (every
// other timeout is 5000 ms), never by the clock.
for (const c of cases) {
  const needsTls = c.opts?.starttls === 'required';
  test(`timeout: ${c.name}`, async () => {
    const pki = needsTls ? makeTestPki() : undefined;
    const events: SmtpEvent[] = [];
    const { value: result, server } = await withFakeServer(
      { script: c.script, ...(pki === undefined ? {} : { tls: { key: pki.leafKey, cert: pki.chain } }) },
      (s) =>
        runTransaction({
          address: s.host,
          port: s.port,
          helo: 'client.test',
          starttls: 'never',
          from: 'a@b.test',
          recipients: [{ address: 'c@d.test' }],
          timeouts: timeouts(c.timeout),
          onEvent: (e) => events.push(e),
          ...c.opts,
        }),
    );
    assert.deepEqual(server.errors, []);
    if (!c.want.failure) {
      assert.equal(result.failure, undefined);
      assert.equal(result.quit, undefined);
      assert.equal(result.recipients[0]?.reply?.code, 250);
      const errors = events.filter((e) => e.type === 'error');
      assert.deepEqual(
        errors.map((e) => [e.code, e.state, e.message]),
        [['SMTP_ERR_TIMEOUT', 'QUIT', `timed out after ${SHORT} ms sending QUIT`]],
      );
      return;
    }
    assert.equal(result.failure?.code, 'SMTP_ERR_TIMEOUT');
    assert.equal(result.failure.state, c.want.state);
    assert.match(result.failure.message, new RegExp(`^timed out after ${SHORT} ms `));
  });
}

test('timeout: data block (the server stops reading the body)', async () => {
  // 16 MiB of 100-octet lines: far more than loopback socket buffers absorb while unread. The
  // server reads again only once the client has given up (a paused socket cannot see it go).
  const body = Buffer.alloc(16 * 1024 * 1024, `${'x'.repeat(98)}\r\n`);
  const { value: result } = await withFakeServer(
    {
      script: `${HI}\n${ehloLines()}\n${ENVELOPE}\nC: DATA\nS: 354 go\nPAUSE\nWAIT: client-done\nRESUME\nSTALL`,
    },
    async (s) => {
      const r = await runTransaction({
        address: s.host,
        port: s.port,
        helo: 'client.test',
        starttls: 'never',
        from: 'a@b.test',
        recipients: [{ address: 'c@d.test' }],
        message: body,
        timeouts: timeouts('dataBlock'),
      });
      s.release('client-done');
      return r;
    },
  );
  assert.equal(result.failure?.code, 'SMTP_ERR_TIMEOUT');
  assert.equal(result.failure.state, 'DATA_BODY');
  assert.match(result.failure.message, /timed out after 200 ms sending the message body/);
  assert.equal(result.data, undefined);
});

/**
 * A listener whose accept queue is full: a child Node process listens with backlog 1 (Node takes
 * 0 for "default") and then blocks its event loop, so nothing is ever accepted; once two
 * connections fill the queue, the kernel drops further SYNs and connect() hangs — all on
 * loopback, with no tool but Node.
 */
const BLOCKED_LISTENER = `
const net = require('node:net');
const server = net.createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
});`;

test('timeout: connect (a listener whose accept queue is full)', async () => {
  const child = spawn(process.execPath, ['-e', BLOCKED_LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const fillers = [1, 2, 3].map(() => net.connect(port, '127.0.0.1'));
    for (const f of fillers) f.on('error', () => undefined);
    await Promise.all(fillers.slice(0, 2).map((f) => once(f, 'connect')));
    const result = await runTransaction({
      address: '127.0.0.1',
      port,
      helo: 'client.test',
      starttls: 'never',
      from: 'a@b.test',
      recipients: [{ address: 'c@d.test' }],
      timeouts: { ...uniformTimeouts(LONG), connect: SHORT },
    });
    for (const f of fillers) f.destroy();
    assert.equal(result.connected, false);
    assert.equal(result.failure?.code, 'SMTP_ERR_TIMEOUT');
    assert.equal(result.failure.state, 'CONNECT');
    assert.match(result.failure.message, /^timed out after 200 ms connecting to \[127\.0\.0\.1\]:/);
  } finally {
    child.kill('SIGKILL');
  }
});
