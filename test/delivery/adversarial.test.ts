/**
 * Adversarial delivery cases found in the security review (H12): a resolver whose answers are
 * bogus or indeterminate without being "failed", a non-MX destination that is a CNAME, a server
 * that refuses STARTTLS or talks plaintext after its 220, an address literal that is no IP
 * address, and a certificate whose names carry control characters. Each case asserts the outcome
 * and where (if anywhere) the message landed; whenever TLS or DANE is required, no peer may see
 * MAIL FROM unless it was authenticated. Loopback only (127.0.3.0/24).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { deliver, lookupRcpt, type DeliverOptions, type DeliveryResult } from '../../src/delivery/index.ts';
import {
  chainPem,
  createCa,
  issueLeaf,
  startReceiver,
  type LabCert,
  type Receiver,
} from '../../src/lab/index.ts';
import type { ScriptedResolver } from '../helpers/scripted-resolver.ts';
import { dnsWithHosts, loopbackOptions, setMx, tlsaEe, tlsaTa, type Overrides } from './kit.ts';

const DAY = 86_400_000;
const now = Date.now();
const ADDR = {
  good: '127.0.3.1',
  refuse: '127.0.3.2',
  garbage: '127.0.3.3',
  evil: '127.0.3.4',
  ascii: '127.0.3.5',
};

let ca: LabCert;
let good: LabCert;
let evil: LabCert;
let port = 0;
const rx: Record<string, Receiver> = {};

/** One session of a mini server: the command lines it received. */
type Session = string[];

interface MiniServer {
  sessions: Session[];
  close: () => Promise<void>;
}

/**
 * A minimal SMTP server that offers STARTTLS and then either refuses it (454) or answers 220
 * followed by a plaintext reply (an injection attempt). Everything else is accepted, so a
 * plaintext session after a refusal can deliver.
 */
async function miniServer(address: string, mode: 'refuse' | 'garbage'): Promise<MiniServer> {
  const sessions: Session[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const seen: Session = [];
    sessions.push(seen);
    let inData = false;
    let buffer = '';
    socket.write('220 mini.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (inData) {
          if (line === '.') {
            inData = false;
            socket.write('250 2.0.0 queued\r\n');
          }
          continue;
        }
        seen.push(line);
        const verb = line.split(' ')[0]?.toUpperCase() ?? '';
        if (verb === 'EHLO') socket.write('250-mini.test\r\n250 STARTTLS\r\n');
        else if (verb === 'STARTTLS' && mode === 'refuse') socket.write('454 4.7.0 TLS not available\r\n');
        else if (verb === 'STARTTLS')
          socket.write('220 2.0.0 go ahead\r\n250 2.0.0 injected in plaintext\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 2.0.0 ok\r\n');
      }
      // After a garbage STARTTLS the client speaks TLS: drop the connection on anything binary.
      // (A TLS record starts with a byte below 0x20: 0x16 for the ClientHello.)
      if (mode === 'garbage' && chunk.some((b) => b < 0x09 || b === 0x16)) socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, address, resolve));
  return {
    sessions,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

let refuse: MiniServer;
let garbage: MiniServer;

before(async () => {
  ca = createCa({ name: 'Review CA', notBefore: now - DAY, notAfter: now + 365 * DAY });
  good = issueLeaf({
    issuer: ca,
    dnsNames: ['mx1.example.org'],
    notBefore: now - DAY,
    notAfter: now + 30 * DAY,
  });
  evil = issueLeaf({
    issuer: ca,
    commonName: 'evil.example\nDANE: validated successfully',
    dnsNames: [],
    notBefore: now - DAY,
    notAfter: now + 30 * DAY,
  });
  const creds = (c: LabCert) => ({ key: c.key.privateKey, certChainPem: chainPem(c, { include: 'full' }) });
  rx.good = await startReceiver({ address: ADDR.good, hostname: 'mx1.example.org', tls: creds(good) });
  port = rx.good.port;
  rx.evil = await startReceiver({ address: ADDR.evil, port, hostname: 'evil.example.org', tls: creds(evil) });
  rx.ascii = await startReceiver({
    address: ADDR.ascii,
    port,
    hostname: 'ascii.example.org',
    tls: creds(good),
    smtputf8: false,
  });
  refuse = await miniServer(ADDR.refuse, 'refuse');
  garbage = await miniServer(ADDR.garbage, 'garbage');
});

after(async () => {
  await Promise.all([...Object.values(rx).map((r) => r.close()), refuse.close(), garbage.close()]);
});

const tlsaLine = (host: string, rdata: string): string => `_${port}._tcp.${host}. 300 IN TLSA ${rdata}`;
const WRONG_EE = '3 1 1 ' + 'ab'.repeat(32);

/** Secure addresses for every host of the file. */
function baseDns(): ScriptedResolver {
  return dnsWithHosts([
    ['mx1.example.org', ADDR.good],
    ['refuse.example.org', ADDR.refuse],
    ['garbage.example.org', ADDR.garbage],
    ['evil.example.org', ADDR.evil],
    ['ascii.example.org', ADDR.ascii],
  ]);
}

function mx(
  r: ScriptedResolver,
  domain: string,
  host: string,
  status: 'secure' | 'insecure' = 'secure',
): void {
  setMx(r, domain, [[10, host]], status);
}

function options(resolver: ScriptedResolver, extra: Overrides = {}): DeliverOptions {
  return loopbackOptions(resolver, port, extra);
}

const MSG = new TextEncoder().encode('Subject: review\r\n\r\nhello\r\n');

async function send(r: ScriptedResolver, to: string, extra: Overrides = {}): Promise<DeliveryResult> {
  return deliver({ from: 'sender@client.test', to: [to] }, MSG, options(r, extra));
}

function mailFromSeen(sessions: readonly Session[]): boolean {
  return sessions.some((s) => s.some((l) => /^MAIL FROM/i.test(l)));
}

// --- F1: "bogus" or "indeterminate" answers that are not of kind "failed" -------------------

test('a TLSA answer marked bogus (not "failed") is a lookup failure: deferred 4.7.5, no connection', async () => {
  for (const status of ['bogus', 'indeterminate'] as const) {
    const r = baseDns();
    mx(r, 'example.org', 'mx1.example.org');
    r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
      kind: 'answer',
      status,
      records: [tlsaLine('mx1.example.org', tlsaEe(good))],
    });
    const sessions = rx.good!.sessions.length;
    const res = await send(r, 'user@example.org');
    assert.equal(res.outcome, 'deferred', status);
    assert.equal(res.enhanced, '4.7.5', status);
    assert.equal(rx.good!.sessions.length, sessions, `${status}: no connection at all`);
  }
});

test('an MX answer marked bogus (not "failed") defers the domain (4.4.3) and connects nowhere', async () => {
  const r = baseDns();
  r.set('example.org.', 'MX', {
    kind: 'answer',
    status: 'bogus',
    records: ['example.org. 300 IN MX 10 mx1.example.org.'],
  });
  const sessions = rx.good!.sessions.length;
  const res = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.4.3');
  assert.equal(rx.good!.sessions.length, sessions);
});

test('address records marked bogus (not "failed") skip the host', async () => {
  const r = baseDns();
  mx(r, 'example.org', 'mx1.example.org');
  r.set('mx1.example.org.', 'A', {
    kind: 'answer',
    status: 'bogus',
    records: [`mx1.example.org. 300 IN A ${ADDR.good}`],
  });
  const sessions = rx.good!.sessions.length;
  const res = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(rx.good!.sessions.length, sessions);
});

// --- F2: RFC 7672 §2.2.2, a non-MX destination that is an alias --------------------------------

test('no MX, domain is a secure CNAME: TLSA at the expanded name, then at the domain itself', async () => {
  const r = baseDns();
  const aliases: [string, string, 'secure'][] = [['alias.example.org.', 'mx1.example.org.', 'secure']];
  r.set('alias.example.org.', 'MX', { kind: 'nodata', aliases });
  r.set('alias.example.org.', 'A', {
    kind: 'answer',
    records: [`mx1.example.org. 300 IN A ${ADDR.good}`],
    aliases,
  });
  r.set('alias.example.org.', 'AAAA', { kind: 'nodata', aliases });
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', { kind: 'nxdomain' });
  r.set(`_${port}._tcp.alias.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('alias.example.org', tlsaEe(good))],
  });
  const res = await send(r, 'user@alias.example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'dane');
  assert.deepEqual(r.askedFor('TLSA'), [
    `_${port}._tcp.mx1.example.org.`,
    `_${port}._tcp.alias.example.org.`,
  ]);
  assert.equal(rx.good!.messages.at(-1)?.tls.servername, 'alias.example.org');
});

// --- F3: STARTTLS refused, STARTTLS followed by plaintext --------------------------------------

test('DANE host answers 454 to STARTTLS: deferred 4.7.5, never MAIL FROM (send and lookup-rcpt)', async () => {
  const r = baseDns();
  mx(r, 'example.org', 'refuse.example.org');
  r.set(`_${port}._tcp.refuse.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('refuse.example.org', WRONG_EE)],
  });
  const before = refuse.sessions.length;
  const res = await send(r, 'user@example.org');
  const verify = await lookupRcpt('user@example.org', options(r));
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.7.5');
  assert.equal(verify.outcome, 'deferred');
  assert.equal(refuse.sessions.length - before, 2, 'one connection each, no plaintext retry');
  assert.equal(mailFromSeen(refuse.sessions.slice(before)), false);
});

test('optional TLS and a 454 to STARTTLS: retried in plaintext and delivered', async () => {
  const r = baseDns();
  mx(r, 'example.org', 'refuse.example.org');
  const res = await send(r, 'user@example.org', { tlsMode: 'optional' });
  assert.equal(res.outcome, 'delivered', res.reason);
  assert.equal(res.tls, 'none');
  assert.deepEqual(
    res.attempts.map((a) => a.tls),
    ['none', 'none'],
  );
});

test('TLS required by DANE and plaintext injected after the 220: deferred, never MAIL FROM', async () => {
  const r = baseDns();
  mx(r, 'example.org', 'garbage.example.org');
  r.set(`_${port}._tcp.garbage.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('garbage.example.org', WRONG_EE)],
  });
  const before = garbage.sessions.length;
  const res = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.7.5');
  assert.equal(garbage.sessions.length - before, 1, 'no plaintext retry');
  assert.equal(mailFromSeen(garbage.sessions.slice(before)), false);
});

// --- F4: insecure MX with policy "may" --------------------------------------------------------

test('insecure MX, policy may: a failing TLSA lookup does not block delivery (no DANE applies)', async () => {
  const r = baseDns();
  mx(r, 'hosted.example', 'mx1.example.org', 'insecure');
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'failed',
    status: 'indeterminate',
    reason: 'SERVFAIL',
  });
  const res = await send(r, 'user@hosted.example', { insecureMx: 'may' });
  assert.equal(res.outcome, 'delivered', res.reason);
  assert.equal(res.tls, 'encrypted');
  assert.deepEqual(r.askedFor('TLSA'), []);
});

// --- F5: general address literal --------------------------------------------------------------

test('a general address literal is bounced 5.1.2 with one line, not thrown', async () => {
  const r = baseDns();
  const res = await send(r, 'user@[x-tag:whatever]');
  assert.equal(res.outcome, 'bounced');
  assert.equal(res.enhanced, '5.1.2');
  assert.equal(res.attempts.length, 0);
  assert.deepEqual(r.asked, []);
});

// --- F6: certificate names in the transcript ---------------------------------------------------

test('a certificate name with a newline cannot forge a transcript line', async () => {
  const r = baseDns();
  mx(r, 'example.org', 'evil.example.org');
  r.set(`_${port}._tcp.evil.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('evil.example.org', tlsaTa(ca))],
  });
  const res = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.attempts[0]?.dane, 'failed');
  const texts = [...res.log, res.reason, ...res.attempts.map((a) => a.error ?? '')];
  // eslint-disable-next-line no-control-regex
  for (const t of texts) assert.doesNotMatch(t, /[\u0000-\u001f\u007f]/, JSON.stringify(t));
  assert.ok(!res.log.includes('DANE: validated successfully'), JSON.stringify(res.log));
});

// --- F7: an MX host name so long that no TLSA owner name can be built under it -----------------

test('a secure MX host whose TLSA owner name would exceed 255 octets: no DANE, no crash', async () => {
  const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(40)}.example.org`;
  const r = baseDns();
  mx(r, 'example.org', long);
  r.set(`${long}.`, 'A', { kind: 'answer', records: [`${long}. 300 IN A ${ADDR.good}`] });
  r.set(`${long}.`, 'AAAA', { kind: 'nodata' });
  const res = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered', res.reason);
  assert.equal(res.tls, 'encrypted');
  assert.deepEqual(r.askedFor('TLSA'), []);
});

// --- F8: an IDN destination domain goes out in A-labels ----------------------------------------

test('user@bücher.example is sent as user@xn--bcher-kva.example to a server without SMTPUTF8', async () => {
  const r = baseDns();
  mx(r, 'xn--bcher-kva.example', 'ascii.example.org');
  r.set(`_${port}._tcp.ascii.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('ascii.example.org', tlsaEe(good))],
  });
  const res = await deliver({ from: 'sender@bücher.example', to: ['user@bücher.example'] }, MSG, options(r));
  assert.equal(res.outcome, 'delivered', res.reason);
  assert.equal(res.tls, 'dane');
  assert.deepEqual(
    res.recipients.map((x) => [x.address, x.outcome]),
    [['user@bücher.example', 'delivered']],
  );
  // (smtp-server shows addresses in U-labels; the command lines show what went on the wire.)
  const commands = rx.ascii!.sessions.at(-1)?.commands ?? [];
  assert.ok(commands.includes('MAIL FROM:<sender@xn--bcher-kva.example>'), commands.join(' | '));
  assert.ok(commands.includes('RCPT TO:<user@xn--bcher-kva.example>'), commands.join(' | '));
  assert.equal(rx.ascii!.messages.at(-1)?.smtputf8, false);
});
