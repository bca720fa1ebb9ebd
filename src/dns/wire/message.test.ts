/**
 * Tests of whole messages (RFC 1035 §4.1): header flags and counts, sections, EDNS(0) (RFC 6891
 * §6.1.3: payload size, version, DO, extended RCODE), Extended DNS Errors (RFC 8914 §2), query
 * construction and name compression on output (RFC 1035 §4.1.4; RFC 3597 §4: only the RFC 1035
 * types' rdata names are compressed). Pure; no I/O.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../util/index.ts';
import {
  DEFAULT_FLAGS,
  decodeMessage,
  edeOption,
  encodeMessage,
  extendedErrors,
  makeQuery,
  type Edns,
  type Flags,
  type Message,
} from './message.ts';
import { Name } from './name.ts';
import { formatRr, parseZone } from './presentation.ts';
import { makeRr, type Rr } from './record.ts';
import { EdnsOption, Rcode, RRType } from './types.ts';

function msg(fields: Partial<Message> = {}): Message {
  return {
    id: 0xbeef,
    flags: { ...DEFAULT_FLAGS, qr: true },
    rcode: 0,
    questions: [{ name: Name.parse('example.'), type: RRType.A, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
    ...fields,
  };
}

function countPointers(wire: Uint8Array): number {
  // Count 0xC0-prefixed octet pairs after the header; good enough for the small hand-made messages.
  let n = 0;
  for (let i = 12; i < wire.length - 1; i++) if (((wire[i] as number) & 0xc0) === 0xc0) n++;
  return n;
}

test('header: every flag bit and the opcode survive encode/decode', () => {
  const cases: { flags: Partial<Flags>; want: string }[] = [
    { flags: {}, want: '0000' },
    { flags: { qr: true }, want: '8000' },
    { flags: { opcode: 5 }, want: '2800' },
    { flags: { opcode: 15 }, want: '7800' },
    { flags: { aa: true }, want: '0400' },
    { flags: { tc: true }, want: '0200' },
    { flags: { rd: true }, want: '0100' },
    { flags: { ra: true }, want: '0080' },
    { flags: { z: true }, want: '0040' },
    { flags: { ad: true }, want: '0020' },
    { flags: { cd: true }, want: '0010' },
    { flags: { qr: true, aa: true, rd: true, ra: true, ad: true }, want: '85a0' },
  ];
  for (const c of cases) {
    const flags = { ...DEFAULT_FLAGS, ...c.flags };
    const wire = encodeMessage(msg({ flags, rcode: 3 }));
    const want = ((parseInt(c.want, 16) | 3) >>> 0).toString(16).padStart(4, '0');
    assert.equal(toHex(wire.subarray(2, 4)), want, JSON.stringify(c.flags));
    const back = decodeMessage(wire);
    assert.deepEqual(back.flags, flags);
    assert.equal(back.rcode, 3);
    assert.equal(back.id, 0xbeef);
  }
});

test('counts, sections and records round trip; OPT is lifted out of the additional section', () => {
  const rrs = parseZone(
    [
      '$ORIGIN example.',
      '@ 300 IN MX 10 mail',
      'ns 300 IN NS ns1',
      'mail 300 IN A 192.0.2.1',
      'mail 300 IN AAAA 2001:db8::1',
    ].join('\n'),
  );
  const m = msg({
    answers: rrs.slice(0, 1),
    authorities: rrs.slice(1, 2),
    additionals: rrs.slice(2),
    edns: { udpSize: 4096, version: 0, do: true, options: [] },
  });
  const wire = encodeMessage(m);
  assert.equal(toHex(wire.subarray(4, 12)), '0001000100010003', 'ARCOUNT includes the OPT record');
  const back = decodeMessage(wire);
  assert.deepEqual(back.answers.map(formatRr), ['example. 300 IN MX 10 mail.example.']);
  assert.deepEqual(back.authorities.map(formatRr), ['ns.example. 300 IN NS ns1.example.']);
  assert.deepEqual(back.additionals.map(formatRr), [
    'mail.example. 300 IN A 192.0.2.1',
    'mail.example. 300 IN AAAA 2001:db8::1',
  ]);
  assert.deepEqual(back.edns, { udpSize: 4096, version: 0, do: true, options: [] });
});

test('EDNS: payload size, version, DO and the extended RCODE split (RFC 6891 §6.1.3)', () => {
  const cases: { rcode: number; edns: Edns; wantHeaderRcode: number; wantTtl: string }[] = [
    {
      rcode: 0,
      edns: { udpSize: 1232, version: 0, do: true, options: [] },
      wantHeaderRcode: 0,
      wantTtl: '00008000',
    },
    {
      rcode: Rcode.BADVERS,
      edns: { udpSize: 512, version: 0, do: false, options: [] },
      wantHeaderRcode: 0,
      wantTtl: '01000000',
    },
    {
      rcode: 0xfff,
      edns: { udpSize: 65535, version: 255, do: true, options: [] },
      wantHeaderRcode: 15,
      wantTtl: 'ffff8000',
    },
    {
      rcode: 23,
      edns: { udpSize: 0, version: 1, do: false, options: [] },
      wantHeaderRcode: 7,
      wantTtl: '01010000',
    },
  ];
  for (const c of cases) {
    const wire = encodeMessage(msg({ rcode: c.rcode, edns: c.edns }));
    assert.equal((wire[3] as number) & 0xf, c.wantHeaderRcode, `rcode ${c.rcode}`);
    // The OPT record is last: owner 00, type 0029, class, TTL, RDLENGTH.
    const opt = wire.subarray(wire.length - 11);
    assert.equal(toHex(opt.subarray(0, 3)), '000029');
    assert.equal(toHex(opt.subarray(5, 9)), c.wantTtl, `rcode ${c.rcode}`);
    const back = decodeMessage(wire);
    assert.equal(back.rcode, c.rcode);
    assert.deepEqual(back.edns, c.edns);
  }
});

test('EDE (RFC 8914): edeOption builds it, extendedErrors reads it, others are ignored', () => {
  const options = [
    edeOption(6, 'DNSSEC Bogus: no valid signature'),
    { code: EdnsOption.COOKIE, data: fromHex('0102030405060708') },
    edeOption(9),
    edeOption(0xffff, 'caf\u00e9 \u2713'),
    { code: EdnsOption.EDE, data: fromHex('00') }, // too short: skipped
  ];
  assert.equal(toHex(options[0]!.data.subarray(0, 2)), '0006');
  const m = msg({ rcode: Rcode.SERVFAIL, edns: { udpSize: 1232, version: 0, do: true, options } });
  const back = decodeMessage(encodeMessage(m));
  assert.deepEqual(extendedErrors(back), [
    { infoCode: 6, text: 'DNSSEC Bogus: no valid signature' },
    { infoCode: 9, text: '' },
    { infoCode: 0xffff, text: 'caf\u00e9 \u2713' },
  ]);
  assert.equal(back.edns?.options.length, 5);
  assert.deepEqual(extendedErrors(msg()), [], 'no EDNS, no EDE');
});

test('makeQuery: RD, CD, DO, payload size and no-EDNS queries', () => {
  const q = { name: Name.parse('_25._tcp.mx.example.'), type: RRType.TLSA, class: 1 };
  const cases: { opts: Parameters<typeof makeQuery>[1]; wantHex: string }[] = [
    {
      opts: { id: 1 },
      wantHex:
        '0001 0100 0001 0000 0000 0001' +
        '035f3235045f746370026d78076578616d706c6500 0034 0001' +
        '00 0029 04d0 00008000 0000',
    },
    {
      opts: { id: 2, rd: false, cd: true, dnssecOk: false, udpSize: 4096 },
      wantHex:
        '0002 0010 0001 0000 0000 0001' +
        '035f3235045f746370026d78076578616d706c6500 0034 0001' +
        '00 0029 1000 00000000 0000',
    },
    {
      opts: { id: 3, edns: false },
      wantHex: '0003 0100 0001 0000 0000 0000' + '035f3235045f746370026d78076578616d706c6500 0034 0001',
    },
  ];
  for (const c of cases) {
    assert.equal(
      toHex(encodeMessage(makeQuery(q, c.opts))),
      c.wantHex.replace(/\s/g, ''),
      JSON.stringify(c.opts),
    );
  }
});

test('compression: suffixes are reused, RFC 1035 rdata names compressed, others never (RFC 3597 §4)', () => {
  const rrs = parseZone(
    [
      '$ORIGIN example.',
      '@ 60 IN MX 10 mail', // MX exchange: compressed
      '@ 60 IN SRV 0 0 25 mail', // SRV target: never compressed
      '@ 60 IN DNAME mail', // DNAME target: never compressed
    ].join('\n'),
  );
  const wire = encodeMessage(msg({ answers: rrs }));
  const hex = toHex(wire);
  // question example. at 12; MX owner → c00c; exchange "mail" + pointer to 12.
  assert.ok(hex.includes('046d61696c' + 'c00c'), 'MX exchange compressed');
  assert.equal(
    hex.split('046d61696c076578616d706c6500').length - 1,
    2,
    'SRV and DNAME targets written in full',
  );
  const uncompressed = encodeMessage(msg({ answers: rrs }), { compress: false });
  assert.equal(countPointers(uncompressed), 0);
  assert.ok(uncompressed.length > wire.length);
  assert.deepEqual(
    decodeMessage(uncompressed).answers.map(formatRr),
    decodeMessage(wire).answers.map(formatRr),
  );
});

test('compression keeps case: a pointer is used only for an identical suffix', () => {
  const rrs = parseZone(
    'www.EXAMPLE. 60 IN A 192.0.2.1\nWWW.example. 60 IN A 192.0.2.2\nwww.example. 60 IN A 192.0.2.3',
  );
  const wire = encodeMessage(msg({ answers: rrs }));
  const back = decodeMessage(wire);
  assert.deepEqual(
    back.answers.map((rr) => rr.name.toString()),
    ['www.EXAMPLE.', 'WWW.example.', 'www.example.'],
  );
  assert.ok(toHex(wire).includes('c00c'), 'www.example. points at the question name example.');
  assert.equal(toHex(encodeMessage(back)), toHex(wire), 'stable');
});

test('compression pointers only target offsets below 0x4000', () => {
  const big = makeRr({
    name: Name.parse('big.example.'),
    type: 65280,
    ttl: 0,
    data: { bytes: new Uint8Array(0x4000) },
  });
  const late = makeRr({
    name: Name.parse('late.zone.test.'),
    type: RRType.A,
    ttl: 0,
    data: { address: '192.0.2.9' },
  });
  const again = makeRr({
    name: Name.parse('again.late.zone.test.'),
    type: RRType.A,
    ttl: 0,
    data: { address: '192.0.2.10' },
  });
  const wire = encodeMessage(msg({ answers: [big, late, again] }));
  assert.ok(wire.length > 0x4000);
  const back = decodeMessage(wire);
  assert.deepEqual(back.answers.slice(1).map(formatRr), [
    'late.zone.test. 0 IN A 192.0.2.9',
    'again.late.zone.test. 0 IN A 192.0.2.10',
  ]);
  // "again" is written with "late.zone.test." spelled out a second time, since its first copy is past 0x3fff.
  assert.equal(toHex(wire).split('046c617465047a6f6e65047465737400').length - 1, 2);
});

test('messages over 65535 octets and rdata over 65535 octets are DNS_ERR_TOO_BIG', () => {
  const chunk = (n: number): Rr =>
    makeRr({ name: Name.ROOT, type: 65280, ttl: 0, data: { bytes: new Uint8Array(n) } });
  assert.throws(() => encodeMessage(msg({ answers: [chunk(40000), chunk(40000)] })), {
    code: 'DNS_ERR_TOO_BIG',
  });
  assert.throws(() => encodeMessage(msg({ answers: [chunk(70000)] })), { code: 'DNS_ERR_TOO_BIG' });
  assert.doesNotThrow(() => encodeMessage(msg({ questions: [], answers: [chunk(65535 - 12 - 11)] })));
});

test('an OPT record outside the additional section is kept as an ordinary record', () => {
  const wire = fromHex(
    '0001 8000 0000 0001 0000 0000' + '00 0029 1000 00000000 0004 000a 0000'.replace(/\s/g, ''),
  );
  const m = decodeMessage(wire);
  assert.equal(m.edns, undefined);
  assert.equal(m.answers[0]?.type, RRType.OPT);
  assert.equal(m.answers[0].class, 4096);
  assert.equal(toHex(encodeMessage(m)), toHex(wire));
});
