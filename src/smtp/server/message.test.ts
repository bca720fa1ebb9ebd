/** What intake scans in and adds to a message: header facts, DATA scan, Received:, RFC 6409 fixes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataScanner, finalMessage, protocolType, receivedHeader, scanHeader } from './message.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

test('scanHeader: fields, continuation lines, the blank line, messages without one', () => {
  const h = scanHeader(
    enc('Received: a\r\n\tb\r\nreceived : c\r\nDate: x\r\nMessage-ID: <m>\r\n\r\nReceived: in body\r\n'),
  );
  assert.deepEqual(h, { end: 57, separated: true, received: 2, hasDate: true, hasMessageId: true });
  assert.deepEqual(scanHeader(enc('Subject: x\r\n')), {
    end: 12,
    separated: false,
    received: 0,
    hasDate: false,
    hasMessageId: false,
  });
  assert.deepEqual(scanHeader(enc('just a body line\r\n')), {
    end: 0,
    separated: false,
    received: 0,
    hasDate: false,
    hasMessageId: false,
  });
  assert.deepEqual(scanHeader(enc('\r\nbody\r\n')), {
    end: 0,
    separated: true,
    received: 0,
    hasDate: false,
    hasMessageId: false,
  });
});

test('DataScanner: 8-bit octets, bare CR or LF, lines over 998 octets, across chunk borders', () => {
  const scan = (chunks: string[]) => {
    const s = new DataScanner();
    for (const c of chunks) s.push(Buffer.from(c, 'latin1'));
    return { eightBit: s.eightBit, bareLineEnd: s.bareLineEnd, longLine: s.longLine };
  };
  assert.deepEqual(scan(['a\r', '\nb\r\n']), { eightBit: false, bareLineEnd: false, longLine: false });
  assert.deepEqual(scan(['caf\u00e9\r\n']), { eightBit: true, bareLineEnd: false, longLine: false });
  assert.deepEqual(scan(['a\nb\r\n']), { eightBit: false, bareLineEnd: true, longLine: false });
  assert.deepEqual(scan(['a\rb\r\n']), { eightBit: false, bareLineEnd: true, longLine: false });
  assert.deepEqual(scan(['x'.repeat(500), `${'x'.repeat(498)}\r\n`]), {
    eightBit: false,
    bareLineEnd: false,
    longLine: false,
  });
  assert.deepEqual(scan(['x'.repeat(500), `${'x'.repeat(499)}\r\n`]), {
    eightBit: false,
    bareLineEnd: false,
    longLine: true,
  });
});

test('protocol types (RFC 3848, RFC 6531 §3.7.3)', () => {
  const want: [boolean, boolean, boolean, boolean, string][] = [
    [false, false, false, false, 'SMTP'],
    [true, false, false, false, 'ESMTP'],
    [true, true, false, false, 'ESMTPS'],
    [true, false, true, false, 'ESMTPA'],
    [true, true, true, false, 'ESMTPSA'],
    [true, true, false, true, 'UTF8SMTPS'],
    [true, true, true, true, 'UTF8SMTPSA'],
  ];
  for (const [esmtp, tls, authenticated, smtputf8, p] of want) {
    assert.equal(
      protocolType({
        esmtp,
        authenticated,
        smtputf8,
        ...(tls ? { tls: { protocol: 'TLSv1.3', cipher: 'X' } } : {}),
      }),
      p,
    );
  }
});

test('Received: client-controlled text cannot break the field', () => {
  const r = receivedHeader({
    helo: 'evil) by trusted.example; (x\r\nInjected: yes',
    client: '192.0.2.1',
    esmtp: true,
    authenticated: false,
    smtputf8: false,
    hostname: 'mta.example.net',
    id: 'ID1',
    for: 'a@b>; Injected: yes',
    now: Date.UTC(2026, 5, 1),
  });
  assert.equal(
    r,
    'Received: from evil??by?trusted.example???x??Injected:?yes ([192.0.2.1])\r\n' +
      '\tby mta.example.net (dane-mta) with ESMTP id ID1\r\n' +
      '\tfor <a@b???Injected:?yes>; Mon, 01 Jun 2026 00:00:00 +0000\r\n',
  );
});

test('finalMessage: Received first; Date and Message-ID at the end of the header section', () => {
  const received = 'Received: x\r\n';
  const add = { date: 'D', messageId: '<M>' };
  const cases: [string, string][] = [
    ['Subject: s\r\n\r\nbody\r\n', 'Received: x\r\nSubject: s\r\nDate: D\r\nMessage-ID: <M>\r\n\r\nbody\r\n'],
    ['Subject: s\r\n', 'Received: x\r\nSubject: s\r\nDate: D\r\nMessage-ID: <M>\r\n'],
    ['body only\r\n', 'Received: x\r\nDate: D\r\nMessage-ID: <M>\r\n\r\nbody only\r\n'],
    ['\r\nbody\r\n', 'Received: x\r\nDate: D\r\nMessage-ID: <M>\r\n\r\nbody\r\n'],
  ];
  for (const [input, want] of cases) {
    const data = enc(input);
    assert.equal(
      dec(finalMessage(data, { received, header: scanHeader(data), add })),
      want,
      JSON.stringify(input),
    );
  }
  const data = enc('Subject: s\r\n\r\nb\r\n');
  assert.equal(
    dec(finalMessage(data, { received, header: scanHeader(data) })),
    `${received}Subject: s\r\n\r\nb\r\n`,
  );
});
