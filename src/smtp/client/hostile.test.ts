import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { ehloLines, withFakeServer, type FakeSmtpServer } from '../../../test/helpers/fake-smtp-server.ts';
import { runTransaction } from './transaction.ts';
import type { SmtpEvent, TransactionOptions, TransactionResult } from './types.ts';

async function run(
  script: string,
  opts: Partial<TransactionOptions> = {},
  host?: string,
): Promise<{ result: TransactionResult; srv: FakeSmtpServer; events: SmtpEvent[] }> {
  const events: SmtpEvent[] = [];
  const { value, server } = await withFakeServer({ script, ...(host === undefined ? {} : { host }) }, (s) =>
    runTransaction({
      address: s.host,
      port: s.port,
      helo: 'client.test',
      starttls: 'never',
      from: 'a@b.test',
      recipients: [{ address: 'c@d.test' }],
      timeouts: { greeting: 3000, ehlo: 3000, mail: 3000, rcpt: 3000, quit: 1000 },
      onEvent: (e) => events.push(e),
      ...opts,
    }),
  );
  return { result: value, srv: server, events };
}

interface Case {
  name: string;
  script: string;
  want: { state: string; message: RegExp };
}

const PROTOCOL_CASES: Case[] = [
  {
    name: 'garbage greeting',
    script: 'S: hello, I am not SMTP',
    want: { state: 'GREETING', message: /malformed reply line/ },
  },
  {
    name: 'close before the greeting',
    script: 'CLOSE',
    want: { state: 'GREETING', message: /closed by the server/ },
  },
  {
    name: 'endless multi-line reply',
    script: 'S: 220 hi\nC: EHLO client.test\nENDLESS: 250-spam spam spam',
    want: { state: 'EHLO', message: /exceeds 200 lines/ },
  },
  {
    name: 'over-long reply line',
    script: `S: 220 hi\nC: EHLO client.test\nRAW: "250 ${'x'.repeat(10_000)}"\nSTALL`,
    want: { state: 'EHLO', message: /exceeds 4096 octets/ },
  },
  {
    name: 'close in the middle of a multi-line reply',
    script: 'S: 220 hi\nC: EHLO client.test\nRAW: "250-partial\\r\\n250-SIZE"\nCLOSE',
    want: { state: 'EHLO', message: /closed by the server/ },
  },
  {
    name: 'inconsistent codes in a multi-line reply',
    script: 'S: 220 hi\nC: EHLO client.test\nS: 250-fake\nS: 550 surprise',
    want: { state: 'EHLO', message: /inconsistent codes/ },
  },
  {
    name: 'a reply nobody asked for',
    script: 'RAW: "220 hi\\r\\n250 unsolicited\\r\\n"\nSTALL',
    want: { state: 'EHLO', message: /unexpected data before EHLO/ },
  },
  {
    name: 'garbage after the MAIL reply (pipelined)',
    script: `S: 220 hi\nC: EHLO client.test\n${ehloLines('PIPELINING')}\nC: MAIL FROM:<a@b.test>\nC: RCPT TO:<c@d.test>\nS: 250 ok\nS: 2x0 what`,
    want: { state: 'RCPT', message: /malformed reply line/ },
  },
];

for (const c of PROTOCOL_CASES) {
  test(`hostile server: ${c.name} → SMTP_ERR_PROTOCOL, no QUIT`, async () => {
    // Every wait is 3 s: a client that hung would fail with SMTP_ERR_TIMEOUT, not this code.
    const { result, srv, events } = await run(c.script);
    assert.equal(result.failure?.code, 'SMTP_ERR_PROTOCOL');
    assert.equal(result.failure.state, c.want.state);
    assert.match(result.failure.message, c.want.message);
    assert.equal(result.failure.message.includes('\n'), false);
    assert.equal(srv.received.includes('QUIT') || srv.extra.includes('QUIT'), false);
    assert.equal(events.filter((e) => e.type === 'error').length, 1);
  });
}

test('replies split byte by byte are parsed whole', async () => {
  const { result, srv } = await run(
    `BYTEWISE: "220 slow ESMTP\\r\\n"\nC: EHLO client.test\nBYTEWISE: "250-fake\\r\\n250 PIPELINING\\r\\n"\nC: MAIL FROM:<a@b.test>\nC: RCPT TO:<c@d.test>\nBYTEWISE: "250 2.1.0 ok\\r\\n250 2.1.5 ok\\r\\n"\nC: RSET\nBYTEWISE: "250 ok\\r\\n"\nC: QUIT\nBYTEWISE: "221 bye\\r\\n"`,
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.equal(result.recipients[0]?.reply?.enhanced, '2.1.5');
  assert.equal(result.quit?.code, 221);
});

test('connection refused → SMTP_ERR_CONNECT, not connected', async () => {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  probe.close();
  await once(probe, 'close');
  const result = await runTransaction({
    address: '127.0.0.1',
    port,
    helo: 'client.test',
    starttls: 'never',
    from: 'a@b.test',
    recipients: [{ address: 'c@d.test' }],
  });
  assert.equal(result.connected, false);
  assert.equal(result.failure?.code, 'SMTP_ERR_CONNECT');
  assert.equal(result.failure.state, 'CONNECT');
  assert.match(
    result.failure.message,
    new RegExp(`cannot connect to \\[127\\.0\\.0\\.1\\]:${port}: ECONNREFUSED`),
  );
});

test('abort: a signal fired mid-session stops at once; an aborted signal never connects', async () => {
  const controller = new AbortController();
  // Abort once EHLO has gone out; the server never answers it (a 3 s EHLO timeout otherwise).
  const mid = await run('S: 220 hi\nC: EHLO client.test\nSTALL', {
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'command' && e.state === 'EHLO') controller.abort();
    },
  });
  assert.equal(mid.result.failure?.code, 'SMTP_ERR_ABORTED');
  assert.equal(mid.result.failure.state, 'EHLO');
  const pre = await run('S: 220 hi', { signal: AbortSignal.abort() });
  assert.equal(pre.result.failure?.code, 'SMTP_ERR_ABORTED');
  assert.equal(pre.result.connected, false);
  assert.equal(pre.srv.connections, 0);
});

test('localAddress is used as the source address', async () => {
  const { result, srv } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    {
      localAddress: '127.0.0.2',
    },
  );
  assert.equal(result.failure, undefined);
  assert.deepEqual(srv.remoteAddresses, ['127.0.0.2']);
});

test('IPv6 ::1', async (t) => {
  const probe = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    probe.once('error', () => {
      resolve(false);
    });
    probe.listen(0, '::1', () => {
      resolve(true);
    });
  });
  probe.close();
  if (!ok) {
    t.skip('::1 is not available on this machine');
    return;
  }
  const { result, srv, events } = await run(
    `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    {},
    '::1',
  );
  assert.deepEqual(srv.errors, []);
  assert.equal(result.failure, undefined);
  assert.equal(result.address, '::1');
  assert.deepEqual(events[0], { type: 'connect', address: '::1', port: srv.port });
});
