import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  ehloLines,
  makeTestPki,
  withFakeServer,
  type FakeServerOptions,
  type FakeSmtpServer,
} from '../../../test/helpers/fake-smtp-server.ts';
import { runTransaction } from './transaction.ts';
import type { PeerInfo } from './connection.ts';
import type { SmtpEvent, TransactionOptions, TransactionResult } from './types.ts';

async function run(
  script: string,
  opts: Partial<TransactionOptions> = {},
  server: Partial<FakeServerOptions> = {},
): Promise<{ result: TransactionResult; srv: FakeSmtpServer }> {
  const pki = makeTestPki();
  const { value, server: srv } = await withFakeServer(
    { script, tls: { key: pki.leafKey, cert: pki.chain }, ...server },
    (s) =>
      runTransaction({
        address: s.host,
        port: s.port,
        helo: 'client.test',
        starttls: 'required',
        from: 'a@b.test',
        recipients: [{ address: 'c@d.test' }],
        timeouts: { tlsHandshake: 5000, quit: 2000 },
        ...opts,
      }),
  );
  return { result: value, srv };
}

const HELLO = `S: 220 hi\nC: EHLO client.test`;
const TLS_UP = `C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\nSTARTTLS`;
const VERIFY_ONLY_TAIL = `C: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`;

test('STARTTLS required but not offered: nothing after EHLO except QUIT', async () => {
  const { result, srv } = await run(`${HELLO}\n${ehloLines('PIPELINING', '8BITMIME')}\nC: QUIT\nS: 221 bye`, {
    message: new TextEncoder().encode('secret'),
  });
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.received, ['EHLO client.test', 'QUIT']);
  assert.deepEqual(srv.extra, []);
  assert.equal(result.failure?.code, 'SMTP_ERR_STARTTLS_NOT_OFFERED');
  assert.equal(result.failure.state, 'STARTTLS');
  assert.equal(result.starttlsOffered, false);
  assert.equal(result.mail, undefined);
  assert.equal(srv.bodies.length, 0);
});

test('STARTTLS modes: if-offered without offer goes plaintext; never ignores the offer', async () => {
  const plain = await run(`${HELLO}\n${ehloLines()}\n${VERIFY_ONLY_TAIL}`, { starttls: 'if-offered' });
  assert.deepEqual(plain.srv.errors, []);
  assert.equal(plain.result.failure, undefined);
  assert.equal(plain.result.tls.used, false);
  const never = await run(`${HELLO}\n${ehloLines('STARTTLS')}\n${VERIFY_ONLY_TAIL}`, { starttls: 'never' });
  assert.deepEqual(never.srv.errors, []);
  assert.equal(never.result.starttlsOffered, true);
  assert.equal(never.result.tls.used, false);
  assert.equal(never.srv.received.includes('STARTTLS'), false);
});

test('STARTTLS refused with 454: stop, reply attached, QUIT in plaintext', async () => {
  const { result, srv } = await run(
    `${HELLO}\n${ehloLines('STARTTLS')}\nC: STARTTLS\nS: 454 4.7.0 TLS not available due to temporary reason\nC: QUIT\nS: 221 bye`,
    { starttls: 'if-offered' },
  );
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.received, ['EHLO client.test', 'STARTTLS', 'QUIT']);
  assert.equal(result.failure?.code, 'SMTP_ERR_STARTTLS_REFUSED');
  assert.equal(result.failure.reply?.code, 454);
  assert.match(result.failure.message, /STARTTLS refused: 454 4\.7\.0/);
});

test('handshake failure: garbage instead of TLS, and no common protocol version', async () => {
  const garbage = await run(
    // The garbage goes out once the ClientHello arrived, so it cannot share a chunk with the 220.
    `${HELLO}\n${ehloLines('STARTTLS')}\nC: STARTTLS\nS: 220 go\nWAITDATA\nRAW: "this is not TLS\\r\\n"\nCLOSE`,
  );
  assert.equal(garbage.result.failure?.code, 'SMTP_ERR_TLS_HANDSHAKE');
  assert.equal(garbage.result.failure.state, 'TLS_HANDSHAKE');
  assert.equal(garbage.result.tls.used, false);
  const version = await run(
    `${HELLO}\n${ehloLines('STARTTLS')}\n${TLS_UP}`,
    { minTlsVersion: 'TLSv1.3' },
    {
      tls: { ...tlsOf(), maxVersion: 'TLSv1.2' },
    },
  );
  assert.equal(version.result.failure?.code, 'SMTP_ERR_TLS_HANDSHAKE');
  assert.match(version.result.failure.message, /TLS handshake failed: .+/);
  assert.deepEqual(version.srv.received, ['EHLO client.test', 'STARTTLS']);
});

function tlsOf(): { key: string; cert: string } {
  const pki = makeTestPki();
  return { key: pki.leafKey, cert: pki.chain };
}

test('STARTTLS response injection: plaintext bytes after the 220 are refused', async () => {
  const { result, srv } = await run(
    `${HELLO}\n${ehloLines('STARTTLS')}\nC: STARTTLS\nRAW: "220 go ahead\\r\\n250-injected\\r\\n"\nSTALL`,
  );
  assert.equal(result.failure?.code, 'SMTP_ERR_PROTOCOL');
  assert.match(result.failure.message, /unexpected data after its reply to STARTTLS/);
  assert.equal(result.tls.used, false);
  assert.deepEqual(srv.received, ['EHLO client.test', 'STARTTLS']);
});

test('verifyPeer rejection: QUIT over TLS, the server never sees EHLO again or MAIL', async () => {
  const seen: PeerInfo[] = [];
  const { result, srv } = await run(`${HELLO}\n${ehloLines('STARTTLS')}\n${TLS_UP}\nC: QUIT\nS: 221 bye`, {
    servername: 'mx.test',
    verifyPeer: (peer) => {
      seen.push(peer);
      return { ok: false, reason: 'no TLSA record matched' };
    },
    message: new TextEncoder().encode('secret'),
  });
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.received, ['EHLO client.test', 'STARTTLS', 'QUIT']);
  assert.deepEqual(srv.extra, []);
  assert.equal(seen.length, 1);
  assert.equal(result.failure?.code, 'SMTP_ERR_PEER_REJECTED');
  assert.equal(result.failure.state, 'TLS_HANDSHAKE');
  assert.match(result.failure.message, /no TLSA record matched/);
  assert.deepEqual(result.tls.verdict, { ok: false, reason: 'no TLSA record matched' });
  assert.equal(result.mail, undefined);
});

test('verifyPeer that throws or answers nonsense counts as a rejection', async () => {
  const verifiers: TransactionOptions['verifyPeer'][] = [
    () => {
      throw new Error('resolver exploded');
    },
    () => Promise.resolve(undefined as unknown as { ok: boolean }),
  ];
  for (const verifyPeer of verifiers) {
    const { result, srv } = await run(`${HELLO}\n${ehloLines('STARTTLS')}\n${TLS_UP}\nC: QUIT\nS: 221 bye`, {
      ...(verifyPeer === undefined ? {} : { verifyPeer }),
    });
    assert.equal(result.failure?.code, 'SMTP_ERR_PEER_REJECTED');
    assert.deepEqual(srv.received, ['EHLO client.test', 'STARTTLS', 'QUIT']);
  }
});

test('fresh EHLO after STARTTLS: the extensions in force are the new ones', async () => {
  // PIPELINING only before TLS, SIZE only after: the client must use lock-step and send SIZE=.
  const { result, srv } = await run(
    `${HELLO}\n${ehloLines('PIPELINING', 'STARTTLS')}\n${TLS_UP}\nC: EHLO client.test\n${ehloLines('SIZE 1000')}\nC: MAIL FROM:<a@b.test> SIZE=3\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nDATA\nS: 250 ok\nC: QUIT\nS: 221 bye`,
    {
      verifyPeer: () => ({ ok: true, details: { matched: '3 1 1' } }),
      message: new TextEncoder().encode('x'),
    },
  );
  assert.deepEqual(srv.errors, []);
  assert.deepEqual(srv.sentAhead, []);
  assert.equal(result.failure, undefined);
  assert.deepEqual(result.extensions, { SIZE: ['1000'] });
  assert.equal(result.starttlsOffered, true);
  assert.equal(result.tls.used, true);
  assert.equal(result.tls.verdict?.ok, true);
  assert.deepEqual(srv.bodies.map(String), ['x\r\n.\r\n']);
});

test('peer facts: chain leaf first, Node PKIX result, SNI only for names', async () => {
  const pki = makeTestPki();
  const der = (pem: string): Uint8Array => new Uint8Array(new X509Certificate(pem).raw);
  interface Case {
    name: string;
    opts: Partial<TransactionOptions>;
    want: { authorized: boolean; error?: string; sni: string | undefined };
  }
  const cases: Case[] = [
    {
      name: 'trusted CA, right name',
      opts: { servername: 'mx.test', ca: [pki.caCert] },
      want: { authorized: true, sni: 'mx.test' },
    },
    {
      name: 'no CA',
      opts: { servername: 'mx.test' },
      want: { authorized: false, error: 'SELF_SIGNED_CERT_IN_CHAIN', sni: 'mx.test' },
    },
    {
      name: 'wrong reference name',
      opts: { servername: 'mx.test', verifyHostname: 'other.test', ca: [pki.caCert] },
      want: { authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID', sni: 'mx.test' },
    },
    {
      name: 'IP literal is never SNI',
      opts: { servername: '127.0.0.1', ca: [pki.caCert] },
      want: { authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID', sni: undefined },
    },
    {
      name: 'no servername',
      opts: {},
      want: { authorized: false, error: 'SELF_SIGNED_CERT_IN_CHAIN', sni: undefined },
    },
  ];
  for (const c of cases) {
    let peer: PeerInfo | undefined;
    const { result, srv } = await run(
      `${HELLO}\n${ehloLines('STARTTLS')}\n${TLS_UP}\nC: EHLO client.test\n${ehloLines()}\n${VERIFY_ONLY_TAIL}`,
      {
        ...c.opts,
        verifyPeer: (p) => {
          peer = p;
          return { ok: true };
        },
      },
    );
    assert.deepEqual(srv.errors, [], c.name);
    assert.equal(result.failure, undefined, c.name);
    assert.ok(peer !== undefined);
    assert.deepEqual(peer.chain, [der(pki.leafCert), der(pki.caCert)], c.name);
    assert.equal(peer.authorized, c.want.authorized, c.name);
    assert.equal(peer.authorizationError, c.want.error, c.name);
    assert.equal(peer.servername, c.want.sni, c.name);
    assert.equal(srv.servername, c.want.sni, c.name);
    assert.match(peer.protocol, /^TLSv1\.[23]$/);
    assert.equal(result.tls.cipher, peer.cipher);
  }
});

test('a self-signed leaf alone is a chain of one', async () => {
  const pki = makeTestPki();
  let chain: Uint8Array[] = [];
  const { result } = await run(
    `${HELLO}\n${ehloLines('STARTTLS')}\n${TLS_UP}\nC: EHLO client.test\n${ehloLines()}\n${VERIFY_ONLY_TAIL}`,
    { verifyPeer: (p) => ((chain = p.chain), { ok: true }) },
    { tls: { key: pki.selfSignedKey, cert: pki.selfSignedCert } },
  );
  assert.equal(result.failure, undefined);
  assert.deepEqual(chain, [new Uint8Array(new X509Certificate(pki.selfSignedCert).raw)]);
});

test('trustStore none: the chain is what the server sent; system: Node may add an issuer', async () => {
  // Issue 8 item 9: a leaf-only server, a client that knows the CA. With Node's store (and
  // `ca`), getPeerCertificate(true) appends the CA the server never sent, so DANE-TA would find
  // a trust anchor that is not in the server's chain (RFC 7671 §5.2.2 requires it there).
  const pki = makeTestPki();
  const der = (pem: string): Uint8Array => new Uint8Array(new X509Certificate(pem).raw);
  const chains: Record<string, Uint8Array[]> = {};
  for (const trustStore of ['system', 'none'] as const) {
    const { result } = await run(
      `${HELLO}\n${ehloLines('STARTTLS')}\n${TLS_UP}\nC: EHLO client.test\n${ehloLines()}\n${VERIFY_ONLY_TAIL}`,
      {
        servername: 'mx.test',
        ca: [pki.caCert],
        trustStore,
        verifyPeer: (p) => ((chains[trustStore] = p.chain), { ok: true }),
      },
      { tls: { key: pki.leafKey, cert: pki.leafCert } },
    );
    assert.equal(result.failure, undefined, trustStore);
  }
  assert.deepEqual(chains.system, [der(pki.leafCert), der(pki.caCert)]);
  assert.deepEqual(chains.none, [der(pki.leafCert)]);
});

test('TLS 1.3: the first command after STARTTLS waits for the session ticket; TLS 1.2 never waits', async () => {
  // A TLS 1.3 server sends NewSessionTicket after the client's Finished (Node's does). The
  // 'tls' event says whether the client saw it before writing EHLO (session-ticket.ts says why).
  const script = `${HELLO}\n${ehloLines('STARTTLS')}\n${TLS_UP}\nC: EHLO client.test\n${ehloLines()}\n${VERIFY_ONLY_TAIL}`;
  const cases: {
    name: string;
    server: Partial<FakeServerOptions>;
    opts: Partial<TransactionOptions>;
    want: string;
  }[] = [
    { name: 'TLS 1.3', server: {}, opts: {}, want: 'received' },
    { name: 'TLS 1.3, wait turned off', server: {}, opts: { awaitSessionTicket: false }, want: 'not-waited' },
    { name: 'TLS 1.2', server: { tls: { ...tlsOf(), maxVersion: 'TLSv1.2' } }, opts: {}, want: 'not-waited' },
  ];
  for (const c of cases) {
    const events: SmtpEvent[] = [];
    const { result, srv } = await run(script, { ...c.opts, onEvent: (e) => events.push(e) }, c.server);
    assert.deepEqual(srv.errors, [], c.name);
    assert.equal(result.failure, undefined, c.name);
    const tlsEvent = events.find((e) => e.type === 'tls');
    assert.equal(tlsEvent?.type === 'tls' ? tlsEvent.sessionTicket : undefined, c.want, c.name);
    assert.deepEqual(srv.received.slice(0, 3), ['EHLO client.test', 'STARTTLS', 'EHLO client.test'], c.name);
  }
});
