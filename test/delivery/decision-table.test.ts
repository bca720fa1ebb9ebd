/**
 * Decision-table tests of the RFC 7672 decision order (DESIGN.md), one per row: a scripted
 * resolver plays the DNS, real loopback MX servers (the lab receivers, with certificates made
 * in-process) play the receivers, and the real SMTP client delivers. Each case asserts the
 * outcome, the TLS level and where the message landed — nothing lands when the outcome is
 * deferred, and a peer that fails DANE never sees MAIL FROM.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  attemptChannel,
  daneVerdictChannel,
  deliveryLogChannel,
  type AttemptMessage,
  type DaneVerdictMessage,
  type DeliveryLogMessage,
  deliver,
  lookupRcpt,
  type DeliverOptions,
  type DeliveryResult,
} from '../../src/delivery/index.ts';
import { createCa, issueLeaf, chainPem, type LabCert } from '../../src/lab/index.ts';
import { startReceiver, type Receiver } from '../../src/lab/index.ts';
import type { TlsMode } from '../../src/policy/index.ts';
import type { ScriptedResolver } from '../helpers/scripted-resolver.ts';
import { dnsWithHosts, loopbackOptions, setMx, tlsaEe, tlsaTa, type Overrides } from './kit.ts';

const DAY = 86_400_000;
const now = Date.now();
let ca: LabCert;
let mx1: LabCert;
let mx2: LabCert;
let expired: LabCert;
const rx: Record<string, Receiver> = {};
let port = 0;

const ADDR = { mx1: '127.0.2.1', mx2: '127.0.2.2', plain: '127.0.2.3', picky: '127.0.2.4', exp: '127.0.2.5' };

before(async () => {
  ca = createCa({ name: 'Lab Root CA', notBefore: now - DAY, notAfter: now + 365 * DAY });
  mx1 = issueLeaf({
    issuer: ca,
    dnsNames: ['mx1.example.org'],
    notBefore: now - DAY,
    notAfter: now + 30 * DAY,
  });
  mx2 = issueLeaf({
    issuer: ca,
    dnsNames: ['mx2.example.net'],
    notBefore: now - DAY,
    notAfter: now + 30 * DAY,
  });
  expired = issueLeaf({
    issuer: ca,
    dnsNames: ['wrong.example'],
    notBefore: now - 30 * DAY,
    notAfter: now - DAY,
  });
  const tls = (c: LabCert) => ({ key: c.key.privateKey, certChainPem: chainPem(c, { include: 'full' }) });
  rx.mx1 = await startReceiver({ address: ADDR.mx1, hostname: 'mx1.example.org', tls: tls(mx1) });
  port = rx.mx1.port;
  rx.mx2 = await startReceiver({ address: ADDR.mx2, port, hostname: 'mx2.example.net', tls: tls(mx2) });
  rx.plain = await startReceiver({ address: ADDR.plain, port, hostname: 'plain.example.org' });
  rx.picky = await startReceiver({
    address: ADDR.picky,
    port,
    hostname: 'picky.example.org',
    tls: tls(mx1),
    rejectRecipients: (a) => (a.startsWith('bad@') ? { code: 550, message: 'No such user' } : undefined),
  });
  rx.exp = await startReceiver({ address: ADDR.exp, port, hostname: 'exp.example.org', tls: tls(expired) });
});

after(async () => {
  await Promise.all(Object.values(rx).map((r) => r.close()));
});

const TLSA_EE = tlsaEe;
const TLSA_TA = tlsaTa;
const tlsaLine = (host: string, rdata: string): string => `_${port}._tcp.${host}. 300 IN TLSA ${rdata}`;

/** A resolver with the usual secure data: addresses for every host. */
function baseDns(): ScriptedResolver {
  return dnsWithHosts([
    ['mx1.example.org', ADDR.mx1],
    ['mx2.example.net', ADDR.mx2],
    ['plain.example.org', ADDR.plain],
    ['picky.example.org', ADDR.picky],
    ['exp.example.org', ADDR.exp],
  ]);
}

const mx = setMx;

function options(resolver: ScriptedResolver, extra: Overrides = {}): DeliverOptions {
  return loopbackOptions(resolver, port, extra);
}

const MSG = new TextEncoder().encode('Subject: test\r\n\r\nhello\r\n');

function landed(): Record<string, number> {
  return Object.fromEntries(Object.entries(rx).map(([k, r]) => [k, r.messages.length]));
}

async function send(resolver: ScriptedResolver, to: string, extra: Overrides = {}) {
  const beforeCounts = landed();
  const res = await deliver({ from: 'sender@client.test', to: [to] }, MSG, options(resolver, extra));
  const afterCounts = landed();
  const where = Object.keys(afterCounts).filter((k) => (afterCounts[k] ?? 0) > (beforeCounts[k] ?? 0));
  return { res, where };
}

function assertNoMailFrom(r: Receiver, sinceSessions: number): void {
  for (const s of r.sessions.slice(sinceSessions)) {
    assert.ok(
      !s.commands.some((c) => /^MAIL FROM/i.test(c)),
      `receiver saw MAIL FROM: ${s.commands.join(' | ')}`,
    );
  }
}

function logHas(res: DeliveryResult, re: RegExp): void {
  assert.ok(
    res.log.some((l) => re.test(l)),
    `log lacks ${re}: ${JSON.stringify(res.log)}`,
  );
}

test('row 1: MX lookup failure defers the domain (4.4.3) and connects nowhere', async () => {
  const r = baseDns().set('example.org.', 'MX', { kind: 'failed', status: 'bogus', reason: 'RRSIG expired' });
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.4.3');
  assert.deepEqual(where, []);
  assert.equal(res.attempts.length, 0);
});

test('row 1: NXDOMAIN bounces 5.1.2', async () => {
  const { res } = await send(baseDns().set('nope.example.', 'MX', { kind: 'nxdomain' }), 'user@nope.example');
  assert.equal(res.outcome, 'bounced');
  assert.equal(res.enhanced, '5.1.2');
});

test('row 1: null MX bounces 5.1.10 (RFC 7505)', async () => {
  const r = baseDns();
  r.set('nomail.example.', 'MX', { kind: 'answer', records: ['nomail.example. 300 IN MX 0 .'] });
  const { res, where } = await send(r, 'user@nomail.example');
  assert.equal(res.outcome, 'bounced');
  assert.equal(res.enhanced, '5.1.10');
  assert.deepEqual(where, []);
});

test('row 1: no MX (NODATA) delivers to the domain itself', async () => {
  const r = baseDns().set('mx1.example.org.', 'MX', { kind: 'nodata' });
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', TLSA_EE(mx1))],
  });
  const { res, where } = await send(r, 'user@mx1.example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'dane');
  assert.deepEqual(where, ['mx1']);
});

test('row 1: insecure MX, host without TLSA → optional TLS with the transcript line', async () => {
  const r = baseDns();
  mx(r, 'example.com', [[10, 'mx2.example.net']], 'insecure');
  r.set(`_${port}._tcp.mx2.example.net.`, 'TLSA', { kind: 'nodata' });
  const { res, where } = await send(r, 'user@example.com');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'encrypted');
  assert.deepEqual(where, ['mx2']);
  logHas(res, /^DANE: insecure name example\.com \(falling back to optional TLS\)$/);
  logHas(res, /^X\.509 error: /);
  logHas(res, /^Connection is now using TLS$/);
});

test('row 1: insecure MX but secure TLSA at the host → still DANE (policy dane)', async () => {
  const r = baseDns();
  mx(r, 'hosted.example', [[10, 'mx1.example.org']], 'insecure');
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', TLSA_EE(mx1))],
  });
  const { res } = await send(r, 'user@hosted.example');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'dane');
  // Issue #8 item 11: the result and the transcript record that the MX RRset was insecure (a
  // forged MX could have sent the mail to an attacker's own DANE host).
  assert.equal(res.mx_dnssec, 'insecure');
  logHas(
    res,
    /^DANE: MX RRset of hosted\.example is insecure; mx1\.example\.org is authenticated by its own TLSA records$/,
  );
  const { res: res2 } = await send(r, 'user@hosted.example', { insecureMx: 'may' });
  assert.equal(res2.tls, 'encrypted');
  const { res: res3 } = await send(r, 'user@hosted.example', { insecureMx: 'encrypt' });
  assert.equal(res3.tls, 'encrypted');
  assert.equal(res3.attempts[0]?.dane, 'none');
});

test('row 2: address lookup failure skips the host; the next MX is used', async () => {
  const r = baseDns();
  mx(r, 'example.org', [
    [10, 'broken.example.org'],
    [20, 'mx1.example.org'],
  ]);
  r.set('broken.example.org.', 'A', { kind: 'failed', status: 'indeterminate', reason: 'SERVFAIL' });
  r.set('broken.example.org.', 'AAAA', { kind: 'failed', status: 'indeterminate', reason: 'SERVFAIL' });
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', TLSA_EE(mx1))],
  });
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.deepEqual(where, ['mx1']);
  assert.deepEqual([res.attempts[0]?.mx, res.attempts[0]?.address], ['broken.example.org', null]);
});

test('row 2: an insecure host gets no TLSA query at all', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx2.example.net']]);
  r.set('mx2.example.net.', 'A', {
    kind: 'answer',
    status: 'insecure',
    records: [`mx2.example.net. 300 IN A ${ADDR.mx2}`],
  });
  r.set('mx2.example.net.', 'AAAA', { kind: 'nodata', status: 'insecure' });
  const { res } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'encrypted');
  assert.deepEqual(r.askedFor('TLSA'), []);
  assert.equal(res.attempts[0]?.dnssec, 'insecure');
  logHas(res, new RegExp(`^Connecting to \\[${ADDR.mx2.replace(/\./g, '\\.')}\\]:${port}$`));
});

test('row 3: TLSA lookup failure skips the host; none left → deferred 4.7.5, nothing lands', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', { kind: 'failed', status: 'bogus', reason: 'bogus TLSA' });
  const sessions = rx.mx1!.sessions.length;
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.7.5');
  assert.deepEqual(where, []);
  assert.equal(rx.mx1!.sessions.length, sessions, 'no connection at all');
});

test('row 3: CNAME-expanded secure chain → TLSA at the target; SNI is the target name', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'alias.example.org']]);
  r.set('alias.example.org.', 'A', {
    kind: 'answer',
    records: [`mx1.example.org. 300 IN A ${ADDR.mx1}`],
    aliases: [['alias.example.org.', 'mx1.example.org.', 'secure']],
  });
  r.set('alias.example.org.', 'AAAA', {
    kind: 'nodata',
    aliases: [['alias.example.org.', 'mx1.example.org.', 'secure']],
  });
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', TLSA_TA(ca))],
  });
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'dane');
  assert.deepEqual(where, ['mx1']);
  assert.equal(rx.mx1!.messages.at(-1)?.tls.servername, 'mx1.example.org');
  assert.deepEqual(r.askedFor('TLSA'), [`_${port}._tcp.mx1.example.org.`]);
});

test('row 3: CNAME chain with TLSA only at the alias → secure NODATA at target, then the alias', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'alias.example.org']]);
  const aliases: [string, string, 'secure'][] = [['alias.example.org.', 'mx1.example.org.', 'secure']];
  r.set('alias.example.org.', 'A', {
    kind: 'answer',
    records: [`mx1.example.org. 300 IN A ${ADDR.mx1}`],
    aliases,
  });
  r.set('alias.example.org.', 'AAAA', { kind: 'nodata', aliases });
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', { kind: 'nxdomain' });
  r.set(`_${port}._tcp.alias.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('alias.example.org', TLSA_EE(mx1))],
  });
  const { res } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'dane');
  assert.deepEqual(r.askedFor('TLSA'), [
    `_${port}._tcp.mx1.example.org.`,
    `_${port}._tcp.alias.example.org.`,
  ]);
  assert.equal(rx.mx1!.messages.at(-1)?.tls.servername, 'alias.example.org');
});

test('row 3: an insecure TLSA answer counts as no records (optional TLS)', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    status: 'insecure',
    records: [tlsaLine('mx1.example.org', '3 1 1 ' + '00'.repeat(32))],
  });
  const { res } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'encrypted');
});

test('row 4: only PKIX-TA/PKIX-EE records → TLS mandatory but unauthenticated', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', '1 1 1 ' + '00'.repeat(32))],
  });
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'encrypted');
  assert.equal(res.attempts[0]?.dane, 'unusable');
  assert.deepEqual(where, ['mx1']);
});

test('row 5: TLSA records but no STARTTLS → skipped, deferred, never plaintext', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'plain.example.org']]);
  r.set(`_${port}._tcp.plain.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('plain.example.org', TLSA_EE(mx1))],
  });
  const sessions = rx.plain!.sessions.length;
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.7.5');
  assert.deepEqual(where, []);
  assertNoMailFrom(rx.plain!, sessions);
});

test('row 6: DANE-EE matches an expired, wrongly named certificate (no name or date checks)', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'exp.example.org']]);
  r.set(`_${port}._tcp.exp.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('exp.example.org', TLSA_EE(expired))],
  });
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'dane');
  assert.deepEqual(where, ['exp']);
  logHas(res, /^DANE: validated successfully$/);
});

test('row 6: DANE-TA with a wrongly named leaf fails', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  // mx2's certificate is for mx2.example.net; point mx1.example.org at that server.
  r.set('mx1.example.org.', 'A', { kind: 'answer', records: [`mx1.example.org. 300 IN A ${ADDR.mx2}`] });
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', TLSA_TA(ca))],
  });
  const sessions = rx.mx2!.sessions.length;
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.7.5');
  assert.deepEqual(where, []);
  assertNoMailFrom(rx.mx2!, sessions);
  logHas(res, /^DANE: validation failed: /);
});

test('row 7: a wrong digest defers 4.7.5 and the peer never sees MAIL FROM', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', '3 1 1 ' + 'ab'.repeat(32))],
  });
  const sessions = rx.mx1!.sessions.length;
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.enhanced, '4.7.5');
  assert.equal(res.attempts[0]?.dane, 'failed');
  assert.deepEqual(where, []);
  assertNoMailFrom(rx.mx1!, sessions);
});

test('the transcript says once why a session ended before MAIL FROM (DANE failure, refused)', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', '3 1 1 ' + 'ab'.repeat(32))],
  });
  const { res } = await send(r, 'user@example.org');
  const dropped = res.log.filter((l) => l.startsWith('Disconnected from mx1.example.org before MAIL FROM'));
  assert.equal(dropped.length, 1, JSON.stringify(res.log));

  // Nothing listens on 127.0.2.9: the connection is refused.
  const down = dnsWithHosts([['down.example.org', '127.0.2.9']]);
  mx(down, 'example.org', [[10, 'down.example.org']]);
  down.set(`_${port}._tcp.down.example.org.`, 'TLSA', { kind: 'nxdomain' });
  const refused = await send(down, 'user@example.org');
  assert.equal(refused.res.outcome, 'deferred');
  const failed = refused.res.log.filter((l) => l.startsWith('Connection failed: '));
  assert.equal(failed.length, 1, JSON.stringify(refused.res.log));
});

test('row 7: one wrong plus one right record authenticates', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [
      tlsaLine('mx1.example.org', '3 1 1 ' + 'ab'.repeat(32)),
      tlsaLine('mx1.example.org', TLSA_EE(mx1)),
    ],
  });
  const { res } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'dane');
  assert.equal(res.attempts[0]?.tlsa.length, 2);
});

test('row 7: first MX fails DANE, the second passes', async () => {
  const r = baseDns();
  mx(r, 'example.org', [
    [10, 'mx1.example.org'],
    [20, 'mx2.example.net'],
  ]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', '3 1 1 ' + 'ab'.repeat(32))],
  });
  r.set(`_${port}._tcp.mx2.example.net.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx2.example.net', TLSA_EE(mx2))],
  });
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.mx, 'mx2.example.net');
  assert.deepEqual(where, ['mx2']);
  assert.deepEqual(
    res.attempts.map((a) => a.dane),
    ['failed', 'validated'],
  );
});

test('SMTP: 5xx to RCPT bounces that recipient only', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'picky.example.org']]);
  r.set(`_${port}._tcp.picky.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('picky.example.org', TLSA_EE(mx1))],
  });
  const res = await deliver(
    { from: 's@client.test', to: ['good@example.org', 'bad@example.org'] },
    MSG,
    options(r),
  );
  assert.equal(res.outcome, 'bounced');
  assert.deepEqual(
    res.recipients.map((x) => [x.address, x.outcome]),
    [
      ['good@example.org', 'delivered'],
      ['bad@example.org', 'bounced'],
    ],
  );
});

test('lookup-rcpt: accepted and rejected, over DANE, without DATA', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'picky.example.org']]);
  r.set(`_${port}._tcp.picky.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('picky.example.org', TLSA_EE(mx1))],
  });
  const before = rx.picky!.messages.length;
  const good = await lookupRcpt('good@example.org', options(r));
  const bad = await lookupRcpt('bad@example.org', options(r));
  assert.equal(good.outcome, 'accepted');
  assert.equal(good.tls, 'dane');
  assert.equal(bad.outcome, 'rejected');
  assert.equal(rx.picky!.messages.length, before, 'no message is sent');
  const last = rx.picky!.sessions.at(-1)!;
  assert.ok(
    last.commands.some((c) => /^MAIL FROM:<>/i.test(c)),
    last.commands.join(' | '),
  );
  assert.ok(!last.commands.some((c) => /^DATA/i.test(c)));
});

const MODES: [TlsMode, string, string, string[]][] = [
  // mode, host, expected outcome, expected tls
  ['disabled', 'mx1.example.org', 'delivered', ['none']],
  ['optional', 'plain.example.org', 'delivered', ['none']],
  ['require', 'plain.example.org', 'deferred', []],
  ['require', 'mx1.example.org', 'delivered', ['encrypted']],
  ['require_verify', 'mx1.example.org', 'deferred', []],
  ['dane_require', 'plain.example.org', 'deferred', []],
  ['dane_fallback_require', 'plain.example.org', 'deferred', []],
  ['dane_fallback_require', 'mx1.example.org', 'delivered', ['encrypted']],
  ['dane_fallback_require_verify', 'mx1.example.org', 'deferred', []],
];

for (const [mode, host, outcome, tls] of MODES) {
  test(`TLS mode ${mode} to ${host} (no TLSA, untrusted private CA) → ${outcome}`, async () => {
    const r = baseDns();
    mx(r, 'example.org', [[10, host]]);
    r.set(`_${port}._tcp.${host}.`, 'TLSA', { kind: 'nodata' });
    const { res, where } = await send(r, 'user@example.org', { tlsMode: mode });
    assert.equal(res.outcome, outcome);
    if (outcome === 'deferred') assert.deepEqual(where, []);
    if (tls.length > 0) assert.equal(res.tls, tls[0]);
  });
}

test('TLS mode require_verify with the private CA trusted → delivered over PKIX', async () => {
  const r = baseDns();
  mx(r, 'example.org', [[10, 'mx1.example.org']]);
  const { res } = await send(r, 'user@example.org', { tlsMode: 'require_verify', ca: [ca.pem] });
  assert.equal(res.outcome, 'delivered');
  assert.equal(res.tls, 'pkix');
});

test('observability: transcript lines, DANE verdicts and attempts are published on diagnostics_channel', async () => {
  const logs: DeliveryLogMessage[] = [];
  const verdicts: DaneVerdictMessage[] = [];
  const attempts: AttemptMessage[] = [];
  const stops = [
    deliveryLogChannel.subscribe((m) => logs.push(m)),
    daneVerdictChannel.subscribe((m) => verdicts.push(m)),
    attemptChannel.subscribe((m) => attempts.push(m)),
  ];
  try {
    const r = baseDns();
    mx(r, 'example.org', [
      [10, 'mx1.example.org'],
      [20, 'mx2.example.net'],
    ]);
    r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
      kind: 'answer',
      records: [tlsaLine('mx1.example.org', '3 1 1 ' + 'ab'.repeat(32))],
    });
    r.set(`_${port}._tcp.mx2.example.net.`, 'TLSA', {
      kind: 'answer',
      records: [tlsaLine('mx2.example.net', TLSA_EE(mx2))],
    });
    const { res } = await send(r, 'user@example.org');
    assert.equal(res.outcome, 'delivered');
    assert.deepEqual(
      logs.map((m) => m.line),
      res.log,
    );
    assert.ok(logs.every((m) => m.domain === 'example.org'));
    assert.deepEqual(
      verdicts.map((m) => [m.ok, m.mx, m.domain]),
      [
        [false, 'mx1.example.org', 'example.org'],
        [true, 'mx2.example.net', 'example.org'],
      ],
    );
    const [failed, ok] = verdicts;
    assert.ok(failed !== undefined && !failed.ok && failed.code === 'DANE_ERR_NO_MATCH');
    assert.ok(ok?.ok === true && ok.usage === 3 && ok.depth === 0 && ok.tlsa.startsWith('3 1 1 '));
    // The attempt payload is the CLI contract's attempt record plus the destination domain.
    assert.deepEqual(
      attempts.map(({ domain, mx, dane, tls }) => ({ domain, mx, dane, tls })),
      [
        { domain: 'example.org', mx: 'mx1.example.org', dane: 'failed', tls: 'encrypted' },
        { domain: 'example.org', mx: 'mx2.example.net', dane: 'validated', tls: 'dane' },
      ],
    );
    assert.deepEqual(
      attempts.map(({ domain: _d, ...record }) => record),
      res.attempts,
    );
  } finally {
    for (const stop of stops) stop();
  }
});

test('row 2: every MX host proven to have no address → bounced 5.4.4 (RFC 5321 §5.1)', async () => {
  const r = baseDns();
  mx(r, 'example.org', [
    [10, 'void1.example.org'],
    [20, 'void2.example.org'],
  ]);
  for (const h of ['void1.example.org.', 'void2.example.org.']) {
    r.set(h, 'A', { kind: 'nodata' });
    r.set(h, 'AAAA', { kind: 'nxdomain' });
  }
  const { res, where } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'bounced');
  assert.equal(res.enhanced, '5.4.4');
  assert.deepEqual(where, []);
});

test('row 2: one host without addresses and one whose lookup failed → deferred, not bounced', async () => {
  const r = baseDns();
  mx(r, 'example.org', [
    [10, 'void1.example.org'],
    [20, 'broken.example.org'],
  ]);
  r.set('void1.example.org.', 'A', { kind: 'nodata' });
  r.set('void1.example.org.', 'AAAA', { kind: 'nodata' });
  r.set('broken.example.org.', 'A', { kind: 'failed', status: 'indeterminate', reason: 'timeout' });
  r.set('broken.example.org.', 'AAAA', { kind: 'nodata' });
  const { res } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
});

test('row 2: an MX host listed twice is tried once', async () => {
  const r = baseDns();
  mx(r, 'example.org', [
    [20, 'mx1.example.org'],
    [10, 'mx1.example.org'],
  ]);
  r.set(`_${port}._tcp.mx1.example.org.`, 'TLSA', {
    kind: 'answer',
    records: [tlsaLine('mx1.example.org', '3 1 1 ' + 'ab'.repeat(32))],
  });
  const { res } = await send(r, 'user@example.org');
  assert.equal(res.outcome, 'deferred');
  assert.equal(res.attempts.length, 1);
});
