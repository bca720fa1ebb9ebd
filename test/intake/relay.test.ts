/**
 * Relay listeners: clients in `networks` relay without AUTH, everyone else gets 554 5.7.1 (no
 * open relay); the EHLO extensions; DSN parameters kept per recipient; destination keys in
 * A-labels or address literals; SMTPUTF8; our Received: header and `250 2.0.0 Ok: queued as ID`.
 * Addresses: 127.130.1.0/24.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { IntakeChannel, type IntakeAccepted } from '../../src/smtp/server/index.ts';
import { bodyText, relay, SmtpTestClient, startTestIntake } from './kit.ts';

const SERVER = '127.130.1.1';
const INSIDE = '127.130.1.2';
const OUTSIDE = '127.130.1.3';

test('a client in networks relays: extensions, DSN parameters, destination keys, Received:, queued as ID', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${INSIDE}/32`, '::1/128'])]);
  const seen: IntakeAccepted[] = [];
  const onAccepted = (m: unknown) => seen.push(m as IntakeAccepted);
  subscribe(IntakeChannel.ACCEPTED, onAccepted);
  t.after(() => unsubscribe(IntakeChannel.ACCEPTED, onAccepted));

  const { client, greeting } = await SmtpTestClient.connect(SERVER, run.port(), INSIDE);
  assert.equal(greeting.code, 220);
  assert.match(greeting.text, /^mta\.intake\.test ESMTP dane-mta/);
  const ehlo = await client.command('EHLO client.example');
  assert.equal(ehlo.code, 250);
  const ext = ehlo.lines.slice(1);
  for (const e of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN', 'SIZE 100000'])
    assert.ok(ext.includes(e), `${e} offered: ${ext.join(', ')}`);
  for (const e of ['STARTTLS', 'AUTH', 'REQUIRETLS'])
    assert.ok(!ext.some((l) => l.startsWith(e)), `${e} not offered without TLS / on relay`);

  assert.equal((await client.command('MAIL FROM:<alice@example.com> RET=HDRS ENVID=QQ+2B314')).code, 250);
  const r1 = await client.command(
    'RCPT TO:<Bob@Example.ORG> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40example.org',
  );
  assert.equal(r1.code, 250);
  assert.equal((await client.command('RCPT TO:<carol@[192.0.2.1]>')).code, 250);
  assert.equal((await client.command('RCPT TO:<dave@[IPv6:2001:DB8::1]> NOTIFY=NEVER')).code, 250);
  const done = await client.data('From: alice@example.com\r\nSubject: hi\r\n\r\nHello.\r\n..dot line\r\n');
  assert.equal(done.code, 250);
  assert.equal(done.enhanced, '2.0.0');
  const id = /^Ok: queued as ([0-9A-Z]{20})$/.exec(done.text)?.[1];
  assert.ok(id !== undefined, done.text);

  assert.equal(run.queue.messages.length, 1);
  const m = run.queue.messages[0]!;
  assert.equal(m.id, id);
  assert.equal(m.from, 'alice@example.com');
  assert.equal(m.received, Date.UTC(2026, 5, 1, 12, 0, 0));
  assert.equal(m.envid, 'QQ+314');
  assert.equal(m.ret, 'HDRS');
  assert.equal(m.kind, 'normal');
  assert.equal(m.smtputf8, false);
  assert.equal(m.eightBitMime, false);
  assert.equal(m.requireTls, false);
  assert.deepEqual(m.origin, {
    address: INSIDE,
    helo: 'client.example',
    listener: `${SERVER}:${run.port()}`,
  });
  assert.deepEqual(m.recipients, [
    {
      address: 'Bob@example.org',
      domain: 'example.org',
      notify: ['SUCCESS', 'FAILURE'],
      orcpt: 'rfc822;bob@example.org',
    },
    { address: 'carol@[192.0.2.1]', domain: '[192.0.2.1]' },
    { address: 'dave@[IPv6:2001:db8::1]', domain: '[IPv6:2001:db8::1]', notify: ['NEVER'] },
  ]);
  const text = bodyText(m.body);
  assert.equal(
    text.split('\r\n').slice(0, 3).join('\n'),
    [
      `Received: from client.example ([${INSIDE}])`,
      `\tby mta.intake.test (dane-mta) with ESMTP id ${id};`,
      '\tMon, 01 Jun 2026 12:00:00 +0000',
    ].join('\n'),
  );
  assert.ok(
    text.endsWith('From: alice@example.com\r\nSubject: hi\r\n\r\nHello.\r\n.dot line\r\n'),
    'data kept, dot-unstuffed',
  );
  assert.doesNotMatch(text, /^(Date|Message-ID):/im, 'a relay adds no Date or Message-ID');

  const accepted = {
    client: INSIDE,
    listener: `${SERVER}:${run.port()}`,
    tls: false,
    id,
    from: 'alice@example.com',
    size: m.body.length,
  };
  assert.deepEqual(seen, [
    { ...accepted, recipients: ['Bob@example.org', 'carol@[192.0.2.1]', 'dave@[IPv6:2001:db8::1]'] },
  ]);
  assert.deepEqual(
    run.events.filter((e) => e.type === 'accepted'),
    [{ type: 'accepted', ...seen[0] }],
  );
  assert.equal((await client.command('QUIT')).code, 221);
});

test('a client outside networks gets 554 5.7.1 for every recipient; nothing is stored', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${INSIDE}/32`])]);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), OUTSIDE);
  await client.command('EHLO outsider.example');
  assert.equal((await client.command('MAIL FROM:<spammer@example.net>')).code, 250);
  const r = await client.command('RCPT TO:<victim@example.org>');
  assert.equal(r.code, 554);
  assert.equal(r.enhanced, '5.7.1');
  assert.match(r.text, /Relay access denied/);
  assert.equal((await client.command('RCPT TO:<postmaster@example.org>')).code, 554);
  assert.equal((await client.command('DATA')).code, 503, 'no recipient, no DATA');
  assert.equal(run.queue.attempts, 0);
  const rejected = run.events.filter((e) => e.type === 'rejected');
  assert.equal(rejected.length, 2);
  assert.deepEqual(rejected[0], {
    type: 'rejected',
    client: OUTSIDE,
    listener: `${SERVER}:${run.port()}`,
    tls: false,
    stage: 'rcpt',
    code: 554,
    enhanced: '5.7.1',
    reason: '<victim@example.org>: Relay access denied',
    recipient: 'victim@example.org',
    from: 'spammer@example.net',
    recipients: [],
  });
});

test('recipient limit: 452 4.5.3 beyond it; the accepted ones are stored', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${INSIDE}/32`])], {
    limits: {
      message_size: 100_000,
      recipients: 2,
      received_headers: 50,
      connections: 20,
      command_timeout: 60_000,
    },
  });
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), INSIDE);
  await client.command('EHLO c.example');
  await client.command('MAIL FROM:<a@example.com>');
  assert.equal((await client.command('RCPT TO:<1@example.org>')).code, 250);
  assert.equal((await client.command('RCPT TO:<2@example.org>')).code, 250);
  const third = await client.command('RCPT TO:<3@example.org>');
  assert.deepEqual([third.code, third.enhanced], [452, '4.5.3']);
  assert.equal(
    (await client.command('RCPT TO:<1@example.org>')).code,
    250,
    'a repeated recipient is not a new one',
  );
  assert.equal((await client.data('Subject: x\r\n\r\nx\r\n')).code, 250);
  assert.deepEqual(
    run.queue.messages[0]!.recipients.map((r) => r.address),
    ['1@example.org', '2@example.org'],
  );
});

test('international addresses: A-label keys; SMTPUTF8 kept and recorded; non-ASCII without it refused', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${INSIDE}/32`])]);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), INSIDE);
  await client.command('EHLO c.example');
  await client.command('MAIL FROM:<a@example.com>');
  const local = await client.command('RCPT TO:<zoë@example.org>');
  assert.deepEqual([local.code, local.enhanced], [553, '5.6.7']);
  assert.equal((await client.command('RCPT TO:<user@xn--bcher-kva.example>')).code, 250);
  assert.equal((await client.data('Subject: a\r\n\r\na\r\n')).code, 250);
  assert.deepEqual(run.queue.messages[0]!.recipients, [
    { address: 'user@xn--bcher-kva.example', domain: 'xn--bcher-kva.example' },
  ]);

  assert.equal((await client.command('MAIL FROM:<jörg@bücher.example> SMTPUTF8')).code, 250);
  assert.equal((await client.command('RCPT TO:<zoë@Bücher.example>')).code, 250);
  const r = await client.data('Subject: Grüße\r\n\r\nHallo\r\n');
  assert.equal(r.code, 250);
  const m = run.queue.messages[1]!;
  assert.equal(m.smtputf8, true);
  assert.equal(m.from, 'jörg@bücher.example');
  assert.deepEqual(m.recipients, [{ address: 'zoë@Bücher.example', domain: 'xn--bcher-kva.example' }]);
  assert.match(
    bodyText(m.body),
    /with UTF8SMTP id [0-9A-Z]{20}\r\n\tfor <zoë@Bücher\.example>; Mon, 01 Jun 2026/,
  );
});

test('envelope edge cases: null sender, unknown parameters, domainless postmaster, general literals', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${INSIDE}/32`])]);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), INSIDE);
  await client.command('EHLO c.example');
  const unknown = await client.command('MAIL FROM:<a@example.com> XFOO=1');
  assert.deepEqual([unknown.code, unknown.enhanced], [555, '5.5.4']);
  const envid = await client.command(`MAIL FROM:<a@example.com> ENVID=${'x'.repeat(101)}`);
  assert.deepEqual([envid.code, envid.enhanced], [501, '5.5.4']);
  assert.equal((await client.command('MAIL FROM:<>')).code, 250);
  const pm = await client.command('RCPT TO:<postmaster>');
  assert.deepEqual([pm.code, pm.enhanced], [550, '5.1.1']);
  const general = await client.command('RCPT TO:<x@[tag:whatever]>');
  assert.equal(general.code >= 500, true, general.text);
  const rcptParam = await client.command('RCPT TO:<b@example.org> FOO=BAR');
  assert.deepEqual([rcptParam.code, rcptParam.enhanced], [555, '5.5.4']);
  assert.equal((await client.command('RCPT TO:<b@example.org>')).code, 250);
  assert.equal((await client.data('Subject: bounce\r\n\r\nx\r\n')).code, 250);
  assert.equal(run.queue.messages[0]!.from, '');
});

test('PIPELINING: a whole transaction in one write gets its replies in order', async (t) => {
  const run = await startTestIntake(t, [relay(SERVER, [`${INSIDE}/32`])]);
  const { client } = await SmtpTestClient.connect(SERVER, run.port(), INSIDE);
  await client.command('EHLO c.example');
  client.write('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n');
  const codes = [];
  for (let i = 0; i < 4; i++) codes.push((await client.reply()).code);
  assert.deepEqual(codes, [250, 250, 250, 354]);
  client.write('Subject: p\r\n\r\np\r\n.\r\nRSET\r\nNOOP\r\n');
  assert.equal((await client.reply()).code, 250);
  assert.equal((await client.reply()).code, 250);
  assert.equal((await client.reply()).code, 250);
  assert.equal(run.queue.messages.length, 1);
});
