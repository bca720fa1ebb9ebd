/**
 * Round trips for every rdata type (RFC 1035 §3.3–3.4, RFC 3596, RFC 2782, RFC 6672, RFC 8659,
 * RFC 4034 §2–5, RFC 5155 §3–4, RFC 6698, RFC 6891, RFC 3597): text → object → text,
 * text → wire rdata (a hand-computed hex `want`), wire → object → wire inside a message, and
 * the raw rdata kept on each record. Pure; no I/O.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../util/index.ts';
import { WireError } from './errors.ts';
import { DEFAULT_FLAGS, decodeMessage, encodeMessage, type Message } from './message.ts';
import { Name } from './name.ts';
import { formatRr, parseRr } from './presentation.ts';
import { decodeRdata, encodeRdata, formatRdata, isType, makeRr, type Rr } from './record.ts';
import { RRType } from './types.ts';

/** Hex of ASCII text. */
function a(text: string): string {
  return toHex(Uint8Array.from(text, (c) => c.charCodeAt(0)));
}

function seq(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i);
}

const EXAMPLE = '07' + a('example') + '00';
const B64_64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==';
const SHA256 = '8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1';

interface Case {
  /** `TYPE rdata` as written in a zone file. */
  text: string;
  /** Wire rdata (uncompressed, case preserved). */
  hex: string;
  /** Presentation output when it differs from the input (normalized form). */
  printed?: string;
  check?: (rr: Rr) => void;
}

const CASES: Case[] = [
  {
    text: 'A 192.0.2.1',
    hex: 'c0000201',
    check: (rr) => {
      assert.ok(isType(rr, RRType.A) && rr.data.address === '192.0.2.1');
    },
  },
  { text: 'AAAA 2001:db8::1', hex: '20010db8000000000000000000000001' },
  {
    text: 'AAAA 2001:DB8:0:0:1:0:0:1',
    hex: '20010db8000000000001000000000001',
    printed: 'AAAA 2001:db8::1:0:0:1',
  },
  { text: 'AAAA ::', hex: '00'.repeat(16) },
  { text: 'AAAA ::ffff:192.0.2.1', hex: '00000000000000000000ffffc0000201', printed: 'AAAA ::ffff:c000:201' },
  { text: 'AAAA 2001:db8:1:1:1:1:1:1', hex: '20010db8000100010001000100010001' },
  { text: 'NS ns1.example.', hex: '03' + a('ns1') + EXAMPLE },
  { text: 'CNAME Target.Example.', hex: '06' + a('Target') + '07' + a('Example') + '00' },
  { text: 'DNAME example.', hex: EXAMPLE },
  { text: 'PTR host.example.', hex: '04' + a('host') + EXAMPLE },
  {
    text: 'SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300',
    hex:
      '03' +
      a('ns1') +
      EXAMPLE +
      '0a' +
      a('hostmaster') +
      EXAMPLE +
      '78a3f175 00001c20 00000e10 00127500 0000012c',
    check: (rr) => {
      assert.ok(isType(rr, RRType.SOA) && rr.data.minimum === 300 && rr.data.serial === 2024010101);
    },
  },
  { text: 'MX 10 mail.example.', hex: '000a 04' + a('mail') + EXAMPLE },
  {
    text: 'MX 0 .',
    hex: '0000 00',
    check: (rr) => {
      assert.ok(isType(rr, RRType.MX) && rr.data.exchange.isRoot);
    },
  },
  {
    text: 'TXT "v=spf1 -all" "" "a\\"b\\\\c\\255"',
    hex: '0b' + a('v=spf1 -all') + '00' + '06 61 22 62 5c 63 ff',
    check: (rr) => {
      assert.ok(isType(rr, RRType.TXT) && rr.data.strings.length === 3);
    },
  },
  { text: 'TXT unquoted', hex: '08' + a('unquoted'), printed: 'TXT "unquoted"' },
  { text: 'TXT "semi;colon(paren)"', hex: '11' + a('semi;colon(paren)') },
  { text: 'HINFO "PDP-11" "UNIX"', hex: '06' + a('PDP-11') + '04' + a('UNIX') },
  { text: 'SRV 10 60 5060 sip.example.', hex: '000a 003c 13c4 03' + a('sip') + EXAMPLE },
  { text: 'CAA 0 issue "ca.example.net"', hex: '00 05' + a('issue') + a('ca.example.net') },
  { text: 'CAA 128 tbs "Unknown"', hex: '80 03' + a('tbs') + a('Unknown') },
  { text: 'CAA 0 issue ""', hex: '00 05' + a('issue') },
  {
    text: 'DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118',
    hex: 'ec45 05 01 2bb183af5f22588179a53b0a98631fad1a292118',
    check: (rr) => {
      assert.ok(isType(rr, RRType.DS) && rr.data.keyTag === 60485 && rr.data.digestType === 1);
    },
  },
  {
    text: 'DS 60485 5 2 2bb183af5f22588179a53b0a 98631fad1a292118',
    hex: 'ec45 05 02 2bb183af5f22588179a53b0a98631fad1a292118',
    printed: 'DS 60485 5 2 2BB183AF5F22588179A53B0A98631FAD1A292118',
  },
  {
    text: `DNSKEY 257 3 13 ${B64_64}`,
    hex: '0101 03 0d' + toHex(seq(64)),
    check: (rr) => {
      assert.ok(isType(rr, RRType.DNSKEY) && rr.data.flags === 257 && rr.data.publicKey.length === 64);
    },
  },
  {
    text: `DNSKEY 256 3 8 ${B64_64.slice(0, 40)} ${B64_64.slice(40)}`,
    hex: '0100 03 08' + toHex(seq(64)),
    printed: `DNSKEY 256 3 8 ${B64_64}`,
  },
  {
    text: `RRSIG A 13 2 3600 20350101000000 20250101000000 12345 Example. ${B64_64}`,
    hex: '0001 0d 02 00000e10 7a432b80 67748580 3039 07' + a('Example') + '00' + toHex(seq(64)),
    check: (rr) => {
      assert.ok(isType(rr, RRType.RRSIG));
      assert.equal(rr.data.expiration, 2051222400);
      assert.equal(rr.data.signerName.toString(), 'Example.');
    },
  },
  {
    text: `RRSIG TYPE65280 8 3 0 2051222400 1735689600 1 . ${B64_64}`,
    hex: 'ff00 08 03 00000000 7a432b80 67748580 0001 00' + toHex(seq(64)),
    printed: `RRSIG TYPE65280 8 3 0 20350101000000 20250101000000 1 . ${B64_64}`,
  },
  {
    text: 'NSEC host.example. A MX RRSIG NSEC TYPE1234',
    hex: '04' + a('host') + EXAMPLE + '00 06 40 01 00 00 00 03' + '04 1b' + '00'.repeat(26) + '20',
    check: (rr) => {
      assert.ok(isType(rr, RRType.NSEC) && rr.data.types.join() === '1,15,46,47,1234');
    },
  },
  {
    text: 'NSEC next.example. RRSIG A NSEC A',
    hex: '04' + a('next') + EXAMPLE + '00 06 40 00 00 00 00 03',
    printed: 'NSEC next.example. A RRSIG NSEC',
  },
  { text: 'NSEC example.', hex: EXAMPLE },
  {
    text: 'NSEC3 1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM',
    hex: '01 01 000c 04 aabbccdd 14 174eb2409fe28bcb4887a1836f957f0a8425e27b 00 07 22 01 00 00 00 02 90',
    printed: 'NSEC3 1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM',
    check: (rr) => {
      assert.ok(isType(rr, RRType.NSEC3) && rr.data.iterations === 12 && rr.data.flags === 1);
    },
  },
  {
    text: 'NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr',
    hex: '01 00 0000 00 14 174eb2409fe28bcb4887a1836f957f0a8425e27b',
    check: (rr) => {
      assert.ok(isType(rr, RRType.NSEC3) && rr.data.salt.length === 0 && rr.data.types.length === 0);
    },
  },
  { text: 'NSEC3PARAM 1 0 0 -', hex: '01 00 0000 00' },
  {
    text: 'NSEC3PARAM 1 0 10 aabbccdd',
    hex: '01 00 000a 04 aabbccdd',
    printed: 'NSEC3PARAM 1 0 10 AABBCCDD',
  },
  {
    text: `TLSA 3 1 1 ${SHA256}`,
    hex: '03 01 01' + SHA256,
    check: (rr) => {
      assert.ok(isType(rr, RRType.TLSA) && rr.data.usage === 3 && rr.data.data.length === 32);
    },
  },
  {
    text: `TLSA 2 0 1 ${SHA256.toUpperCase().slice(0, 20)} ${SHA256.slice(20)}`,
    hex: '02 00 01' + SHA256,
    printed: `TLSA 2 0 1 ${SHA256}`,
  },
  {
    text: 'TLSA 255 255 255 00',
    hex: 'ffffff 00',
    check: (rr) => {
      assert.ok(isType(rr, RRType.TLSA) && rr.data.usage === 255);
    },
  },
  { text: 'TYPE65280 \\# 4 0A000001', hex: '0a000001' },
  { text: 'TYPE65281 \\# 0', hex: '' },
  { text: 'TYPE65280 \\# 6 0A00 0001 FFFF', hex: '0a000001ffff', printed: 'TYPE65280 \\# 6 0A000001FFFF' },
  { text: 'A \\# 4 C0000201', hex: 'c0000201', printed: 'A 192.0.2.1' },
  { text: 'TYPE1 192.0.2.7', hex: 'c0000207', printed: 'A 192.0.2.7' },
  { text: 'MX \\# 3 000a00', hex: '000a00', printed: 'MX 10 .' },
];

function message(rrs: Rr[]): Message {
  const name = rrs[0]?.name ?? Name.ROOT;
  return {
    id: 7,
    flags: { ...DEFAULT_FLAGS, qr: true, aa: true },
    rcode: 0,
    questions: [{ name, type: rrs[0]?.type ?? 1, class: 1 }],
    answers: rrs,
    authorities: [],
    additionals: [],
  };
}

test('every rdata type: text → object → text and text → wire rdata', () => {
  for (const c of CASES) {
    const rr = parseRr(`host.example. 3600 IN ${c.text}`);
    const hex = c.hex.replace(/\s/g, '');
    assert.equal(toHex(rr.rdata), hex, c.text);
    const printed = `host.example. 3600 IN ${c.printed ?? c.text}`;
    assert.equal(formatRr(rr), printed, c.text);
    assert.equal(formatRr(parseRr(printed)), printed, `${c.text}: printed form re-parses to itself`);
    assert.equal(toHex(encodeRdata(rr.type, rr.data)), hex, `${c.text}: encodeRdata`);
    c.check?.(rr);
  }
});

test('every rdata type: wire → object → wire, inside a compressed message', () => {
  for (const c of CASES) {
    const rr = parseRr(`host.example. 3600 IN ${c.text}`);
    const wire = encodeMessage(message([rr, rr]));
    const decoded = decodeMessage(wire);
    for (const got of decoded.answers) {
      assert.equal(toHex(got.rdata), c.hex.replace(/\s/g, ''), `${c.text}: raw rdata after decode`);
      assert.equal(formatRr(got), formatRr(rr), c.text);
      c.check?.(got);
    }
    assert.equal(toHex(encodeMessage(decoded)), toHex(wire), `${c.text}: re-encode`);
    const alone = decodeRdata(rr.type, fromHex(c.hex));
    assert.equal(toHex(encodeRdata(rr.type, alone)), c.hex.replace(/\s/g, ''), `${c.text}: decodeRdata`);
  }
});

test('OPT rdata (RFC 6891 §6.1.2): options decode and encode; text is the RFC 3597 generic form', () => {
  const hex = '000f 0005 0006 616263 000a 0008 0102030405060708';
  const data = decodeRdata(RRType.OPT, fromHex(hex));
  assert.deepEqual(data, {
    options: [
      { code: 15, data: fromHex('0006616263') },
      { code: 10, data: fromHex('0102030405060708') },
    ],
  });
  assert.equal(toHex(encodeRdata(RRType.OPT, data)), hex.replace(/\s/g, ''));
  const rr = makeRr({ name: Name.ROOT, type: RRType.OPT, ttl: 0, data, class: 1232 });
  const text = '. 0 CLASS1232 OPT \\# 21 000F00050006616263000A00080102030405060708';
  assert.equal(formatRdata(rr), text.slice(text.indexOf('\\')));
  assert.equal(formatRr(rr), text);
  const back = parseRr(text);
  assert.deepEqual(back.data, data);
  assert.equal(toHex(back.rdata), hex.replace(/\s/g, ''));
  assert.equal(formatRr(makeRr({ ...rr, data: { options: [] } })), '. 0 CLASS1232 OPT \\# 0');
  assert.throws(() => parseRr('. 0 IN OPT 15'), { code: 'DNS_ERR_BAD_TEXT', message: /generic/ });
});

test('encodeRdata with lowercase gives the canonical form (RFC 4034 §6.2) and keeps the original', () => {
  const cases: { text: string; want: string }[] = [
    { text: 'MX 10 MAIL.Example.', want: '000a 04' + a('mail') + EXAMPLE },
    {
      text: 'SOA NS.example. Host.Example. 1 2 3 4 5',
      want:
        '02' +
        a('ns') +
        EXAMPLE +
        '04' +
        a('host') +
        EXAMPLE +
        '00000001 00000002 00000003 00000004 00000005',
    },
    {
      text: `RRSIG A 8 2 60 20350101000000 20250101000000 9 EXAMPLE. ${B64_64}`,
      want: '0001 08 02 0000003c 7a432b80 67748580 0009' + EXAMPLE + toHex(seq(64)),
    },
    // RFC 6840 §5.1: NSEC next names are not lower-cased.
    { text: 'NSEC Next.Example. A', want: '04' + a('Next') + '07' + a('Example') + '00 00 01 40' },
    { text: 'TXT "ABC"', want: '03' + a('ABC') },
  ];
  for (const c of cases) {
    const rr = parseRr(`x. 60 IN ${c.text}`);
    assert.equal(
      toHex(encodeRdata(rr.type, rr.data, { lowercase: true })),
      c.want.replace(/\s/g, ''),
      c.text,
    );
    assert.notEqual(toHex(rr.rdata), '', c.text);
    assert.equal(formatRr(rr), `x. 60 IN ${c.text}`, `${c.text}: record unchanged`);
  }
});

test('malformed rdata text is a DNS_ERR_BAD_TEXT naming the field', () => {
  const cases: { text: string; want: RegExp }[] = [
    { text: 'A 192.0.2', want: /bad IPv4 address/ },
    { text: 'A 192.0.2.256', want: /bad IPv4 address/ },
    { text: 'A 192.0.2.01', want: /bad IPv4 address/ },
    { text: 'A 192.0.2.1 extra', want: /unexpected 'extra'/ },
    { text: 'AAAA 2001:db8::1::2', want: /bad IPv6 address/ },
    { text: 'AAAA 1:2:3:4:5:6:7:8:9', want: /bad IPv6 address/ },
    { text: 'AAAA 1:2:3:4:5:6:7:8::', want: /bad IPv6 address/ },
    { text: 'MX 65536 mail.example.', want: /MX preference 65536 is over 65535/ },
    { text: 'MX ten mail.example.', want: /MX preference 'ten' is not a number/ },
    { text: 'MX 10', want: /missing MX exchange/ },
    { text: 'TXT', want: /missing TXT string/ },
    { text: `TXT "${'x'.repeat(256)}"`, want: /character-string of 256 octets/ },
    { text: 'CAA 0 is-sue "x"', want: /bad CAA tag/ },
    { text: 'DS 1 8 2 XYZ', want: /DS digest is not valid hex/ },
    { text: 'DS 1 8 2', want: /missing DS digest/ },
    { text: 'DNSKEY 256 3 8 !!!!', want: /not valid base64/ },
    {
      text: 'RRSIG A 8 2 60 2035010100000 0 1 . AAAA',
      want: /RRSIG expiration '2035010100000' is not a valid time/,
    },
    { text: 'RRSIG BOGUS 8 2 60 0 0 1 . AAAA', want: /unknown type 'BOGUS'/ },
    { text: 'NSEC next. A BOGUS', want: /unknown type 'BOGUS' in bitmap/ },
    { text: 'NSEC3 1 0 0 - !!! A', want: /bad NSEC3 next hashed owner/ },
    { text: 'NSEC3 1 0 0 xyz 2t7b4g4vsa5smi47k61mv5bv1a22bojr', want: /NSEC3 salt is not valid hex/ },
    { text: 'TLSA 3 1 1 0g', want: /TLSA association data is not valid hex/ },
    { text: 'TYPE65280 \\# 3 0A000001', want: /generic rdata has 4 octets, header says 3/ },
    { text: 'TYPE65280 0A000001', want: /needs the generic \\# form/ },
    { text: 'BOGUS 1', want: /unknown type or bad field 'BOGUS'/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => parseRr(`x. 60 IN ${c.text}`),
      (e: unknown) => e instanceof WireError && e.code === 'DNS_ERR_BAD_TEXT' && c.want.test(e.message),
      c.text,
    );
  }
});

test('malformed rdata octets are a WireError with an offset', () => {
  const cases: { type: number; hex: string; want: string }[] = [
    { type: RRType.A, hex: 'c00002', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.A, hex: 'c0000201ff', want: 'DNS_ERR_TRAILING' },
    { type: RRType.AAAA, hex: '20010db8', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.MX, hex: '000a', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.SOA, hex: '0000 00000001', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.TXT, hex: '05 6162', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.CAA, hex: '00 00', want: 'DNS_ERR_BAD_RDATA' },
    { type: RRType.CAA, hex: '00 02 2d2d', want: 'DNS_ERR_BAD_RDATA' },
    { type: RRType.DS, hex: '0001 08', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.RRSIG, hex: '0001 08 02', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.NSEC, hex: '00 00 00', want: 'DNS_ERR_BAD_RDATA' },
    { type: RRType.NSEC, hex: '00 00 05 40', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.NSEC3, hex: '01 00 0000 00 00', want: 'DNS_ERR_BAD_RDATA' },
    { type: RRType.NSEC3, hex: '01 00 0000 04 aabb', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.NSEC3PARAM, hex: '01 00 0000 01', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.OPT, hex: '000f 0004 00', want: 'DNS_ERR_TRUNCATED' },
    { type: RRType.HINFO, hex: '01 41', want: 'DNS_ERR_TRUNCATED' },
  ];
  for (const c of cases) {
    assert.throws(
      () => decodeRdata(c.type, fromHex(c.hex)),
      (e: unknown) => e instanceof WireError && e.code === c.want && typeof e.offset === 'number',
      `${c.type} ${c.hex}`,
    );
  }
});
