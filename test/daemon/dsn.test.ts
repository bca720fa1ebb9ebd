/**
 * Issue #10, DSNs through the daemon (RFC 3464 / 6522 / 6533, RFC 3461 NOTIFY, RET, ENVID,
 * ORCPT; DESIGN.md "Bounces and delays"): messages submitted over SMTP to an in-process daemon,
 * delivered into the lab, and every DSN parsed back — strictly, by test/helpers/dsn-parse.ts —
 * from the sender's own DANE receiver (mx.ee-311.test), field by field: a partial failure (one
 * recipient bounced 5.1.1, one delivered and reported as relayed for NOTIFY=SUCCESS), NOTIFY=NEVER
 * and NOTIFY=SUCCESS on a bounce (no failure notice), a bounce of a message from <> (no DSN at
 * all), SMTPUTF8 (message/global-delivery-status, utf-8 addresses, message/global), and a DANE
 * failure that is deferred: one delay notice (delay_warning) and then the expiry bounce (max_age),
 * both naming the DANE failure in Diagnostic-Code. The daemon's clock is shifted forward instead
 * of waiting for hours. Lab 127.155.0.0/16, intake 127.155.200.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Daemon } from '../../src/daemon/daemon.ts';
import type { AttemptEvent, QueueEvent } from '../../src/daemon/events.ts';
import { queueEventChannel } from '../../src/daemon/events.ts';
import { SCENARIOS, startInternet, type Internet, type Receiver } from '../../src/lab/index.ts';
import type { ReceivedMessage } from '../../src/lab/index.ts';
import type { QueueStore } from '../../src/queue/index.ts';
import { runTransaction, uniformTimeouts, type RecipientSpec } from '../../src/smtp/client/index.ts';
import { formatMessageDate } from '../../src/smtp/protocol/index.ts';
import { contentType, field, fields, parseDsn, type ParsedDsn } from '../helpers/dsn-parse.ts';
import {
  daemonWorld,
  intakeOf,
  nextEvent,
  openWorldStore,
  queuedId,
  ShiftedClock,
  startInProcess,
  type DaemonWorld,
} from './harness.ts';

const SENDER = 'sender@ee-311.test';
/** Our own diagnostic for the botched renewal: the DANE verdict, not a remote reply. */
const DANE_DIAGNOSTIC =
  /^X-dane-mta; TLS peer rejected: DANE authentication failed: no TLSA record \(DANE-EE\(3\) SPKI\(1\) SHA2-256\(1\)\) matches the server certificate chain$/;
const MINUTE = 60_000;

let net: Internet;
let world: DaemonWorld;
let daemon: Daemon;
let store: QueueStore;
let sink: Receiver;
const clock = new ShiftedClock();
/** Every queue event of this file, in order. */
const events: QueueEvent[] = [];
let unsubscribe: () => void;

before(async () => {
  const ids = ['ee-311', 'rcpt-rejected', 'null-mx', 'demo-botched-renewal'];
  const scenarios = SCENARIOS.filter((s) => ids.includes(s.id));
  net = await startInternet({ baseAddress: '127.155.0.0', scenarios });
  const rx = net.receivers.get('mx.ee-311.test');
  if (rx === undefined) throw new Error('no receiver for the sender domain');
  sink = rx;
  unsubscribe = queueEventChannel.subscribe((e) => events.push(e));
  world = await daemonWorld(net, {
    listen: '127.155.200.1',
    retry: '10m',
    delayWarning: '30m',
    maxAge: '2h',
  });
  ({ daemon } = await startInProcess(world, { clock }));
  store = await openWorldStore(world);
});

after(async () => {
  unsubscribe();
  await store.close();
  await daemon.stop('test');
  await world.close();
  await net.close();
});

interface Submission {
  from: string;
  recipients: RecipientSpec[];
  mailParams?: string[];
  smtputf8?: boolean;
  body: string;
}

/** Submit over SMTP; resolves to the queue id and the arrival window (whole seconds). */
async function submit(s: Submission): Promise<{ id: string; earliest: number; latest: number }> {
  const intake = intakeOf(daemon);
  const earliest = Math.floor(clock.now() / 1000) * 1000;
  const r = await runTransaction({
    address: intake.address,
    port: intake.port,
    helo: 'client.daemon.test',
    starttls: 'never',
    from: s.from,
    recipients: s.recipients,
    ...(s.mailParams === undefined ? {} : { mailParams: s.mailParams }),
    ...(s.smtputf8 === true ? { smtputf8: true } : {}),
    message: new TextEncoder().encode(s.body),
    timeouts: uniformTimeouts(10_000),
  });
  assert.equal(r.data?.code, 250, JSON.stringify(r.data ?? r.failure));
  return { id: queuedId(r), earliest, latest: clock.now() };
}

const isAttempt =
  (id: string, domain?: string) =>
  (e: QueueEvent): e is AttemptEvent =>
    e.event === 'attempt' && e.id === id && (domain === undefined || e.domain === domain);

function dsnEvents(of: string): Extract<QueueEvent, { event: 'dsn' }>[] {
  return events.filter((e): e is Extract<QueueEvent, { event: 'dsn' }> => e.event === 'dsn' && e.of === of);
}

/** Is `m` a DSN (from <>) about queue id `of` reporting `action`? */
function isDsnOf(m: ReceivedMessage, of: string, action: string): boolean {
  if (m.from !== '') return false;
  const text = Buffer.from(m.data).toString('latin1');
  return text.includes(`X-Dane-Mta-Queue-ID: ${of}\r\n`) && text.includes(`Action: ${action}\r\n`);
}

/** The DSN about `of` with `action` at the sender's receiver, parsed (waits for its arrival). */
async function dsnAt(of: string, action: string): Promise<{ m: ReceivedMessage; dsn: ParsedDsn }> {
  await sink.waitFor((r) => r.messages.some((m) => isDsnOf(m, of, action)), { timeoutMs: 30_000 });
  const found = sink.messages.filter((m) => isDsnOf(m, of, action));
  assert.equal(found.length, 1, `one ${action} DSN about ${of}`);
  const m = found[0]!;
  return { m, dsn: parseDsn(m.data) };
}

/** A Date-field value in [earliest, latest] (RFC 5322 dates have whole seconds). */
function assertDateWithin(value: string | undefined, earliest: number, latest: number, what: string): void {
  assert.ok(value !== undefined, `${what} present`);
  const ms = Date.parse(value);
  assert.ok(ms >= earliest - 1000 && ms <= latest, `${what} ${value} within the window`);
}

/** The DSN's own header: from MAILER-DAEMON to the sender, auto-replied, multipart/report. */
function assertTopHeader(dsn: ParsedDsn, subject: string, reportType: string): void {
  assert.equal(field(dsn.top, 'From'), 'Mail Delivery System <MAILER-DAEMON@mta.daemon.test>');
  assert.equal(field(dsn.top, 'To'), `<${SENDER}>`);
  assert.equal(field(dsn.top, 'Subject'), subject);
  assert.equal(field(dsn.top, 'Auto-Submitted'), 'auto-replied');
  assert.equal(field(dsn.top, 'MIME-Version'), '1.0');
  assert.match(field(dsn.top, 'Message-ID'), /^<[^<>@\s]+@mta\.daemon\.test>$/);
  assert.ok(!Number.isNaN(Date.parse(field(dsn.top, 'Date'))));
  const ct = contentType(field(dsn.top, 'Content-Type'));
  assert.equal(ct.type, 'multipart/report');
  assert.equal(ct.params['report-type'], reportType);
}

const typeOf = (dsn: ParsedDsn, i: number) => contentType(field(dsn.parts[i]!, 'Content-Type'));
const bodyOf = (e: { body: Uint8Array }) => Buffer.from(e.body).toString('utf8');
/** The human-readable part with its line wrapping undone. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

test('partial failure: the bounced recipient in a failure DSN, the delivered one in a relay notice; RET, ENVID, ORCPT honoured', async () => {
  const body =
    'Message-ID: <partial@client.daemon.test>\r\nFrom: <sender@ee-311.test>\r\n' +
    'To: ok@ee-311.test, gone@rcpt-rejected.test\r\nSubject: partial\r\n\r\nSECRET BODY LINE\r\n';
  const sub = await submit({
    from: SENDER,
    mailParams: ['RET=HDRS', 'ENVID=partial+2Benv'],
    recipients: [
      { address: 'ok@ee-311.test', params: ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;orig-ok@example.net'] },
      {
        address: 'gone@rcpt-rejected.test',
        params: ['NOTIFY=FAILURE,DELAY', 'ORCPT=rfc822;orig-gone@example.net'],
      },
    ],
    body,
  });
  const [failure, relayed] = await Promise.all([dsnAt(sub.id, 'failed'), dsnAt(sub.id, 'relayed')]);
  // The delivered recipient got the message itself.
  assert.ok(
    net.receivers.get('mx.ee-311.test')?.messages.some((m) => m.messageId === '<partial@client.daemon.test>'),
  );
  const view = await store.show(sub.id);
  assert.deepEqual(
    view?.recipients.map((r) => [r.address, r.state, r.enhanced]),
    [
      ['ok@ee-311.test', 'delivered', '2.6.0'], // the lab receiver's 250 2.6.0
      ['gone@rcpt-rejected.test', 'bounced', '5.1.1'],
    ],
  );

  // The failure DSN: envelope from <> to the sender, three parts, only the bounced recipient.
  const f = failure.dsn;
  assert.equal(failure.m.from, '');
  assert.deepEqual(failure.m.to, [SENDER]);
  assertTopHeader(f, 'Undelivered Mail Returned to Sender', 'delivery-status');
  assert.equal(f.parts.length, 3);
  assert.deepEqual(typeOf(f, 0), { type: 'text/plain', params: { charset: 'us-ascii' } });
  assert.equal(typeOf(f, 1).type, 'message/delivery-status');
  assert.match(f.text, /<gone@rcpt-rejected\.test>: not delivered/);
  assert.doesNotMatch(f.text, /ok@ee-311\.test/);
  assert.equal(f.status.message['reporting-mta'], 'dns; mta.daemon.test');
  assert.equal(f.status.message['x-dane-mta-queue-id'], sub.id);
  assert.equal(f.status.message['original-envelope-id'], 'partial+env');
  assertDateWithin(f.status.message['arrival-date'], sub.earliest, sub.latest, 'Arrival-Date');
  assert.equal(f.status.recipients.length, 1);
  const r = f.status.recipients[0]!;
  assert.equal(r['original-recipient'], 'rfc822;orig-gone@example.net');
  assert.equal(r['final-recipient'], 'rfc822;gone@rcpt-rejected.test');
  assert.equal(r['action'], 'failed');
  assert.equal(r['status'], '5.1.1');
  assert.equal(r['remote-mta'], 'dns; mx.rcpt-rejected.test');
  assert.match(r['diagnostic-code'] ?? '', /^smtp; 550 5\.1\.1 /);
  assertDateWithin(r['last-attempt-date'], sub.earliest, clock.now(), 'Last-Attempt-Date');
  assert.equal(r['will-retry-until'], undefined);
  // RET=HDRS: the original's header section only (our Received: included), never its body.
  assert.equal(typeOf(f, 2).type, 'text/rfc822-headers');
  const returned = bodyOf(f.parts[2]!);
  assert.match(returned, /^Received: from client\.daemon\.test /);
  assert.match(returned, /\r\nMessage-ID: <partial@client\.daemon\.test>\r\n/);
  assert.doesNotMatch(returned, /SECRET BODY LINE/);

  // NOTIFY=SUCCESS to a server without DSN: a relay notice for that recipient alone.
  const n = relayed.dsn;
  assertTopHeader(n, 'Successful Mail Relay', 'delivery-status');
  assert.equal(n.status.message['original-envelope-id'], 'partial+env');
  assert.equal(n.status.recipients.length, 1);
  const ok = n.status.recipients[0]!;
  assert.equal(ok['original-recipient'], 'rfc822;orig-ok@example.net');
  assert.equal(ok['final-recipient'], 'rfc822;ok@ee-311.test');
  assert.equal(ok['action'], 'relayed');
  assert.equal(ok['status'], '2.6.0');
  assert.equal(ok['remote-mta'], 'dns; mx.ee-311.test');
  assert.match(ok['diagnostic-code'] ?? '', /^smtp; 250 /);
  assert.equal(typeOf(n, 2).type, 'text/rfc822-headers');
  assert.doesNotMatch(bodyOf(n.parts[2]!), /SECRET BODY LINE/);
  assert.deepEqual(
    dsnEvents(sub.id)
      .map((e) => e.kind)
      .sort(),
    ['failure', 'relayed'],
  );
});

/**
 * Wait for the attempt that bounces `id` at `domain`. DSNs are enqueued in the same commit and
 * published right after the attempt event, so once it is seen any DSN event has been too.
 */
async function bouncedAttempt(id: string, domain: string): Promise<AttemptEvent> {
  const seen = events.find((e): e is AttemptEvent => isAttempt(id, domain)(e));
  const e = seen ?? (await nextEvent(isAttempt(id, domain), `the attempt of ${id} at ${domain}`));
  assert.equal(e.outcome, 'bounced');
  return e;
}

test('NOTIFY=NEVER and NOTIFY=SUCCESS on a bounced recipient: no failure DSN', async () => {
  const sub = await submit({
    from: SENDER,
    recipients: [
      { address: 'never@rcpt-rejected.test', params: ['NOTIFY=NEVER'] },
      { address: 'success@rcpt-rejected.test', params: ['NOTIFY=SUCCESS'] },
    ],
    body: 'Message-ID: <notify@client.daemon.test>\r\nSubject: notify\r\n\r\nno DSN wanted\r\n',
  });
  const e = await bouncedAttempt(sub.id, 'rcpt-rejected.test');
  assert.deepEqual(
    e.results.map((r) => [r.address, r.state, r.enhanced]),
    [
      ['never@rcpt-rejected.test', 'bounced', '5.1.1'],
      ['success@rcpt-rejected.test', 'bounced', '5.1.1'],
    ],
  );
  assert.deepEqual(dsnEvents(sub.id), []);
  const dsns = (await store.list({ limit: 10_000 })).filter((v) => v.message.kind === 'dsn');
  for (const v of dsns) {
    const body = Buffer.from((await store.body(v.message.id)) ?? new Uint8Array()).toString('latin1');
    assert.doesNotMatch(body, new RegExp(`X-Dane-Mta-Queue-ID: ${sub.id}`));
  }
});

test('a bounced message from <> gets no DSN', async () => {
  const sub = await submit({
    from: '',
    recipients: [{ address: 'gone@rcpt-rejected.test' }],
    body: 'Message-ID: <null-sender@client.daemon.test>\r\nSubject: from <>\r\n\r\nbounce me\r\n',
  });
  const e = await bouncedAttempt(sub.id, 'rcpt-rejected.test');
  assert.equal(e.enhanced, '5.1.1');
  assert.deepEqual(dsnEvents(sub.id), []);
  assert.equal((await store.show(sub.id))?.recipients[0]?.state, 'bounced');
});

test('SMTPUTF8: a failure DSN as message/global-delivery-status with a utf-8 address and message/global', async () => {
  const sub = await submit({
    from: SENDER,
    smtputf8: true,
    recipients: [{ address: 'josé@null-mx.test' }],
    body: 'Message-ID: <utf8@client.daemon.test>\r\nSubject: Grüße aus Köln\r\n\r\nHallo José\r\n',
  });
  const { m, dsn } = await dsnAt(sub.id, 'failed');
  assert.equal(m.from, '');
  assertTopHeader(dsn, 'Undelivered Mail Returned to Sender', 'global-delivery-status');
  assert.deepEqual(typeOf(dsn, 0), { type: 'text/plain', params: { charset: 'utf-8' } });
  assert.equal(typeOf(dsn, 1).type, 'message/global-delivery-status');
  assert.match(dsn.text, /<josé@null-mx\.test>: not delivered/);
  assert.equal(dsn.status.message['reporting-mta'], 'dns; mta.daemon.test');
  assert.equal(dsn.status.message['original-envelope-id'], undefined);
  assertDateWithin(dsn.status.message['arrival-date'], sub.earliest, sub.latest, 'Arrival-Date');
  assert.equal(dsn.status.recipients.length, 1);
  const r = dsn.status.recipients[0]!;
  assert.equal(r['final-recipient'], 'utf-8;josé@null-mx.test');
  assert.equal(r['original-recipient'], undefined);
  assert.equal(r['action'], 'failed');
  assert.equal(r['status'], '5.1.10');
  // Null MX (RFC 7505): no server was asked, so no Remote-MTA and our own diagnostic.
  assert.equal(r['remote-mta'], undefined);
  assert.match(r['diagnostic-code'] ?? '', /^X-dane-mta; .*null MX/i);
  // No RET: a failure returns the whole message, here as message/global (RFC 6533 §3).
  assert.equal(typeOf(dsn, 2).type, 'message/global');
  const returned = bodyOf(dsn.parts[2]!);
  assert.match(returned, /\r\nSubject: Grüße aus Köln\r\n/);
  assert.match(returned, /\r\n\r\nHallo José\r\n$/);
});

test('a DANE failure: one delay notice after delay_warning, then the expiry bounce after max_age, both naming it', async () => {
  const domain = 'botched-renewal.test';
  const sub = await submit({
    from: SENDER,
    recipients: [{ address: `user@${domain}` }],
    body: 'Message-ID: <dane-delay@client.daemon.test>\r\nSubject: dane\r\n\r\nSECRET DANE BODY\r\n',
  });
  const received = (await store.show(sub.id))?.message.received ?? 0;
  const attempts: AttemptEvent[] = [];
  const next = (what: string): Promise<AttemptEvent> =>
    nextEvent((e): e is AttemptEvent => isAttempt(sub.id, domain)(e) && !attempts.includes(e), what).then(
      (e) => {
        attempts.push(e);
        return e;
      },
    );
  const first = events.find((e): e is AttemptEvent => isAttempt(sub.id, domain)(e));
  if (first !== undefined) attempts.push(first);
  else await next('the first attempt');
  const a1 = attempts[0]!;
  assert.equal(a1.outcome, 'deferred');
  assert.equal(a1.enhanced, '4.7.5');
  assert.equal(a1.dane, 'failed');
  assert.deepEqual(dsnEvents(sub.id), [], 'no notice before delay_warning');

  // 40 minutes on: past delay_warning (30m) and the retry (10m) — one delay notice.
  const a2p = next('the attempt after delay_warning');
  clock.advance(40 * MINUTE);
  const a2 = await a2p;
  assert.equal(a2.outcome, 'deferred');
  assert.equal(a2.dane, 'failed');
  assert.deepEqual(
    dsnEvents(sub.id).map((e) => e.kind),
    ['delay'],
  );
  const delay = await dsnAt(sub.id, 'delayed');
  const d = delay.dsn;
  assertTopHeader(d, 'Delayed Mail (still being retried)', 'delivery-status');
  assert.match(
    flat(d.text),
    /publishes DANE \(TLSA\) records for its mail servers, and the certificate its server presented did not match them/,
  );
  assert.match(flat(d.text), /It will be retried until /);
  assertDateWithin(d.status.message['arrival-date'], sub.earliest, sub.latest, 'Arrival-Date');
  const dr = d.status.recipients[0]!;
  assert.equal(d.status.recipients.length, 1);
  assert.equal(dr['final-recipient'], `rfc822;user@${domain}`);
  assert.equal(dr['action'], 'delayed');
  assert.equal(dr['status'], '4.7.5');
  assert.equal(dr['remote-mta'], `dns; mx.${domain}`);
  assert.match(dr['diagnostic-code'] ?? '', DANE_DIAGNOSTIC);
  assert.equal(dr['will-retry-until'], formatMessageDate(received + 2 * 60 * MINUTE));
  // A delay notice returns headers only (no RET).
  assert.equal(typeOf(d, 2).type, 'text/rfc822-headers');
  assert.doesNotMatch(bodyOf(d.parts[2]!), /SECRET DANE BODY/);

  // Another retry 20 minutes later: still deferred, and no second delay notice.
  const a3p = next('the third attempt');
  clock.advance(20 * MINUTE);
  const a3 = await a3p;
  assert.equal(a3.outcome, 'deferred');
  assert.deepEqual(
    dsnEvents(sub.id).map((e) => e.kind),
    ['delay'],
  );

  // Past max_age (2h): bounced as expired, with a failure DSN naming the DANE failure.
  const a4p = next('the attempt after max_age');
  clock.advance(2 * 60 * MINUTE);
  const expiredAt = clock.now();
  const a4 = await a4p;
  assert.equal(a4.outcome, 'deferred', 'the delivery itself still only failed DANE');
  assert.deepEqual(
    a4.results.map((r) => [r.state, r.enhanced, r.expired]),
    [['bounced', '5.4.7', true]],
  );
  assert.deepEqual(
    dsnEvents(sub.id).map((e) => e.kind),
    ['delay', 'failure'],
  );
  const bounce = await dsnAt(sub.id, 'failed');
  const b = bounce.dsn;
  assertTopHeader(b, 'Undelivered Mail Returned to Sender', 'delivery-status');
  assert.match(
    flat(b.text),
    /publishes DANE \(TLSA\) records for its mail servers, and the certificate its server presented did not match them/,
  );
  const br = b.status.recipients[0]!;
  assert.equal(b.status.recipients.length, 1);
  assert.equal(br['final-recipient'], `rfc822;user@${domain}`);
  assert.equal(br['action'], 'failed');
  assert.equal(br['status'], '5.4.7');
  assert.equal(br['remote-mta'], `dns; mx.${domain}`);
  assert.match(br['diagnostic-code'] ?? '', DANE_DIAGNOSTIC);
  assert.equal(br['will-retry-until'], undefined);
  assertDateWithin(br['last-attempt-date'], expiredAt, clock.now(), 'Last-Attempt-Date');
  // A failure without RET returns the whole message.
  assert.equal(typeOf(b, 2).type, 'message/rfc822');
  assert.match(bodyOf(b.parts[2]!), /SECRET DANE BODY/);
  assert.equal((await store.show(sub.id))?.recipients[0]?.state, 'bounced');
  assert.equal(fields(b.top, 'To').length, 1);
});
