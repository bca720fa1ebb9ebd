/**
 * DSNs parsed back with test/helpers/dsn-parse.ts: every field of RFC 3464 / 6522 / 6533 / 3461
 * / 3834, partial failures (only the failed recipient is reported), delay notices, SMTPUTF8,
 * RET=HDRS/FULL, ENVID/ORCPT, large originals cut to their headers, and hostile remote text
 * that must not break the structure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  contentType,
  field,
  fields,
  parseDsn,
  parseEntity,
  type ParsedDsn,
} from '../../test/helpers/dsn-parse.ts';
import { seededRandom } from '../util/index.ts';
import {
  buildDsn,
  dsnMessage,
  DsnError,
  headerSection,
  wantsDsn,
  type DsnInput,
  type DsnRecipient,
} from './dsn.ts';
import { foldField, originalRecipient, safeText, typedAddress } from './dsn-format.ts';

const HOST = 'mta.example.net';
const NOW = Date.UTC(2026, 5, 3, 10, 20, 30);
const RECEIVED = Date.UTC(2026, 5, 1, 8, 0, 0);
const ORIGINAL = new TextEncoder().encode(
  'From: Alice <alice@example.com>\r\nTo: bob@example.org, carol@example.org\r\n' +
    'Subject: quarterly report\r\nMessage-ID: <q1@example.com>\r\n\r\nHello Bob,\r\nsee attached.\r\n',
);

const failed: DsnRecipient = {
  address: 'bob@example.org',
  outcome: 'failed',
  status: '5.1.1',
  remoteMta: 'mx1.example.org',
  diagnostic: { type: 'smtp', reply: '550 5.1.1 <bob@example.org>: Recipient address rejected' },
  lastAttempt: Date.UTC(2026, 5, 3, 10, 20, 0),
};
const delivered: DsnRecipient = { address: 'carol@example.org', outcome: 'delivered', status: '2.0.0' };

function input(over: Partial<DsnInput> & { recipients: DsnRecipient[] }): DsnInput {
  return {
    kind: 'failure',
    original: {
      id: '01J0AAAAAAAAAAAAAAAA',
      from: 'alice@example.com',
      received: RECEIVED,
      smtputf8: false,
      body: ORIGINAL,
    },
    ...over,
  };
}

function build(
  i: DsnInput,
  returnLimit?: number,
): { parsed: ParsedDsn; raw: string; built: NonNullable<ReturnType<typeof buildDsn>> } {
  const built = buildDsn(i, {
    hostname: HOST,
    now: NOW,
    random: seededRandom(7),
    ...(returnLimit === undefined ? {} : { returnLimit }),
  });
  assert.ok(built !== null, 'a DSN was built');
  return { parsed: parseDsn(built.body), raw: Buffer.from(built.body).toString('utf8'), built };
}

test('partial failure: one failed, one delivered — only the failed one is reported, every field', () => {
  const { parsed, built } = build(input({ recipients: [failed, delivered] }));
  const top = parsed.top;
  assert.equal(field(top, 'From'), `Mail Delivery System <MAILER-DAEMON@${HOST}>`);
  assert.equal(field(top, 'To'), '<alice@example.com>');
  assert.equal(field(top, 'Subject'), 'Undelivered Mail Returned to Sender');
  assert.equal(field(top, 'Date'), 'Wed, 03 Jun 2026 10:20:30 +0000');
  assert.equal(field(top, 'Message-ID'), built.messageId);
  assert.match(built.messageId, new RegExp(`^<[0-9a-z]+\\.[0-9a-f]{16}@${HOST.replace(/\./g, '\\.')}>$`));
  assert.equal(field(top, 'Auto-Submitted'), 'auto-replied');
  assert.equal(field(top, 'MIME-Version'), '1.0');
  const ct = contentType(field(top, 'Content-Type'));
  assert.equal(ct.type, 'multipart/report');
  assert.equal(ct.params['report-type'], 'delivery-status');
  assert.equal(parsed.parts.length, 3);
  assert.equal(contentType(field(parsed.parts[0]!, 'Content-Type')).params['charset'], 'us-ascii');
  assert.equal(contentType(field(parsed.parts[1]!, 'Content-Type')).type, 'message/delivery-status');

  assert.deepEqual(parsed.status.message, {
    'reporting-mta': `dns; ${HOST}`,
    'x-dane-mta-queue-id': '01J0AAAAAAAAAAAAAAAA',
    'arrival-date': 'Mon, 01 Jun 2026 08:00:00 +0000',
  });
  assert.deepEqual(parsed.status.recipients, [
    {
      'final-recipient': 'rfc822;bob@example.org',
      action: 'failed',
      status: '5.1.1',
      'remote-mta': 'dns; mx1.example.org',
      'diagnostic-code': 'smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected',
      'last-attempt-date': 'Wed, 03 Jun 2026 10:20:00 +0000',
    },
  ]);
  assert.deepEqual(built.reported, ['bob@example.org']);
  assert.equal(built.to, 'alice@example.com');
  assert.equal(built.smtputf8, false);
  assert.equal(built.eightBitMime, false);
  assert.match(parsed.text, /^This is the mail system at host mta\.example\.net\./);
  assert.match(parsed.text, /<bob@example\.org>: not delivered: 550 5\.1\.1/);
  assert.doesNotMatch(parsed.text, /carol/);
  assert.match(parsed.text, /The original message is attached\./);
  // Without RET a failure returns the whole message.
  const returned = parsed.returned!;
  assert.equal(field(returned, 'Content-Type'), 'message/rfc822');
  assert.deepEqual(Buffer.from(returned.body), Buffer.from(ORIGINAL), 'the original, octet for octet');
});

test('delay notice for a DANE failure: Action delayed, Will-Retry-Until, headers only, plain words', () => {
  const dane: DsnRecipient = {
    address: 'bob@example.org',
    outcome: 'delayed',
    status: '4.7.5',
    remoteMta: 'mx1.example.org',
    diagnostic: {
      type: 'X-dane-mta',
      text: 'DANE: no TLSA record matched the certificate of mx1.example.org',
    },
    dane: true,
    lastAttempt: NOW - 60_000,
    willRetryUntil: RECEIVED + 5 * 86_400_000,
  };
  const warned: DsnRecipient = { ...dane, address: 'dave@example.org', delayWarned: true };
  const failureOnly: DsnRecipient = { ...dane, address: 'erin@example.org', notify: ['FAILURE'] };
  const { parsed } = build(input({ kind: 'delay', recipients: [dane, warned, failureOnly] }));
  assert.equal(field(parsed.top, 'Subject'), 'Delayed Mail (still being retried)');
  assert.deepEqual(parsed.status.recipients, [
    {
      'final-recipient': 'rfc822;bob@example.org',
      action: 'delayed',
      status: '4.7.5',
      'remote-mta': 'dns; mx1.example.org',
      'diagnostic-code': 'X-dane-mta; DANE: no TLSA record matched the certificate of mx1.example.org',
      'last-attempt-date': 'Wed, 03 Jun 2026 10:19:30 +0000',
      'will-retry-until': 'Sat, 06 Jun 2026 08:00:00 +0000',
    },
  ]);
  const text = parsed.text.replace(/\r\n\s*/g, ' ');
  assert.match(text, /THIS IS A WARNING ONLY/);
  assert.match(text, /DANE \(TLSA\) records .* did not match them/);
  assert.match(text, /the message was not sent/);
  assert.match(text, /It will be retried until Sat, 06 Jun 2026 08:00:00 \+0000\./);
  assert.doesNotMatch(text, /dave|erin/);
  assert.equal(field(parsed.returned!, 'Content-Type'), 'text/rfc822-headers');
  assert.deepEqual(Buffer.from(parsed.returned!.body), Buffer.from(headerSection(ORIGINAL)));
  assert.match(
    Buffer.from(parsed.returned!.body).toString(),
    /^From: Alice .*Message-ID: <q1@example\.com>\r\n$/s,
  );
});

test('SMTPUTF8: message/global-delivery-status, utf-8 addresses, message/global', () => {
  const body = new TextEncoder().encode(
    'From: Jörg <jörg@bücher.example>\r\nSubject: Grüße\r\n\r\nHallo\r\n',
  );
  const i: DsnInput = {
    kind: 'failure',
    original: { id: 'X', from: 'jörg@bücher.example', received: RECEIVED, smtputf8: true, body },
    recipients: [{ ...failed, address: 'zoë@example.org', orcpt: 'utf-8;zoë@example.org' }],
  };
  const { parsed, built } = build(i);
  assert.equal(field(parsed.top, 'To'), '<jörg@bücher.example>');
  const ct = contentType(field(parsed.top, 'Content-Type'));
  assert.equal(ct.params['report-type'], 'global-delivery-status');
  assert.equal(contentType(field(parsed.parts[0]!, 'Content-Type')).params['charset'], 'utf-8');
  assert.equal(field(parsed.parts[1]!, 'Content-Type'), 'message/global-delivery-status');
  assert.equal(parsed.status.recipients[0]!['final-recipient'], 'utf-8;zoë@example.org');
  assert.equal(parsed.status.recipients[0]!['original-recipient'], 'utf-8;zoë@example.org');
  assert.equal(field(parsed.returned!, 'Content-Type'), 'message/global');
  assert.equal(field(parsed.returned!, 'Content-Transfer-Encoding'), '8bit');
  assert.equal(built.smtputf8, true, 'the DSN goes to a UTF-8 address');
  assert.equal(built.eightBitMime, true);
  assert.match(parsed.text, /<zoë@example\.org>: not delivered/);
});

test('SMTPUTF8 with ASCII addresses still uses the global types but needs no SMTPUTF8 itself', () => {
  const { parsed, built } = build(
    input({
      original: { id: 'X', from: 'a@example.com', received: RECEIVED, smtputf8: true, body: ORIGINAL },
      recipients: [failed],
    }),
  );
  assert.equal(field(parsed.parts[1]!, 'Content-Type'), 'message/global-delivery-status');
  assert.equal(built.smtputf8, false);
});

test('RET=HDRS on a failure returns headers; RET=FULL on a delay returns the message', () => {
  const hdrs = build(
    input({ original: { ...input({ recipients: [] }).original, ret: 'HDRS' }, recipients: [failed] }),
  );
  assert.equal(field(hdrs.parsed.returned!, 'Content-Type'), 'text/rfc822-headers');
  assert.match(hdrs.parsed.text, /The headers of the original message are attached\./);
  const full = build({
    kind: 'delay',
    original: { ...input({ recipients: [] }).original, ret: 'FULL' },
    recipients: [{ ...failed, outcome: 'delayed', status: '4.4.1' }],
  });
  assert.equal(field(full.parsed.returned!, 'Content-Type'), 'message/rfc822');
  assert.match(Buffer.from(full.parsed.returned!.body).toString(), /Hello Bob/);
});

test('ENVID and ORCPT: Original-Envelope-Id and Original-Recipient', () => {
  const { parsed } = build(
    input({
      original: { ...input({ recipients: [] }).original, envid: 'QQ314159' },
      recipients: [{ ...failed, orcpt: 'rfc822;Bob.Original@example.org' }],
    }),
  );
  assert.equal(parsed.status.message['original-envelope-id'], 'QQ314159');
  assert.equal(parsed.status.recipients[0]!['original-recipient'], 'rfc822;Bob.Original@example.org');
});

test('a large original is cut to its headers and the text says so', () => {
  const big = new TextEncoder().encode(
    `Subject: big\r\nX-Filler: 1\r\n\r\n${'0123456789abcdef0123456789abcdef\r\n'.repeat(200)}`,
  );
  const { parsed } = build(
    input({ original: { ...input({ recipients: [] }).original, body: big }, recipients: [failed] }),
    1000,
  );
  assert.equal(field(parsed.returned!, 'Content-Type'), 'text/rfc822-headers');
  assert.equal(Buffer.from(parsed.returned!.body).toString(), 'Subject: big\r\nX-Filler: 1\r\n');
  assert.match(parsed.text.replace(/\r\n/g, ' '), /larger than 1000 bytes; only its headers are attached/);
});

test('nothing to report: the null sender, NOTIFY=NEVER, no matching outcome', () => {
  const opts = { hostname: HOST, now: NOW, random: seededRandom(1) };
  const nullSender = input({ recipients: [failed] });
  nullSender.original = { ...nullSender.original, from: '' };
  assert.equal(buildDsn(nullSender, opts), null);
  assert.equal(buildDsn(input({ recipients: [{ ...failed, notify: ['NEVER'] }] }), opts), null);
  assert.equal(buildDsn(input({ recipients: [delivered] }), opts), null);
  assert.equal(
    buildDsn(input({ kind: 'relayed', recipients: [{ ...delivered, outcome: 'relayed' }] }), opts),
    null,
  );
});

test('relayed: only with NOTIFY=SUCCESS, Action relayed', () => {
  const r: DsnRecipient = {
    address: 'bob@example.org',
    outcome: 'relayed',
    notify: ['SUCCESS'],
    status: '2.0.0',
    remoteMta: 'mx1.example.org',
  };
  const { parsed } = build(input({ kind: 'relayed', recipients: [r] }));
  assert.equal(field(parsed.top, 'Subject'), 'Successful Mail Relay');
  assert.equal(parsed.status.recipients[0]!['action'], 'relayed');
  assert.match(
    parsed.text.replace(/\r\n\s*/g, ' '),
    /relayed to mx1\.example\.org, which does not send delivery notifications/,
  );
  assert.equal(field(parsed.returned!, 'Content-Type'), 'text/rfc822-headers');
});

test('hostile remote text cannot break the structure', () => {
  const evil: DsnRecipient = {
    ...failed,
    remoteMta: 'mx1.example.org\r\nAction: delivered',
    diagnostic: {
      type: 'smtp',
      reply: `550 5.7.1 go away\r\nAction: delivered\r\n\r\n--=_dane-mta_x\r\nContent-Type: text/html\u0000\u001b[31m ${'A'.repeat(3000)} \u00e9`,
    },
  };
  const { parsed, raw } = build(input({ recipients: [evil] }));
  assert.equal(parsed.status.recipients.length, 1);
  const rec = parsed.status.recipients[0]!;
  assert.equal(rec['action'], 'failed');
  assert.doesNotMatch(raw, /\r\nAction: delivered/);
  assert.ok(!raw.includes('\u0000') && !raw.includes('\u001b'), 'no control characters');
  assert.match(
    rec['diagnostic-code']!,
    /^smtp; 550 5\.7\.1 go away Action: delivered --=_dane-mta_x Content-Type: text\/html \[31m A+ A+/,
  );
  assert.ok(rec['diagnostic-code']!.endsWith('...'), 'cut to a bounded length');
  assert.equal(rec['remote-mta'], 'dns; mx1.example.org Action: delivered');
  assert.ok(
    Buffer.from(raw).every((b) => b < 0x80),
    'an ASCII report stays ASCII',
  );
});

test('the same input and random source give the same bytes', () => {
  const a = build(input({ recipients: [failed] })).raw;
  const b = build(input({ recipients: [failed] })).raw;
  assert.equal(a, b);
});

test('wantsDsn: RFC 3461 §4.1 NOTIFY semantics', () => {
  const want: [DsnRecipient['notify'], boolean, boolean, boolean][] = [
    // notify, failure, delay, relayed
    [undefined, true, true, false],
    [['NEVER'], false, false, false],
    [['FAILURE'], true, false, false],
    [['DELAY'], false, true, false],
    [['SUCCESS'], false, false, true],
    [['SUCCESS', 'FAILURE', 'DELAY'], true, true, true],
  ];
  for (const [notify, failure, delay, relayed] of want) {
    assert.deepEqual(
      [wantsDsn(notify, 'failure'), wantsDsn(notify, 'delay'), wantsDsn(notify, 'relayed')],
      [failure, delay, relayed],
      JSON.stringify(notify),
    );
  }
});

test('field formatting helpers', () => {
  const folded = foldField('Diagnostic-Code', `smtp; ${'word '.repeat(40)}`.trim());
  for (const line of folded.split('\r\n').slice(0, -1)) assert.ok(line.length <= 78, line);
  assert.equal(
    parseEntity(Buffer.from(`${folded}\r\n`)).headers[0]!.value,
    `smtp; ${'word '.repeat(40)}`.trim(),
  );
  assert.equal(typedAddress('zoë@example.org', false), 'utf-8;zo\\x{EB}@example.org');
  assert.equal(typedAddress('zoë@example.org', true), 'utf-8;zoë@example.org');
  assert.equal(originalRecipient('RFC822;a@b.example', false), 'rfc822;a@b.example');
  assert.equal(originalRecipient('no-semicolon', false), undefined);
  assert.equal(safeText('a\r\nb\tc\u0085d é', { ascii: true }), 'a b c d ?');
  assert.deepEqual(fields(parseEntity(Buffer.from('A: 1\r\na: 2\r\n\r\n')), 'a'), ['1', '2']);
});

test('dsnMessage: from <>, kind dsn, one recipient with its destination key and NOTIFY=NEVER', () => {
  const { built } = build(input({ recipients: [failed] }));
  const m = dsnMessage(built, { id: 'DSNID', now: NOW });
  assert.deepEqual(
    { ...m, body: undefined },
    {
      id: 'DSNID',
      from: '',
      received: NOW,
      body: undefined,
      smtputf8: false,
      eightBitMime: false,
      requireTls: false,
      kind: 'dsn',
      recipients: [{ address: 'alice@example.com', domain: 'example.com', notify: ['NEVER'] }],
    },
  );
  assert.equal(m.body, built.body);
  const idn = dsnMessage({ ...built, to: 'jörg@Bücher.example', smtputf8: true }, { id: 'X', now: NOW });
  assert.equal(idn.recipients[0]!.domain, 'xn--bcher-kva.example');
  assert.equal(
    dsnMessage({ ...built, to: 'a@[192.0.2.1]' }, { id: 'X', now: NOW }).recipients[0]!.domain,
    '[192.0.2.1]',
  );
  assert.throws(() => dsnMessage({ ...built, to: 'a@[x:y]' }, { id: 'X', now: NOW }), DsnError);
});
