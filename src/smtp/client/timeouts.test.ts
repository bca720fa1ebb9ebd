import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  ehloLines,
  hasOpenssl,
  makeTestPki,
  withFakeServer,
} from '../../../test/helpers/fake-smtp-server.ts';
import { runTransaction } from './transaction.ts';
import { uniformTimeouts, type Timeouts } from './session.ts';
import type { TransactionOptions } from './types.ts';

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

for (const c of cases) {
  const needsTls = c.opts?.starttls === 'required';
  test(`timeout: ${c.name}`, { skip: needsTls && !hasOpenssl() && 'openssl CLI not installed' }, async () => {
    const pki = needsTls ? makeTestPki() : undefined;
    const started = Date.now();
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
          ...c.opts,
        }),
    );
    const ms = Date.now() - started;
    assert.ok(ms >= SHORT - 20 && ms < 2500, `took ${ms} ms`);
    assert.deepEqual(server.errors, []);
    if (!c.want.failure) {
      assert.equal(result.failure, undefined);
      assert.equal(result.quit, undefined);
      assert.equal(result.recipients[0]?.reply?.code, 250);
      return;
    }
    assert.equal(result.failure?.code, 'SMTP_ERR_TIMEOUT');
    assert.equal(result.failure.state, c.want.state);
    assert.match(result.failure.message, new RegExp(`^timed out after ${SHORT} ms `));
  });
}

test('timeout: data block (the server stops reading the body)', async () => {
  // 16 MiB of 100-octet lines: far more than loopback socket buffers absorb while unread.
  const body = Buffer.alloc(16 * 1024 * 1024, `${'x'.repeat(98)}\r\n`);
  const started = Date.now();
  const { value: result } = await withFakeServer(
    { script: `${HI}\n${ehloLines()}\n${ENVELOPE}\nC: DATA\nS: 354 go\nPAUSE\nSLEEP 600\nRESUME\nSTALL` },
    (s) =>
      runTransaction({
        address: s.host,
        port: s.port,
        helo: 'client.test',
        starttls: 'never',
        from: 'a@b.test',
        recipients: [{ address: 'c@d.test' }],
        message: body,
        timeouts: timeouts('dataBlock'),
      }),
  );
  assert.ok(Date.now() - started < 4000);
  assert.equal(result.failure?.code, 'SMTP_ERR_TIMEOUT');
  assert.equal(result.failure.state, 'DATA_BODY');
  assert.match(result.failure.message, /timed out after 200 ms sending the message body/);
  assert.equal(result.data, undefined);
});

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'pass'], { stdio: 'ignore' }).status === 0;
}

test(
  'timeout: connect (a listener whose accept queue is full)',
  { skip: !hasPython() && 'python3 not installed' },
  async () => {
    // A socket that listens with backlog 0 and never accepts: once one connection fills the
    // queue, the kernel drops further SYNs and connect() hangs — all on loopback.
    const py = spawn(
      'python3',
      [
        '-c',
        [
          'import socket, time',
          's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
          'print(s.getsockname()[1], flush=True)',
          'time.sleep(20)',
        ].join('\n'),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const [line] = (await once(py.stdout, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      const fillers = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
      for (const f of fillers) f.on('error', () => undefined);
      await once(fillers[0] as net.Socket, 'connect');
      const started = Date.now();
      const result = await runTransaction({
        address: '127.0.0.1',
        port,
        helo: 'client.test',
        starttls: 'never',
        from: 'a@b.test',
        recipients: [{ address: 'c@d.test' }],
        timeouts: { connect: SHORT },
      });
      for (const f of fillers) f.destroy();
      assert.ok(Date.now() - started < 2000);
      assert.equal(result.connected, false);
      assert.equal(result.failure?.code, 'SMTP_ERR_TIMEOUT');
      assert.equal(result.failure.state, 'CONNECT');
      assert.match(result.failure.message, /timed out after 200 ms connecting to \[127\.0\.0\.1\]:/);
    } finally {
      py.kill();
    }
  },
);
