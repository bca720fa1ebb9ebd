/**
 * The lab's receiving MX servers under stress: SNI choosing the chain and a refused handshake
 * recorded with its SNI name, hostile clients (early talkers, resets mid-DATA, junk instead of a
 * ClientHello), close() with idle, mid-DATA and mid-handshake clients, bad options and busy
 * ports, IPv6 loopback. Waits are on the receivers' own events, never on sleeping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer } from 'node:net';
import { DAY, inter, leaf, NOW, TestClient, tlsFor, withReceiver } from '../../../test/lab/smtp-client.ts';
import { issueLeaf } from '../pki/certs.ts';
import { LabReceiverError, startReceiver, type StartReceiverOptions } from './receivers.ts';

test('SNI picks the chain, and a refused handshake is recorded with its SNI name', async () => {
  const other = issueLeaf({
    issuer: inter,
    dnsNames: ['mx2.example.net'],
    notBefore: NOW - DAY,
    notAfter: NOW + DAY,
  });
  const tls = { ...tlsFor(leaf), sni: { 'MX2.example.net': tlsFor(other) } };
  const r = await withReceiver({ tls }, async (rec) => {
    const cases = [
      { sni: 'mx2.example.net', want: 'mx2.example.net' },
      { sni: 'mx1.example.org', want: 'mx1.example.org' },
    ];
    for (const { sni, want } of cases) {
      const c = await TestClient.open(rec);
      await c.reply();
      await c.cmd('EHLO client.example');
      const { socket } = await c.startTls({ servername: sni, rejectUnauthorized: false });
      assert.ok(socket?.getPeerX509Certificate()?.checkHost(want), sni);
      c.close();
    }
    // A client that does not trust the chain aborts the handshake (as a DANE client would).
    const c = await TestClient.open(rec);
    await c.reply();
    await c.cmd('EHLO client.example');
    const { error } = await c.startTls({ servername: 'mx1.example.org', ca: [other.pem] });
    assert.ok(error !== undefined);
    c.close();
    await rec.waitFor(() => rec.sessions.length === 3 && rec.sessions[2]?.closedAt !== undefined);
  });
  assert.deepEqual(r.sniSeen, ['mx2.example.net', 'mx1.example.org', 'mx1.example.org']);
  const failed = r.sessions[2]!;
  assert.equal(failed.tls.used, false);
  assert.equal(failed.tls.startTls, true);
  assert.equal(failed.tls.servername, 'mx1.example.org');
  assert.ok(failed.tls.error !== undefined && failed.tls.error.length > 0, 'handshake failure recorded');
});

test('hostile clients do not crash the receiver', async () => {
  await withReceiver({ tls: tlsFor(leaf) }, async (r) => {
    // Garbage before the greeting, a binary blob, a reset in the middle of DATA, junk after STARTTLS.
    const early = netConnect({ host: r.address, port: r.port });
    early.on('error', () => undefined);
    early.write('EHLO too.early\r\n\x00\xff\xfe garbage\r\n');
    const mid = await TestClient.open(r);
    await mid.reply();
    await mid.cmd('EHLO client.example');
    await mid.cmd('MAIL FROM:<a@b.example>');
    await mid.cmd('RCPT TO:<x@y.example>');
    await mid.cmd('DATA');
    mid.socket.write('partial message');
    mid.socket.resetAndDestroy();
    const junk = await TestClient.open(r);
    await junk.reply();
    await junk.cmd('EHLO client.example');
    await junk.cmd('STARTTLS');
    junk.socket.write('this is not a ClientHello\r\n\r\n');
    await r.waitFor(() => r.sessions.filter((s) => s.closedAt !== undefined).length >= 2);
    early.destroy();
    // Still serving.
    const c = await TestClient.open(r);
    await c.reply();
    assert.equal((await c.cmd('EHLO client.example')).code, 250);
    assert.equal((await c.cmd('MAIL FROM:<a@b.example>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<x@y.example>')).code, 250);
    assert.equal((await c.data('Subject: after\n\nfine\n')).code, 250);
    c.close();
    assert.equal(r.messages.length, 1);
    const junkSession = r.sessions.find((s) => s.tls.startTls);
    assert.ok(junkSession?.tls.error, 'failed handshake recorded');
  });
});

test('close() drops idle, mid-DATA and mid-handshake clients instead of waiting for them', async () => {
  const r = await startReceiver({ address: '127.0.0.1', hostname: 'mx1.example.org', tls: tlsFor(leaf) });
  const idle = await TestClient.open(r);
  await idle.reply();
  await idle.cmd('EHLO client.example');
  const inData = await TestClient.open(r);
  await inData.reply();
  await inData.cmd('EHLO client.example');
  await inData.cmd('MAIL FROM:<a@b.example>');
  await inData.cmd('RCPT TO:<x@y.example>');
  await inData.cmd('DATA');
  inData.socket.write('Subject: never finished\r\n');
  const handshaking = await TestClient.open(r);
  await handshaking.reply();
  await handshaking.cmd('EHLO client.example');
  assert.equal((await handshaking.cmd('STARTTLS')).code, 220); // and never sends a ClientHello
  const closed = [idle, inData, handshaking].map(
    (c) =>
      new Promise<void>((resolve) => {
        if (c.socket.destroyed) resolve();
        else
          c.socket.once('close', () => {
            resolve();
          });
      }),
  );
  await r.close();
  assert.equal(r.sessions.length, 3);
  assert.ok(
    r.sessions.every((s) => s.closedAt !== undefined),
    'every session marked closed when close() resolves',
  );
  // None of the clients ever closes by itself: only the receiver can have ended their sockets.
  await Promise.all(closed);
  assert.deepEqual(r.stats().connections, { total: 3, open: 0, peak: 3 });
  assert.deepEqual(
    r.sessions.map((s) => s.tls.error),
    [undefined, undefined, 'connection closed before the TLS handshake completed'],
  );
  assert.equal(r.messages.length, 0);
  await r.close(); // idempotent
  const refused = netConnect({ host: r.address, port: r.port });
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => refused.once('error', resolve));
  assert.equal(err.code, 'ECONNREFUSED');
});

test('bad options and busy ports throw LabReceiverError', async () => {
  const cases: { opts: StartReceiverOptions; want: { code: string; message: RegExp } }[] = [
    {
      opts: { address: '192.0.2.1', hostname: 'mx' },
      want: { code: 'LAB_ERR_RECEIVER_ARGUMENT', message: /not loopback/ },
    },
    {
      opts: { address: '0.0.0.0', hostname: 'mx' },
      want: { code: 'LAB_ERR_RECEIVER_ARGUMENT', message: /not loopback/ },
    },
    {
      opts: { address: 'localhost', hostname: 'mx' },
      want: { code: 'LAB_ERR_RECEIVER_ARGUMENT', message: /not loopback/ },
    },
    {
      opts: { address: '::', hostname: 'mx' },
      want: { code: 'LAB_ERR_RECEIVER_ARGUMENT', message: /not loopback/ },
    },
    {
      opts: { address: '127.0.0.1', hostname: 'mx', port: 70000 },
      want: { code: 'LAB_ERR_RECEIVER_ARGUMENT', message: /port/ },
    },
    {
      opts: { address: '127.0.0.1', hostname: 'bad host\r\n' },
      want: { code: 'LAB_ERR_RECEIVER_ARGUMENT', message: /hostname/ },
    },
    {
      opts: { address: '127.0.0.1', hostname: 'mx', maxSize: 0 },
      want: { code: 'LAB_ERR_RECEIVER_ARGUMENT', message: /maxSize/ },
    },
  ];
  for (const { opts, want } of cases) {
    await assert.rejects(startReceiver(opts), (err: unknown) => {
      assert.ok(err instanceof LabReceiverError, opts.address);
      assert.equal(err.code, want.code);
      assert.match(err.message, want.message);
      return true;
    });
  }
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(startReceiver({ address: '127.0.0.1', port, hostname: 'mx' }), (err: unknown) => {
      assert.ok(err instanceof LabReceiverError);
      assert.equal(err.code, 'LAB_ERR_RECEIVER_LISTEN');
      assert.match(err.message, /EADDRINUSE/);
      return true;
    });
  } finally {
    blocker.close();
  }
});

test('IPv6 loopback works where ::1 is available', async (t) => {
  const probe = createServer();
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
  await withReceiver({ address: '::1' }, async (r) => {
    assert.equal(r.address, '::1');
    const c = await TestClient.open(r);
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO client.example')).code, 250);
    c.close();
  });
});
