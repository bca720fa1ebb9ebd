/**
 * Tests of the lab's receiving MX servers against a small hand-written SMTP client
 * (test/lab/smtp-client.ts): STARTTLS with a chosen chain, no STARTTLS, refusals with chosen
 * replies, size limits, SMTPUTF8. Loopback only, ephemeral ports. Certificates are valid at the
 * real time because Node's TLS client checks validity against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetailedPeerCertificate } from 'node:tls';
import { FixedClock } from '../../util/index.ts';
import { clientTls, leaf, TestClient, tlsFor, withReceiver } from '../../../test/lab/smtp-client.ts';
import type { StartReceiverOptions } from './receivers.ts';

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
