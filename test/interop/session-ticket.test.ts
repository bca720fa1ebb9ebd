/**
 * The TLS 1.3 session-ticket wait against a real Postfix (src/smtp/client/session-ticket.ts):
 * Postfix sends NewSessionTicket after the client's Finished, and holds its reply to the EHLO
 * after STARTTLS until the tickets are acknowledged (Nagle). The client must see the ticket
 * before it writes that EHLO — the 'tls' event says so — and with TLS 1.2 it never waits. Also
 * two messages over one session to Postfix, RSET between them, each as one BDAT chunk.
 * Test-file id 16: 127.25.16.x. Needs root (Postfix).
 * Must never reach anything but loopback addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSession, type SmtpEvent } from '../../src/smtp/client/index.ts';
import { addressPlan, requireTools, startPostfixReceiver, testScope } from './index.ts';
import { makePki, writeChain } from './delivery/pki.ts';

const net = addressPlan(16);
const TIMEOUTS = { connect: 3000, greeting: 5000, ehlo: 5000, tlsHandshake: 5000, mail: 5000, rcpt: 5000 };

for (const [host, version, want] of [
  [1, 'TLSv1.3', 'received'],
  [2, 'TLSv1.2', 'not-waited'],
] as const) {
  test(`Postfix with ${version}: session ticket ${want}; two messages over one session`, async (t) => {
    if (!requireTools(t, ['postfix'], { root: 'Postfix runs a root master' })) return;
    const scope = await testScope(t, `session-ticket-${host}`);
    const pki = makePki(Date.now());
    const chain = await writeChain(pki.good, { dir: scope.dir, label: 'mx', include: 'full' });
    const rx = await startPostfixReceiver({
      address: net.smtp(host),
      port: 25,
      hostname: 'mx.ticket.example',
      dir: scope.dir,
      ...chain,
      mainCf: {
        in_flow_delay: '0s',
        smtpd_tls_protocols: version === 'TLSv1.2' ? '>=TLSv1.2, <=TLSv1.2' : '>=TLSv1.2',
      },
    });
    scope.defer(() => rx.stop());
    const events: SmtpEvent[] = [];
    const session = await openSession({
      address: rx.address,
      port: 25,
      helo: 'client.ticket.example',
      starttls: 'required',
      servername: 'mx.ticket.example',
      timeouts: TIMEOUTS,
      onEvent: (e) => events.push(e),
    });
    const sent = [];
    for (const n of [1, 2]) {
      sent.push(
        await session.send({
          from: 'sender@client.ticket.example',
          recipients: [{ address: `user${n}@mx.ticket.example` }],
          message: new TextEncoder().encode(`Subject: ${n}\r\n\r\nmessage ${n}\r\n.a line with a dot\r\n`),
        }),
      );
    }
    await session.close();
    assert.equal(session.facts.failure, undefined);
    assert.equal(session.facts.tls.protocol, version);
    const tls = events.find((e) => e.type === 'tls');
    assert.equal(tls?.type === 'tls' ? tls.sessionTicket : undefined, want);
    assert.deepEqual(
      sent.map((s) => [s.failure?.message, s.rset?.code, s.data?.code]),
      [
        [undefined, undefined, 250],
        [undefined, 250, 250],
      ],
    );
    const messages = await rx.waitForMessages(2);
    assert.equal(messages.length, 2);
    assert.ok(messages.every((m) => m.overTls));
    // Postfix offers CHUNKING: each message went as one BDAT LAST chunk (RFC 3030), unstuffed,
    // and arrived as written.
    const commands = events.flatMap((e) => (e.type === 'command' ? [e.line.split(' ')[0]] : []));
    assert.deepEqual(
      commands.filter((c) => c === 'BDAT' || c === 'DATA'),
      ['BDAT', 'BDAT'],
    );
    assert.deepEqual(
      messages.map((m) => m.body).sort(),
      [1, 2].map((n) => `message ${n}\n.a line with a dot\n`),
    );
  });
}
