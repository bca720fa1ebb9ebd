/**
 * The client session against a real SMTP receiver (smtp-server, through the lab's receiving MX):
 * several messages over one connection with RSET between them, a refused recipient that does
 * not end the session, recipient verification of several recipients over one session, and all
 * of it over STARTTLS with a chain the caller's verifyPeer sees once. Loopback 127.105.0.x only
 * (helper B's address block).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chainDer,
  chainPem,
  createCa,
  issueLeaf,
  startReceiver,
  type Receiver,
} from '../../src/lab/index.ts';
import { openSession, type PeerInfo, type TransactionFacts } from '../../src/smtp/client/index.ts';

const DAY = 86_400_000;
const NOW = Date.now();
const root = createCa({ name: 'Session Test Root', notBefore: NOW - DAY, notAfter: NOW + DAY });
const leaf = issueLeaf({
  issuer: root,
  dnsNames: ['mx.session.test'],
  notBefore: NOW - DAY,
  notAfter: NOW + DAY,
});

async function receiver(address: string): Promise<Receiver> {
  return startReceiver({
    address,
    hostname: 'mx.session.test',
    tls: { key: leaf.key.privateKey, certChainPem: chainPem(leaf, { include: 'full' }) },
    rejectRecipients: (a) => (a.startsWith('nobody@') ? { code: 550, message: 'no such user' } : undefined),
  });
}

test('session against smtp-server: three messages over one STARTTLS connection, RSET between', async (t) => {
  const rx = await receiver('127.105.0.1');
  t.after(() => rx.close());
  const peers: PeerInfo[] = [];
  const session = await openSession({
    address: rx.address,
    port: rx.port,
    helo: 'client.session.test',
    starttls: 'required',
    servername: 'mx.session.test',
    verifyPeer: (peer) => {
      peers.push(peer);
      return { ok: true };
    },
    timeouts: { greeting: 5000, ehlo: 5000, tlsHandshake: 5000, mail: 5000, rcpt: 5000, rset: 5000 },
  });
  const results: TransactionFacts[] = [];
  for (const n of [1, 2, 3]) {
    results.push(
      await session.send({
        from: 'sender@client.session.test',
        recipients: [
          { address: `user${n}@session.test` },
          ...(n === 2 ? [{ address: 'nobody@session.test' }] : []),
        ],
        message: new TextEncoder().encode(`Subject: message ${n}\r\n\r\nbody ${n}\r\n`),
      }),
    );
    assert.equal(session.usable, true, `usable after message ${n}`);
  }
  await session.close();
  assert.equal(session.facts.failure, undefined);
  assert.equal(session.facts.tls.used, true);
  assert.equal(peers.length, 1, 'one handshake, one verdict');
  assert.deepEqual(peers[0]?.chain, chainDer(leaf, { include: 'full' }));
  assert.deepEqual(
    results.map((r) => [r.failure, r.rset?.code, r.recipients.map((x) => x.reply?.code), r.data?.code]),
    [
      [undefined, undefined, [250], 250],
      [undefined, 250, [250, 550], 250],
      [undefined, 250, [250], 250],
    ],
  );
  assert.equal(session.facts.quit?.code, 221);
  assert.equal(rx.sessions.length, 1, 'one connection');
  assert.deepEqual(
    rx.messages.map((m) => [
      m.to,
      m.tls.used,
      new TextDecoder().decode(m.data).includes(`body ${rx.messages.indexOf(m) + 1}`),
    ]),
    [
      [['user1@session.test'], true, true],
      [['user2@session.test'], true, true],
      [['user3@session.test'], true, true],
    ],
  );
  const verbs = rx.sessions[0]?.commands.map((c) => c.split(/[ :]/)[0]?.toUpperCase());
  assert.deepEqual(verbs, [
    'EHLO',
    'STARTTLS',
    'EHLO',
    'MAIL',
    'RCPT',
    'DATA',
    'RSET',
    'MAIL',
    'RCPT',
    'RCPT',
    'DATA',
    'RSET',
    'MAIL',
    'RCPT',
    'DATA',
    'QUIT',
  ]);
});

test('session against smtp-server: verification of three recipients over one session', async (t) => {
  const rx = await receiver('127.105.0.2');
  t.after(() => rx.close());
  const session = await openSession({
    address: rx.address,
    port: rx.port,
    helo: 'client.session.test',
    starttls: 'never',
    timeouts: { greeting: 5000, ehlo: 5000, mail: 5000, rcpt: 5000, rset: 5000 },
  });
  const codes: (number | undefined)[] = [];
  for (const address of ['a@session.test', 'nobody@session.test', 'b@session.test']) {
    const r = await session.send({ from: '', recipients: [{ address }] });
    codes.push(r.recipients[0]?.reply?.code);
    assert.equal(session.usable, true);
  }
  await session.close();
  assert.deepEqual(codes, [250, 550, 250]);
  assert.equal(rx.sessions.length, 1);
  assert.equal(rx.messages.length, 0);
  const verbs = rx.sessions[0]?.commands.map((c) => c.split(/[ :]/)[0]?.toUpperCase());
  assert.deepEqual(verbs, ['EHLO', 'MAIL', 'RCPT', 'RSET', 'MAIL', 'RCPT', 'RSET', 'MAIL', 'RCPT', 'QUIT']);
});
