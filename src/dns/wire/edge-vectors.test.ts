/**
 * Hand-written golden packets for the edge cases of the wire format (RFC 1035 §4.1.4 compression,
 * §2.3.4 limits, RFC 6891 EDNS, RFC 8914 EDE, RFC 4034 §4.1.2 type bitmaps, RFC 5155 §3.3,
 * RFC 3597 unknown types): each vector is hex with a comment, and a `want` that is either the
 * WireError code and offset it must be rejected with, or a check of what it decodes to.
 * Pure; no I/O.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../util/index.ts';
import { WireError, type WireErrorCode } from './errors.ts';
import { decodeMessage, encodeMessage, extendedErrors, type Message } from './message.ts';
import { formatRr } from './presentation.ts';
import { rcodeToString } from './types.ts';

/** Hex of ASCII text. */
function a(text: string): string {
  return toHex(Uint8Array.from(text, (c) => c.charCodeAt(0)));
}

/** A 12-octet header: ID 0x1234, the given flags and section counts. */
function hdr(counts: [number, number, number, number], flags = '8400'): string {
  return '1234' + flags + counts.map((c) => c.toString(16).padStart(4, '0')).join('');
}

/** A label: its length octet and octets. */
function lab(text: string): string {
  return text.length.toString(16).padStart(2, '0') + a(text);
}

const A_IN = '0001 0001 00000e10'; // type A, class IN, TTL 3600
const Q_A_IN = '0001 0001';
const OPT = (ttl = '00008000', rdata = ''): string =>
  `00 0029 04d0 ${ttl} ${(rdata.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')} ${rdata}`;

function bytes(...parts: string[]): Uint8Array {
  return fromHex(parts.join(''));
}

type Want = { error: WireErrorCode; offset: number | undefined } | { check: (m: Message) => void };

interface Vector {
  name: string;
  packet: Uint8Array;
  want: Want;
}

/** 12: 07 example 00 (question), 21: qtype/qclass, 25: first answer. */
const Q_EXAMPLE = lab('example') + '00' + Q_A_IN;

/** A chain of `k` backward pointers inside an unknown record, then an A record whose owner enters it. */
function pointerChain(k: number): Uint8Array {
  // 12: root question name; 13–16 qtype/qclass; 17: answer 1 owner (root), TYPE65280, rdata at 28.
  let rdata = 'c00c'; // pointer 0 → offset 12 (the root name)
  for (let i = 1; i < k; i++) rdata += (0xc000 | (28 + 2 * (i - 1))).toString(16);
  const len = (k * 2).toString(16).padStart(4, '0');
  const entry = (0xc000 | (28 + 2 * (k - 1))).toString(16);
  return bytes(
    hdr([1, 2, 0, 0]),
    '00',
    Q_A_IN,
    '00 ff00 0001 00000e10',
    len,
    rdata,
    entry,
    A_IN,
    '0004 c0000201',
  );
}

/** Labels of 63,63,63,n octets: a name of 193 + n wire octets. */
function longName(last: number): string {
  return [lab('a'.repeat(63)), lab('b'.repeat(63)), lab('c'.repeat(63)), lab('d'.repeat(last)), '00'].join(
    '',
  );
}

const VECTORS: Vector[] = [
  {
    name: 'pointer to a pointer, and a pointer to labels that end in a pointer',
    // 25: 03 www c0 0c (www.example.)  45: c0 1d → 29 → c0 0c (example.)  61: c0 19 → www.example.
    packet: bytes(
      hdr([1, 3, 0, 0]),
      Q_EXAMPLE,
      lab('www'),
      'c00c',
      A_IN,
      '0004 c0000201',
      'c01d',
      A_IN,
      '0004 c0000202',
      'c019',
      A_IN,
      '0004 c0000203',
    ),
    want: {
      check: (m) => {
        assert.deepEqual(m.answers.map(formatRr), [
          'www.example. 3600 IN A 192.0.2.1',
          'example. 3600 IN A 192.0.2.2',
          'www.example. 3600 IN A 192.0.2.3',
        ]);
      },
    },
  },
  {
    name: 'pointer loop: a pointer to itself',
    packet: bytes(hdr([1, 0, 0, 0]), 'c00c', Q_A_IN),
    want: { error: 'DNS_ERR_BAD_POINTER', offset: 12 },
  },
  {
    name: 'pointer loop: a forward pointer',
    packet: bytes(hdr([1, 0, 0, 0]), 'c00e', Q_A_IN, '00'),
    want: { error: 'DNS_ERR_BAD_POINTER', offset: 12 },
  },
  {
    name: 'an empty packet',
    packet: new Uint8Array(0),
    want: { error: 'DNS_ERR_TRUNCATED', offset: 0 },
  },
  {
    name: 'pointer loop: mutual pointers reached through an answer owner',
    // question at 12: 00 + qtype/qclass (13–16); answer 1 at 17: root owner, TYPE65280, rdata at 28 = c0 1e
    // (→ 30); answer 2 owner at 30 = c0 1c (→ 28): 30 → 28 is backwards, then 28 → 30 is not.
    packet: bytes(
      hdr([1, 2, 0, 0]),
      '00',
      Q_A_IN,
      '00 ff00 0001 00000e10 0002 c01e',
      'c01c',
      A_IN,
      '0004 c0000201',
    ),
    want: { error: 'DNS_ERR_BAD_POINTER', offset: 28 },
  },
  {
    name: '64 backward pointers in a row (65 hops) exceed the hop limit',
    packet: pointerChain(64),
    want: { error: 'DNS_ERR_POINTER_LOOP', offset: 28 },
  },
  {
    name: '63 backward pointers in a row (64 hops) are still followed',
    packet: pointerChain(63),
    want: {
      check: (m) => {
        assert.equal(m.answers[1]?.name.toString(), '.');
      },
    },
  },
  {
    name: 'a pointer cut off by the end of the packet',
    packet: bytes(hdr([1, 0, 0, 0]), lab('x'), 'c0'),
    want: { error: 'DNS_ERR_TRUNCATED', offset: 14 },
  },
  {
    name: 'label length 64 is label type 01 (RFC 6891 §5: extended labels are obsolete)',
    packet: bytes(hdr([1, 0, 0, 0]), '40', a('x'.repeat(64)), '00', Q_A_IN),
    want: { error: 'DNS_ERR_BAD_LABEL_TYPE', offset: 12 },
  },
  {
    name: 'label type 10 is rejected',
    packet: bytes(hdr([1, 0, 0, 0]), '80 00', Q_A_IN),
    want: { error: 'DNS_ERR_BAD_LABEL_TYPE', offset: 12 },
  },
  {
    name: 'a name of 255 octets is accepted',
    packet: bytes(hdr([1, 0, 0, 0]), longName(61), Q_A_IN),
    want: {
      check: (m) => {
        assert.equal(m.questions[0]?.name.wireLength, 255);
      },
    },
  },
  {
    name: 'a name of 256 octets is rejected',
    packet: bytes(hdr([1, 0, 0, 0]), longName(62), Q_A_IN),
    want: { error: 'DNS_ERR_NAME_TOO_LONG', offset: 204 },
  },
  {
    name: 'a name over 255 octets only after decompression is rejected',
    // question: 254-octet name (labels 63,63,63,60 + root); answer owner: 01 x + pointer → 256 octets
    packet: bytes(hdr([1, 1, 0, 0]), longName(60), Q_A_IN, lab('x'), 'c00c', A_IN, '0004 c0000201'),
    want: { error: 'DNS_ERR_NAME_TOO_LONG', offset: 204 },
  },
  {
    name: 'escaped dots and \\DDD octets in labels',
    packet: bytes(hdr([1, 0, 0, 0]), lab('a.b'), '03 c8 00 20', lab('example'), '00', Q_A_IN),
    want: {
      check: (m) => {
        assert.equal(m.questions[0]?.name.toString(), 'a\\.b.\\200\\000\\032.example.');
      },
    },
  },
  {
    name: 'upper and lower case are preserved in every name',
    // question WwW.ExAmPlE., answer 1 owner = pointer to it, answer 2 owner www.EXAMPLE. spelled out
    packet: bytes(
      hdr([1, 2, 0, 0]),
      lab('WwW'),
      lab('ExAmPlE'),
      '00',
      Q_A_IN,
      'c00c',
      A_IN,
      '0004 c0000201',
      lab('www'),
      lab('EXAMPLE'),
      '00',
      A_IN,
      '0004 c0000202',
    ),
    want: {
      check: (m) => {
        assert.equal(m.questions[0]?.name.toString(), 'WwW.ExAmPlE.');
        assert.equal(m.answers[0]?.name.toString(), 'WwW.ExAmPlE.');
        assert.equal(m.answers[1]?.name.toString(), 'www.EXAMPLE.');
        assert.ok(m.answers[0].name.equals(m.answers[1].name));
      },
    },
  },
  {
    name: 'extended RCODE BADVERS (16) from the OPT TTL',
    packet: bytes(hdr([0, 0, 0, 1], '8400'), OPT('01000000')),
    want: {
      check: (m) => {
        assert.equal(m.rcode, 16);
        assert.equal(rcodeToString(m.rcode), 'BADVERS');
        assert.deepEqual(m.edns, { udpSize: 1232, version: 0, do: false, options: [] });
      },
    },
  },
  {
    name: 'EDE option (RFC 8914): info code 7 "Signature Expired" with EXTRA-TEXT',
    packet: bytes(hdr([0, 0, 0, 1], '8182'), OPT('00008000', '000f 000d 0007' + a('sig expired'))),
    want: {
      check: (m) => {
        assert.equal(rcodeToString(m.rcode), 'SERVFAIL');
        assert.equal(m.edns?.do, true);
        assert.deepEqual(extendedErrors(m), [{ infoCode: 7, text: 'sig expired' }]);
      },
    },
  },
  {
    name: 'two OPT records are an error',
    packet: bytes(hdr([0, 0, 0, 2]), OPT(), OPT()),
    want: { error: 'DNS_ERR_BAD_RDATA', offset: 23 },
  },
  {
    name: 'an OPT record whose owner is not the root is an error',
    packet: bytes(hdr([0, 0, 0, 1]), lab('x'), OPT()),
    want: { error: 'DNS_ERR_BAD_RDATA', offset: 12 },
  },
  {
    name: 'EDNS option longer than the OPT rdata',
    packet: bytes(hdr([0, 0, 0, 1]), OPT('00008000', '000f 0010 0007')),
    want: { error: 'DNS_ERR_TRUNCATED', offset: 27 },
  },
  {
    name: 'trailing octets after the last record',
    packet: bytes(hdr([1, 0, 0, 0]), Q_EXAMPLE, 'dead'),
    want: { error: 'DNS_ERR_TRAILING', offset: 25 },
  },
  {
    name: 'RDLENGTH past the end of the packet',
    packet: bytes(hdr([1, 1, 0, 0]), Q_EXAMPLE, 'c00c', A_IN, '0008 c0000201'),
    want: { error: 'DNS_ERR_TRUNCATED', offset: 37 },
  },
  {
    name: 'RDLENGTH longer than the A rdata it holds',
    packet: bytes(hdr([1, 1, 0, 0]), Q_EXAMPLE, 'c00c', A_IN, '0005 c000020100'),
    want: { error: 'DNS_ERR_TRAILING', offset: 41 },
  },
  {
    name: 'RDLENGTH shorter than the A rdata needs',
    packet: bytes(hdr([1, 1, 0, 0]), Q_EXAMPLE, 'c00c', A_IN, '0003 c00002', Q_A_IN.slice(0, 2)),
    want: { error: 'DNS_ERR_TRUNCATED', offset: 37 },
  },
  {
    name: 'header shorter than 12 octets',
    packet: bytes('1234 8400 0000 00'),
    want: { error: 'DNS_ERR_TRUNCATED', offset: 6 },
  },
  {
    name: 'counts larger than the records present',
    packet: bytes(hdr([1, 5, 0, 0]), Q_EXAMPLE, 'c00c', A_IN, '0004 c0000201'),
    want: { error: 'DNS_ERR_TRUNCATED', offset: 41 },
  },
  {
    name: 'a message over 65535 octets (RFC 1035 §4.2.2)',
    packet: bytes(hdr([1, 0, 0, 0]), Q_EXAMPLE, '00'.repeat(65535 - 25 + 1)),
    want: { error: 'DNS_ERR_TOO_BIG', offset: 65535 },
  },
  {
    name: 'a message of exactly 65535 octets is read (here: rejected only for its trailing octets)',
    packet: bytes(hdr([1, 0, 0, 0]), Q_EXAMPLE, '00'.repeat(65535 - 25)),
    want: { error: 'DNS_ERR_TRAILING', offset: 25 },
  },
  {
    name: 'TXT with one empty character-string',
    packet: bytes(hdr([0, 1, 0, 0]), lab('t'), '00', '0010 0001 00000e10 0001 00'),
    want: {
      check: (m) => {
        assert.deepEqual(m.answers.map(formatRr), ['t. 3600 IN TXT ""']);
      },
    },
  },
  {
    name: 'TXT with empty rdata is an error (one or more strings)',
    packet: bytes(hdr([0, 1, 0, 0]), lab('t'), '00', '0010 0001 00000e10 0000'),
    want: { error: 'DNS_ERR_BAD_RDATA', offset: 25 },
  },
  {
    name: 'NSEC bitmap with windows out of order',
    // next name "." ; window 1 (TYPE256+) then window 0
    packet: bytes(hdr([0, 1, 0, 0]), '00', '002f 0001 00000e10 0007 00', '01 01 80', '00 01 40'),
    want: { error: 'DNS_ERR_BAD_RDATA', offset: 27 },
  },
  {
    name: 'NSEC bitmap with a repeated window',
    packet: bytes(hdr([0, 1, 0, 0]), '00', '002f 0001 00000e10 0007 00', '00 01 40', '00 01 20'),
    want: { error: 'DNS_ERR_BAD_RDATA', offset: 27 },
  },
  {
    name: 'NSEC bitmap block of 33 octets',
    packet: bytes(hdr([0, 1, 0, 0]), '00', '002f 0001 00000e10 0024 00', '00 21', '40'.repeat(33)),
    want: { error: 'DNS_ERR_BAD_RDATA', offset: 24 },
  },
  {
    name: 'NSEC3 with an empty salt prints "-"',
    // 1 0 0 - <20-octet hash> A RRSIG
    packet: bytes(
      hdr([0, 1, 0, 0]),
      '00',
      '0032 0001 00000e10 0022',
      '01 00 0000 00 14',
      '00'.repeat(20),
      '00 06 40 00 00 00 00 02',
    ),
    want: {
      check: (m) => {
        assert.deepEqual(m.answers.map(formatRr), [
          '. 3600 IN NSEC3 1 0 0 - 00000000000000000000000000000000 A RRSIG',
        ]);
      },
    },
  },
  {
    name: 'unknown type TYPE65280 keeps its octets and prints the RFC 3597 form',
    packet: bytes(hdr([0, 1, 0, 0]), '00', 'ff00 0001 00000e10 0004 0a000001'),
    want: {
      check: (m) => {
        assert.deepEqual(m.answers.map(formatRr), ['. 3600 IN TYPE65280 \\# 4 0A000001']);
        assert.equal(toHex(m.answers[0]!.rdata), '0a000001');
      },
    },
  },
  {
    name: 'class CH question and answer',
    packet: bytes(
      hdr([1, 1, 0, 0]),
      lab('version'),
      lab('bind'),
      '00',
      '0010 0003',
      'c00c',
      '0010 0003 00000000',
      '0005 04',
      a('BIND'),
    ),
    want: {
      check: (m) => {
        assert.equal(m.questions[0]?.class, 3);
        assert.deepEqual(m.answers.map(formatRr), ['version.bind. 0 CH TXT "BIND"']);
      },
    },
  },
];

test('hand-written edge-case packets decode or fail exactly as wanted', () => {
  for (const v of VECTORS) {
    const want = v.want;
    if ('error' in want) {
      assert.throws(
        () => decodeMessage(v.packet),
        (e: unknown) => {
          assert.ok(e instanceof WireError, `${v.name}: not a WireError: ${String(e)}`);
          assert.equal(e.code, want.error, `${v.name}: ${e.message}`);
          assert.equal(e.offset, want.offset, `${v.name}: ${e.message}`);
          return true;
        },
        v.name,
      );
    } else {
      const m = decodeMessage(v.packet);
      want.check(m);
      // Whatever decodes must re-encode to a packet that decodes to the same thing.
      const again = decodeMessage(encodeMessage(m));
      assert.deepEqual(
        [...again.questions.map((q) => q.name.toString()), ...again.answers.map(formatRr)],
        [...m.questions.map((q) => q.name.toString()), ...m.answers.map(formatRr)],
        v.name,
      );
      assert.equal(again.rcode, m.rcode, v.name);
    }
  }
});

test('error messages are one line and name the offset', () => {
  for (const v of VECTORS) {
    if (!('error' in v.want)) continue;
    try {
      decodeMessage(v.packet);
      assert.fail(`${v.name} decoded`);
    } catch (e) {
      assert.ok(e instanceof WireError);
      assert.ok(!e.message.includes('\n'), v.name);
      if (e.offset !== undefined) assert.match(e.message, new RegExp(`at offset ${e.offset}\\)$`), v.name);
    }
  }
});
