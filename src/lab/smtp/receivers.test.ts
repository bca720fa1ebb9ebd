/**
 * Tests of the lab's receiving MX servers against a small hand-written SMTP client (node:net and
 * node:tls): STARTTLS with a chosen chain and SNI, no STARTTLS, refusals with chosen replies, size
 * limits, SMTPUTF8, hostile clients, prompt close(). Loopback only, ephemeral ports. Certificates
 * are valid at the real time because Node's TLS client checks validity against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  type ConnectionOptions,
  type DetailedPeerCertificate,
  type TLSSocket,
} from 'node:tls';
import { FixedClock } from '../../util/index.ts';
import { chainPem, createCa, issueLeaf, type LabCert } from '../pki/certs.ts';
import { LabReceiverError, startReceiver, type Receiver, type StartReceiverOptions } from './receivers.ts';

const DAY = 86_400_000;
const NOW = Date.now();
const root = createCa({ name: 'Lab Root', notBefore: NOW - DAY, notAfter: NOW + 30 * DAY });
const inter = createCa({
  name: 'Lab Intermediate',
  issuer: root,
  notBefore: NOW - DAY,
  notAfter: NOW + 30 * DAY,
});
const leaf = issueLeaf({
  issuer: inter,
  dnsNames: ['mx1.example.org'],
  notBefore: NOW - DAY,
  notAfter: NOW + 30 * DAY,
});

function tlsFor(cert: LabCert, include: 'leaf' | 'leaf+intermediates' | 'full' = 'leaf+intermediates') {
  return { key: cert.key.privateKey, certChainPem: chainPem(cert, { include }) };
}

interface Reply {
  code: number;
  lines: string[];
}

/** A minimal line-oriented SMTP client for the tests. */
class TestClient {
  socket: Socket | TLSSocket;
  #buffer = '';
  #lines: string[] = [];
  #waiters: ((line: string | undefined) => void)[] = [];
  #closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
    this.#attach(socket);
  }

  static async open(receiver: Receiver): Promise<TestClient> {
    const socket = netConnect({ host: receiver.address, port: receiver.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let i;
      while ((i = this.#buffer.indexOf('\r\n')) >= 0) {
        this.#push(this.#buffer.slice(0, i));
        this.#buffer = this.#buffer.slice(i + 2);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    });
  }

  #push(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(line);
    else this.#lines.push(line);
  }

  #line(): Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined || this.#closed) return Promise.resolve(line);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The next (possibly multi-line) reply; code 0 when the server closed the connection. */
  async reply(): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.#line();
      if (line === undefined) return { code: 0, lines };
      lines.push(line);
      if (line[3] !== '-') return { code: Number(line.slice(0, 3)), lines };
    }
  }

  async cmd(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** STARTTLS and the handshake; resolves with the TLS socket or the handshake error. */
  async startTls(options: ConnectionOptions): Promise<{ reply: Reply; socket?: TLSSocket; error?: Error }> {
    const reply = await this.cmd('STARTTLS');
    if (reply.code !== 220) return { reply };
    const raw = this.socket;
    raw.removeAllListeners('data');
    const tls = tlsConnect({ ...options, socket: raw });
    return new Promise((resolve) => {
      tls.once('secureConnect', () => {
        this.socket = tls;
        this.#attach(tls);
        resolve({ reply, socket: tls });
      });
      tls.once('error', (error) => {
        resolve({ reply, error });
      });
    });
  }

  /** DATA with dot-stuffing; returns the reply after the final dot. */
  async data(body: string): Promise<Reply> {
    const go = await this.cmd('DATA');
    if (go.code !== 354) return go;
    const stuffed = body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}

async function withReceiver(
  opts: Partial<StartReceiverOptions>,
  body: (r: Receiver) => Promise<void>,
): Promise<Receiver> {
  const receiver = await startReceiver({ address: '127.0.0.1', hostname: 'mx1.example.org', ...opts });
  try {
    await body(receiver);
  } finally {
    await receiver.close();
  }
  return receiver;
}

const clientTls = (servername: string): ConnectionOptions => ({ servername, ca: [root.pem] });

test('STARTTLS delivery is recorded with TLS facts, SNI and commands', async () => {
  const clock = new FixedClock(Date.UTC(2030, 0, 2, 3, 4, 5));
  const receiver = await withReceiver({ address: '127.0.0.2', tls: tlsFor(leaf), clock }, async (r) => {
    assert.equal(r.address, '127.0.0.2');
    assert.ok(r.port > 0);
    const c = await TestClient.open(r);
    assert.deepEqual((await c.reply()).lines, ['220 mx1.example.org ESMTP']);
    const ehlo = await c.cmd('EHLO client.example');
    assert.equal(ehlo.code, 250);
    assert.ok(
      ehlo.lines.includes('250 STARTTLS') || ehlo.lines.includes('250-STARTTLS'),
      ehlo.lines.join('|'),
    );
    const { socket, error } = await c.startTls(clientTls('mx1.example.org'));
    assert.equal(error, undefined);
    assert.ok(socket?.authorized, 'chain verified against the root with the SNI name');
    const again = await c.cmd('EHLO client.example');
    assert.ok(!again.lines.some((l) => l.includes('STARTTLS')), 'no STARTTLS inside TLS');
    assert.equal((await c.cmd('MAIL FROM:<alice@client.example>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<bob@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<carol@example.org>')).code, 250);
    const done = await c.data('Subject: hi\n\n.leading dot\nbody\n');
    assert.equal(done.code, 250);
    assert.match(done.lines[0] ?? '', /^250 2\.6\.0 Ok: queued as /);
    assert.equal((await c.cmd('QUIT')).code, 221);
    c.close();
  });
  assert.equal(receiver.messages.length, 1);
  const m = receiver.messages[0]!;
  assert.equal(m.from, 'alice@client.example');
  assert.deepEqual(m.to, ['bob@example.org', 'carol@example.org']);
  assert.equal(Buffer.from(m.data).toString(), 'Subject: hi\r\n\r\n.leading dot\r\nbody\r\n');
  assert.equal(m.tls.used, true);
  assert.equal(m.tls.protocol, 'TLSv1.3');
  assert.match(m.tls.cipher ?? '', /^TLS_/);
  assert.equal(m.tls.servername, 'mx1.example.org');
  assert.equal(m.receivedAt, clock.now());
  assert.equal(m.smtputf8, false);
  const s = receiver.sessions[0]!;
  assert.equal(receiver.sessions.length, 1);
  assert.equal(s.id, m.sessionId);
  assert.deepEqual(s.commands.slice(0, 3), ['EHLO client.example', 'STARTTLS', 'EHLO client.example']);
  assert.ok(s.commands.includes('QUIT'));
  assert.ok(!s.commands.some((l) => l.includes('leading dot')), 'message content is not a command');
  assert.equal(s.tls.used && s.tls.startTls, true);
  assert.equal(s.heloName, 'client.example');
  assert.equal(s.startedAt, clock.now());
  assert.equal(s.closedAt, clock.now(), 'close() resolves after sessions are marked closed');
  assert.ok(s.replies.includes('220 2.0.0 Ready to start TLS'));
  assert.deepEqual(receiver.sniSeen, ['mx1.example.org']);
});

test('the chain sent is the one configured', async () => {
  const cases = [
    { include: 'leaf' as const, want: { sent: 1, authorized: false } },
    { include: 'leaf+intermediates' as const, want: { sent: 2, authorized: true } },
    { include: 'full' as const, want: { sent: 3, authorized: true } },
  ];
  for (const { include, want } of cases) {
    await withReceiver({ tls: tlsFor(leaf, include) }, async (r) => {
      const c = await TestClient.open(r);
      await c.reply();
      await c.cmd('EHLO client.example');
      const { socket } = await c.startTls({ servername: 'mx1.example.org', rejectUnauthorized: false });
      assert.ok(socket !== undefined);
      let sent = 0;
      const seen = new Set<string>();
      // issuerCertificate is typed as always present but is undefined at the end of a partial chain.
      let x: Partial<DetailedPeerCertificate> | undefined = socket.getPeerCertificate(true);
      while (x?.fingerprint256 !== undefined && !seen.has(x.fingerprint256)) {
        seen.add(x.fingerprint256);
        sent++;
        x = x.issuerCertificate;
      }
      // The client trusts nothing here, so the chain it reports is exactly what was sent.
      assert.equal(sent, want.sent, include);
      c.close();
      const check = await TestClient.open(r);
      await check.reply();
      await check.cmd('EHLO client.example');
      const verified = await check.startTls(clientTls('mx1.example.org'));
      assert.equal(verified.socket?.authorized ?? false, want.authorized, include);
      check.close();
    });
  }
});

test('without STARTTLS the EHLO reply lacks it and the command is refused', async () => {
  const cases: { name: string; opts: Partial<StartReceiverOptions> }[] = [
    { name: 'no tls', opts: {} },
    { name: 'tls but offerStartTls: false', opts: { tls: tlsFor(leaf), offerStartTls: false } },
  ];
  for (const { name, opts } of cases) {
    await withReceiver(opts, async (r) => {
      const c = await TestClient.open(r);
      await c.reply();
      const ehlo = await c.cmd('EHLO client.example');
      assert.equal(ehlo.code, 250, name);
      assert.ok(!ehlo.lines.some((l) => /STARTTLS/.test(l)), name);
      assert.ok(
        ehlo.lines.some((l) => /PIPELINING/.test(l)),
        name,
      );
      const st = await c.cmd('STARTTLS');
      assert.ok(st.code >= 500, `${name}: ${st.lines.join('|')}`);
      assert.equal((await c.cmd('MAIL FROM:<a@b.example>')).code, 250, name);
      c.close();
    });
  }
});

test('recipient, sender, data and connection refusals use the chosen replies', async () => {
  const rejectRecipients = (addr: string) =>
    addr.startsWith('nobody@')
      ? { code: 550, message: 'No such user' }
      : addr.startsWith('later@')
        ? { code: 450, message: 'Try later' }
        : undefined;
  const r = await withReceiver(
    {
      rejectRecipients,
      rejectSender: (addr) =>
        addr === 'spam@bad.example' ? { code: 553, message: 'Sender refused' } : undefined,
      rejectData: ({ data }) =>
        Buffer.from(data).toString().includes('VIRUS')
          ? { code: 554, message: 'Content refused' }
          : undefined,
    },
    async (rec) => {
      const c = await TestClient.open(rec);
      await c.reply();
      await c.cmd('EHLO client.example');
      assert.deepEqual((await c.cmd('MAIL FROM:<spam@bad.example>')).lines, ['553 5.1.3 Sender refused']);
      assert.equal((await c.cmd('MAIL FROM:<ok@good.example>')).code, 250);
      const cases = [
        { rcpt: 'nobody@example.org', want: '550 5.1.1 No such user' },
        { rcpt: 'later@example.org', want: '450 4.2.1 Try later' },
        { rcpt: 'bob@example.org', want: '250 2.1.5 Accepted' },
      ];
      for (const { rcpt, want } of cases)
        assert.deepEqual((await c.cmd(`RCPT TO:<${rcpt}>`)).lines, [want], rcpt);
      assert.deepEqual((await c.data('Subject: x\n\nVIRUS\n')).lines, ['554 5.6.0 Content refused']);
      assert.equal((await c.cmd('MAIL FROM:<ok@good.example>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<nobody@example.org>')).code, 550);
      assert.equal((await c.cmd('RCPT TO:<bob@example.org>')).code, 250);
      assert.equal((await c.data('Subject: y\n\nclean\n')).code, 250);
      c.close();
    },
  );
  assert.equal(r.messages.length, 1, 'only the clean message is recorded');
  assert.deepEqual(r.messages[0]!.to, ['bob@example.org'], 'refused recipients are not in the envelope');
  assert.equal(r.messages[0]!.tls.used, false);

  await withReceiver({ rejectConnection: { code: 554, message: 'No service' } }, async (rec) => {
    const c = await TestClient.open(rec);
    assert.deepEqual((await c.reply()).lines, ['554 No service']);
    assert.equal((await c.reply()).code, 0, 'server closes after refusing');
  });

  await withReceiver(
    { enhancedStatusCodes: false, rejectRecipients: () => ({ code: 550, message: '5.7.1 Relaying denied' }) },
    async (rec) => {
      const c = await TestClient.open(rec);
      await c.reply();
      const ehlo = await c.cmd('EHLO client.example');
      assert.ok(!ehlo.lines.some((l) => l.includes('ENHANCEDSTATUSCODES')));
      await c.cmd('MAIL FROM:<a@b.example>');
      assert.deepEqual((await c.cmd('RCPT TO:<x@y.example>')).lines, ['550 5.7.1 Relaying denied']);
      c.close();
    },
  );
});

test('a refusal with a code outside 4xx/5xx becomes 451', async () => {
  await withReceiver({ rejectRecipients: () => ({ code: 250, message: 'odd' }) }, async (r) => {
    const c = await TestClient.open(r);
    await c.reply();
    await c.cmd('EHLO client.example');
    await c.cmd('MAIL FROM:<a@b.example>');
    const reply = await c.cmd('RCPT TO:<x@y.example>');
    assert.equal(reply.code, 451);
    assert.match(reply.lines[0] ?? '', /misconfigured/);
    c.close();
  });
});

test('the size limit is advertised and enforced', async () => {
  const r = await withReceiver({ maxSize: 1000 }, async (rec) => {
    const c = await TestClient.open(rec);
    await c.reply();
    const ehlo = await c.cmd('EHLO client.example');
    assert.ok(
      ehlo.lines.some((l) => l.endsWith('SIZE 1000')),
      ehlo.lines.join('|'),
    );
    assert.equal((await c.cmd('MAIL FROM:<a@b.example> SIZE=2000')).code, 552);
    assert.equal((await c.cmd('MAIL FROM:<a@b.example> SIZE=500')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<x@y.example>')).code, 250);
    const big = await c.data(`Subject: big\n\n${'x'.repeat(70)}\n`.repeat(30));
    assert.equal(big.code, 552);
    assert.equal((await c.cmd('MAIL FROM:<a@b.example>')).code, 250, 'session continues');
    assert.equal((await c.cmd('RCPT TO:<x@y.example>')).code, 250);
    assert.equal((await c.data('Subject: small\n\nok\n')).code, 250);
    c.close();
  });
  assert.equal(r.messages.length, 1);
  assert.match(Buffer.from(r.messages[0]!.data).toString(), /small/);
});

test('SMTPUTF8 is advertised unless disabled, and recorded per message', async () => {
  const r = await withReceiver({}, async (rec) => {
    const c = await TestClient.open(rec);
    await c.reply();
    assert.ok((await c.cmd('EHLO client.example')).lines.some((l) => l.includes('SMTPUTF8')));
    assert.equal((await c.cmd('MAIL FROM:<jörg@bücher.example> SMTPUTF8')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<ü@example.org>')).code, 250);
    assert.equal((await c.data('Subject: utf8\n\nü\n')).code, 250);
    c.close();
  });
  assert.equal(r.messages[0]?.smtputf8, true);
  await withReceiver({ smtputf8: false }, async (rec) => {
    const c = await TestClient.open(rec);
    await c.reply();
    assert.ok(!(await c.cmd('EHLO client.example')).lines.some((l) => l.includes('SMTPUTF8')));
    c.close();
  });
});

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
    await waitFor(() => rec.sessions.length === 3 && rec.sessions[2]?.closedAt !== undefined);
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
    await waitFor(() => r.sessions.filter((s) => s.closedAt !== undefined).length >= 2);
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

test('close() is prompt with idle, mid-DATA and mid-handshake clients', async () => {
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
  const started = performance.now();
  await r.close();
  await Promise.all(closed);
  const took = performance.now() - started;
  assert.ok(took < 500, `close took ${took} ms`);
  assert.equal(r.sessions.length, 3);
  assert.ok(
    r.sessions.every((s) => s.closedAt !== undefined),
    'every session marked closed',
  );
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

/** Poll `cond` until it holds (at most ~2 s). */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(cond(), 'condition not reached in time');
}
