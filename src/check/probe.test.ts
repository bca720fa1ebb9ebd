/**
 * The checker's SMTP probe against scripted loopback servers: it reads the greeting, sends EHLO,
 * STARTTLS when offered, keeps the chain and the SNI it sent, and then only QUIT — never MAIL,
 * RCPT or DATA, with or without STARTTLS; a refused STARTTLS, a refusing greeting and a closed
 * port each end up as the right kind of error.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { ehloLines, makeTestPki, withFakeServer } from '../../test/helpers/fake-smtp-server.ts';
import { smtpProbe, type ProbeTarget } from './probe.ts';

function target(port: number): ProbeTarget {
  return { address: '127.0.0.1', port, servername: 'mx.test', helo: 'checker.test', timeoutMs: 3000 };
}

test('STARTTLS offered: EHLO, STARTTLS, handshake with SNI, then QUIT — nothing else', async () => {
  const pki = makeTestPki();
  const script = [
    'S: 220 fake.test ESMTP',
    'C: EHLO checker.test',
    ehloLines('STARTTLS', 'PIPELINING'),
    'C: STARTTLS',
    'S: 220 go ahead',
    'STARTTLS',
    'C: QUIT',
    'S: 221 bye',
  ].join('\n');
  const { value, server } = await withFakeServer(
    { script, tls: { key: pki.leafKey, cert: pki.chain } },
    (s) => smtpProbe(target(s.port)),
  );
  assert.equal(value.connected, true);
  assert.equal(value.starttls, true);
  assert.equal(value.error, undefined);
  assert.equal(value.tls?.chain.length, 2);
  assert.equal(server.servername, 'mx.test');
  assert.deepEqual(server.received, ['EHLO checker.test', 'STARTTLS', 'QUIT']);
  assert.deepEqual(server.errors, []);
});

test('no STARTTLS: EHLO then QUIT, never MAIL in plaintext', async () => {
  const script = [
    'S: 220 fake.test ESMTP',
    'C: EHLO checker.test',
    ehloLines('PIPELINING'),
    'C: QUIT',
    'S: 221 bye',
  ].join('\n');
  const { value, server } = await withFakeServer({ script }, (s) => smtpProbe(target(s.port)));
  assert.equal(value.starttls, false);
  assert.equal(value.tls, undefined);
  assert.equal(value.error, undefined);
  assert.deepEqual(server.received, ['EHLO checker.test', 'QUIT']);
});

test('STARTTLS refused: a starttls error, no plaintext fallback', async () => {
  const script = [
    'S: 220 fake.test ESMTP',
    'C: EHLO checker.test',
    ehloLines('STARTTLS'),
    'C: STARTTLS',
    'S: 454 4.7.0 TLS not available',
    'C: QUIT',
    'S: 221 bye',
  ].join('\n');
  const { value, server } = await withFakeServer({ script }, (s) => smtpProbe(target(s.port)));
  assert.equal(value.starttls, true);
  assert.equal(value.error?.stage, 'starttls');
  assert.match(value.error.message, /454/);
  assert.deepEqual(server.received, ['EHLO checker.test', 'STARTTLS', 'QUIT']);
});

test('a refusing greeting is a session error', async () => {
  const script = ['S: 554 5.3.2 go away', 'C: QUIT', 'S: 221 bye'].join('\n');
  const { value } = await withFakeServer({ script }, (s) => smtpProbe(target(s.port)));
  assert.equal(value.connected, true);
  assert.equal(value.starttls, null);
  assert.equal(value.error?.stage, 'session');
  assert.match(value.error.message, /554/);
});

test('a closed port is a connect error', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => {
        resolve(p);
      });
    });
  });
  const r = await smtpProbe(target(port));
  assert.equal(r.connected, false);
  assert.equal(r.error?.stage, 'connect');
});
