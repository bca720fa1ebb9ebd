/**
 * Seeded fuzzing of the decoder (RFC 1035 §4.1 hostile input): at least 100,000 packets per run,
 * made by mutating real and synthetic packets (bit flips, truncation, octet insertion and
 * deletion, changed section counts, planted compression pointers, length fields set to their
 * maximum, splices) and from pure random octets. The only exception allowed out of
 * `decodeMessage` is a WireError with an offset; every packet that decodes must re-encode to a
 * packet that decodes to the same message, and re-encoding that gives the same octets.
 * Also fuzzes `decodeRdata` per type and the zone-file parser. Pure; no I/O.
 * Reproduce or extend a run with WIRE_FUZZ_SEED=n and WIRE_FUZZ_COUNT=n.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { concatBytes, fromHex, seededRandom, toHex, type Random } from '../../util/index.ts';
import { WireError } from './errors.ts';
import {
  decodeMessage,
  DEFAULT_FLAGS,
  edeOption,
  encodeMessage,
  makeQuery,
  type Message,
} from './message.ts';
import { Name } from './name.ts';
import { parseZone } from './presentation.ts';
import { decodeRdata, type Rr } from './record.ts';
import { formatRr } from './presentation.ts';

const SEED = Number(process.env['WIRE_FUZZ_SEED'] ?? 0x5eed);
const COUNT = Math.max(100_000, Number(process.env['WIRE_FUZZ_COUNT'] ?? 100_000));

/** Two real responses from NSD (test/fixtures/wire/golden): an opt-out referral and an NSEC3 NXDOMAIN. */
const REAL = [
  '1025800000010000000300020377777708696e736563757265066f70746f7574076578616d706c650000010001c010000200' +
    '0100000e100005026e73c0102033333239366433377563336d643061613676337336706a6563706b746b636239c019003200' +
    '010000012c00270101000104aabbccdd146c75de97c5625091822daf340bfb9381b156c403000722000000000290c03e002e' +
    '00010000012c006200320f030000012c7a432b8067748580364e066f70746f7574076578616d706c650078aab8b1c83fb294' +
    'd086dadb8dc214fefbba952eb5fb05ded0914961312ec65aa4c30091777a2dac7b0a9b6fb9b60d7e8a37b2d7c6ff4be16742' +
    '68ea02c89700c0390001000100000e100004c000025100002904d0000080000000',
  '101f84030001000000060001046e6f7065056e73656333076578616d706c650000010001207073767076697561646a656437' +
    '6a6d31746a67306c3369656868676938726c6ac011003200010000012c0022010000000014e78402ee64efced982861a359a' +
    '34db749bf10dc50006400000080002c024002e00010000012c006100320d030000012c7a432b806774858047be056e736563' +
    '33076578616d706c65002839a2dff74c2da503e657e5ca807b9a0cd16d1703af9e4abf64937b042d6019646660aef0cf8ca1' +
    'fcb5aea5e997ea0444dfe44c97f983c60c77402b82b5d413206b727361746233706a626b726a7574736b66383974356d7338' +
    '39396432756470c011003200010000012c0023010000000014bd007a9675a92a3c8fd5918d4511d4711fafcc510007220100' +
    '00000290c0e0002e00010000012c006100320d030000012c7a432b806774858047be056e73656333076578616d706c6500cd' +
    '849f87b6a47c162624a0bdbccc4b128d185820a0cc77082465becaa95376517555fdf6ce41c9a78f7823b10b46d43de31c52' +
    '9ec4807429e4031d2b0cc12e0fc011000600010000012c0027036e7331c0110a686f73746d6173746572c01178a3f1750000' +
    '1c2000000e10001275000000012cc011002e00010000012c006100060d0200000e107a432b806774858047be056e73656333' +
    '076578616d706c650026641e6350027eca97f82fae7881c55e83dd0c0485f693378139592028312d9fe7350bdfc7b111484c' +
    '7e48607c3b5f156f2d1208effc3ebd8ca66ed7ce453ef400002904d0000080000000',
];

/** One record of every type the codec knows, plus unknown types, as zone text. */
const ZONE = `$ORIGIN Fuzz.Example.
@ 300 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ 300 IN NS ns1
@ 300 IN MX 10 mail
@ 300 IN MX 0 .
mail 300 IN A 192.0.2.1
mail 300 IN AAAA 2001:db8::1
www 300 IN CNAME mail
d 300 IN DNAME other.example.
ptr 300 IN PTR mail
h 300 IN HINFO "CPU" "OS"
t 300 IN TXT "" "v=spf1 -all" "\\000\\255"
_sip._tcp 300 IN SRV 10 60 5060 sip
c 300 IN CAA 0 issue "ca.example.net"
s 300 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
@ 300 IN DNSKEY 257 3 13 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==
@ 300 IN RRSIG MX 13 2 300 20350101000000 20250101000000 12345 fuzz.example. AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
@ 300 IN NSEC mail.Fuzz.Example. NS SOA MX RRSIG NSEC DNSKEY TYPE1234
x 300 IN NSEC3 1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG
@ 300 IN NSEC3PARAM 1 0 5 AABBCCDD
_25._tcp.mail 300 IN TLSA 3 1 1 8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1
u 300 IN TYPE65280 \\# 4 0A000001
e 300 IN TYPE65281 \\# 0
v 0 CH TXT "chaos"
`;

function synthetic(): Uint8Array[] {
  const rrs = parseZone(ZONE);
  const base = (fields: Partial<Message>): Message => ({
    id: 0x4242,
    flags: { ...DEFAULT_FLAGS, qr: true, aa: true },
    rcode: 0,
    questions: [{ name: Name.parse('fuzz.example.'), type: 255, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
    ...fields,
  });
  const edns = {
    udpSize: 1232,
    version: 0,
    do: true,
    options: [edeOption(9, 'no key'), { code: 10, data: new Uint8Array(8) }],
  };
  return [
    encodeMessage(
      base({ answers: rrs.slice(0, 12), authorities: rrs.slice(12, 16), additionals: rrs.slice(16), edns }),
    ),
    encodeMessage(base({ answers: rrs.slice(12), rcode: 3 })),
    encodeMessage(base({ authorities: [rrs[0] as Rr, ...rrs.slice(16, 18)], rcode: 19, edns })),
    encodeMessage(base({ answers: rrs }), { compress: false }),
    encodeMessage(
      makeQuery({ name: Name.parse('_25._tcp.mail.fuzz.example.'), type: 52, class: 1 }, { id: 7 }),
    ),
  ];
}

/** Offsets of the length fields of a packet (counts, label lengths, RDLENGTHs, rdata ranges). */
interface Layout {
  labels: number[];
  rdlengths: number[];
  rdata: [number, number][];
}

function walkName(buf: Uint8Array, at: number, out: number[]): number {
  let p = at;
  while (p < buf.length) {
    const len = buf[p] as number;
    if (len >= 0xc0) return p + 2;
    out.push(p);
    if (len === 0) return p + 1;
    p += 1 + len;
  }
  return p;
}

function layout(buf: Uint8Array): Layout {
  const out: Layout = { labels: [], rdlengths: [], rdata: [] };
  const counts = [4, 6, 8, 10].map((o) => ((buf[o] as number) << 8) | (buf[o + 1] as number));
  let p = 12;
  for (let i = 0; i < (counts[0] as number); i++) p = walkName(buf, p, out.labels) + 4;
  const records = (counts[1] as number) + (counts[2] as number) + (counts[3] as number);
  for (let i = 0; i < records && p < buf.length; i++) {
    p = walkName(buf, p, out.labels) + 8;
    out.rdlengths.push(p);
    const len = ((buf[p] as number) << 8) | (buf[p + 1] as number);
    out.rdata.push([p + 2, p + 2 + len]);
    p += 2 + len;
  }
  return out;
}

interface Seed {
  bytes: Uint8Array;
  layout: Layout;
}

type Mutator = (rnd: Random, seed: Seed, seeds: readonly Seed[]) => Uint8Array;

function pick<T>(rnd: Random, items: readonly T[]): T {
  return items[rnd.int(items.length)] as T;
}

const MUTATORS: Record<string, Mutator> = {
  bitflip(rnd, s) {
    const b = s.bytes.slice();
    for (let n = 1 + rnd.int(4); n > 0; n--) {
      const i = rnd.int(b.length);
      b[i] = (b[i] as number) ^ (1 << rnd.int(8));
    }
    return b;
  },
  truncate: (rnd, s) => s.bytes.slice(0, rnd.int(s.bytes.length)),
  insert(rnd, s) {
    const at = rnd.int(s.bytes.length + 1);
    const extra = rnd.bytes(1 + rnd.int(8));
    const b = new Uint8Array(s.bytes.length + extra.length);
    b.set(s.bytes.subarray(0, at));
    b.set(extra, at);
    b.set(s.bytes.subarray(at), at + extra.length);
    return b;
  },
  delete(rnd, s) {
    const at = rnd.int(s.bytes.length);
    return concatBytes([s.bytes.subarray(0, at), s.bytes.subarray(at + 1 + rnd.int(8))]);
  },
  counts(rnd, s) {
    const b = s.bytes.slice();
    const at = 4 + 2 * rnd.int(4);
    const old = ((b[at] as number) << 8) | (b[at + 1] as number);
    const v = pick(rnd, [0, old + 1, Math.max(0, old - 1), rnd.int(0x10000), 0xffff, rnd.int(8)]) & 0xffff;
    b[at] = v >> 8;
    b[at + 1] = v & 0xff;
    return b;
  },
  pointer(rnd, s) {
    const b = s.bytes.slice();
    const at = s.layout.labels.length > 0 && rnd.int(4) > 0 ? pick(rnd, s.layout.labels) : rnd.int(b.length);
    if (at + 1 >= b.length) return b;
    const target = pick(rnd, [
      at,
      at + 2,
      rnd.int(at + 1),
      rnd.int(b.length + 64),
      12,
      pick(rnd, s.layout.labels.concat(12)),
    ]);
    b[at] = 0xc0 | ((target >> 8) & 0x3f);
    b[at + 1] = target & 0xff;
    return b;
  },
  maxlength(rnd, s) {
    const b = s.bytes.slice();
    const kind = rnd.int(4);
    if (kind === 0 && s.layout.rdlengths.length > 0) {
      const at = pick(rnd, s.layout.rdlengths);
      const v = pick(rnd, [0xffff, 0, (((b[at] as number) << 8) | (b[at + 1] as number)) + 1]) & 0xffff;
      b[at] = v >> 8;
      b[at + 1] = v & 0xff;
    } else if (kind === 1 && s.layout.labels.length > 0) {
      b[pick(rnd, s.layout.labels)] = pick(rnd, [0x3f, 0x40, 0x80, 0xff, 0]);
    } else if (s.layout.rdata.length > 0) {
      const [from, to] = pick(rnd, s.layout.rdata);
      if (to > from) b[from + rnd.int(Math.min(to, b.length) - from)] = pick(rnd, [0xff, 0x00, 0x20, 0x21]);
    }
    return b;
  },
  splice(rnd, s, seeds) {
    const other = pick(rnd, seeds).bytes;
    const a = rnd.int(s.bytes.length + 1);
    const c = rnd.int(other.length + 1);
    const b = new Uint8Array(a + other.length - c);
    b.set(s.bytes.subarray(0, a));
    b.set(other.subarray(c), a);
    return b;
  },
  random: (rnd) => rnd.bytes(rnd.int(600)),
  randomBody(rnd) {
    const head = fromHex(
      '12348180' + [0, 0, 0, 0].map(() => rnd.int(5).toString(16).padStart(4, '0')).join(''),
    );
    const body = rnd.bytes(rnd.int(300));
    const b = new Uint8Array(12 + body.length);
    b.set(head);
    b.set(body, 12);
    return b;
  },
  stacked(rnd, s, seeds) {
    let bytes = s.bytes;
    for (let n = 2 + rnd.int(3); n > 0; n--) {
      const m = pick(rnd, ['bitflip', 'insert', 'delete', 'counts', 'pointer', 'maxlength', 'truncate']);
      bytes = (MUTATORS[m] as Mutator)(rnd, { bytes, layout: s.layout }, seeds);
    }
    return bytes;
  },
};

/** What must hold for a message and its re-encoding: everything that decoding produced. */
function summary(m: Message): unknown {
  const rr = (x: Rr): unknown => [x.name.toString(), x.type, x.class, x.ttl, toHex(x.rdata), formatRr(x)];
  return {
    id: m.id,
    flags: m.flags,
    rcode: m.rcode,
    q: m.questions.map((q) => [q.name.toString(), q.type, q.class]),
    an: m.answers.map(rr),
    ns: m.authorities.map(rr),
    ar: m.additionals.map(rr),
    edns:
      m.edns === undefined
        ? null
        : { ...m.edns, options: m.edns.options.map((o) => [o.code, toHex(o.data)]) },
  };
}

function checkStable(m: Message, packet: Uint8Array): void {
  const again = encodeMessage(m);
  const m2 = decodeMessage(again);
  assert.deepStrictEqual(summary(m2), summary(m), `unstable round trip of ${toHex(packet)}`);
  assert.equal(toHex(encodeMessage(m2)), toHex(again), `re-encoding not a fixed point: ${toHex(packet)}`);
}

function expectWireError(e: unknown, packet: Uint8Array): WireError {
  if (!(e instanceof WireError)) {
    assert.fail(`non-WireError ${String(e)} for packet ${toHex(packet)}`);
  }
  if (e.offset === undefined || e.offset < 0 || e.offset > packet.length) {
    assert.fail(`WireError without a valid offset (${e.message}) for packet ${toHex(packet)}`);
  }
  return e;
}

test(`fuzz: ${COUNT} mutated and random packets yield only WireError, and decodes are stable`, (t: TestContext) => {
  const seeds: Seed[] = [...REAL.map((h) => fromHex(h)), ...synthetic()].map((bytes) => ({
    bytes,
    layout: layout(bytes),
  }));
  for (const s of seeds) checkStable(decodeMessage(s.bytes), s.bytes);
  const rnd = seededRandom(SEED);
  const names = Object.keys(MUTATORS);
  const byCode = new Map<string, number>();
  const byMutator = new Map<string, [number, number]>();
  let decoded = 0;
  let slowest = 0;
  const started = performance.now();
  // Stack traces are most of the cost of 90,000 thrown errors and tell nothing here: a failure
  // prints the packet's hex, which reproduces it.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  t.after(() => {
    Error.stackTraceLimit = stackTraceLimit;
  });
  for (let i = 0; i < COUNT; i++) {
    const name = names[i % names.length] as string;
    const packet = (MUTATORS[name] as Mutator)(rnd, pick(rnd, seeds), seeds);
    const t0 = performance.now();
    let m: Message | undefined;
    try {
      m = decodeMessage(packet);
    } catch (e) {
      const code = expectWireError(e, packet).code;
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
    }
    slowest = Math.max(slowest, performance.now() - t0);
    const stat = byMutator.get(name) ?? [0, 0];
    stat[m === undefined ? 1 : 0]++;
    byMutator.set(name, stat);
    if (m !== undefined) {
      decoded++;
      checkStable(m, packet);
    }
  }
  Error.stackTraceLimit = stackTraceLimit;
  const elapsed = performance.now() - started;
  t.diagnostic(
    `seed ${SEED}: ${COUNT} packets in ${(elapsed / 1000).toFixed(1)} s, slowest decode ${slowest.toFixed(2)} ms`,
  );
  t.diagnostic(`decoded and re-encoded stably: ${decoded}; rejected: ${COUNT - decoded}`);
  t.diagnostic(
    `rejected by code: ${[...byCode]
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')}`,
  );
  t.diagnostic(
    `by mutator (ok/rejected): ${[...byMutator].map(([n, [ok, bad]]) => `${n} ${ok}/${bad}`).join(', ')}`,
  );
  assert.ok(decoded > COUNT / 20, 'the mutations are not so harsh that nothing decodes');
  assert.ok(byCode.size >= 6, `errors of many kinds: ${[...byCode.keys()].join(', ')}`);
  assert.ok(slowest < 250, `no decode took long (slowest ${slowest} ms)`);
});

test('fuzz: decodeRdata of random octets for every known type yields only WireError', () => {
  const types = [1, 2, 5, 6, 12, 13, 15, 16, 28, 33, 39, 41, 43, 46, 47, 48, 50, 51, 52, 257, 65280];
  const rnd = seededRandom(SEED + 1);
  let ok = 0;
  for (let i = 0; i < 20_000; i++) {
    const type = types[i % types.length] as number;
    const bytes = rnd.bytes(rnd.int(i % 3 === 0 ? 8 : 64));
    try {
      decodeRdata(type, bytes);
      ok++;
    } catch (e) {
      expectWireError(e, bytes);
    }
  }
  assert.ok(ok > 1000);
});

test('fuzz: zone text with mutated characters yields only WireError', () => {
  const lines = ZONE.split('\n').filter((l) => l.length > 0 && !l.startsWith('$'));
  const alphabet = ' \t\\"();.@$#0123456789abcdefxyzAZ-+=/\n';
  const rnd = seededRandom(SEED + 2);
  const origin = Name.parse('fuzz.example.');
  let ok = 0;
  for (let i = 0; i < 10_000; i++) {
    const chars = Array.from(pick(rnd, lines));
    for (let n = 1 + rnd.int(3); n > 0; n--) {
      const at = rnd.int(chars.length + 1);
      const op = rnd.int(3);
      const c = alphabet[rnd.int(alphabet.length)] as string;
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, c);
      else chars[Math.min(at, chars.length - 1)] = c;
    }
    const text = chars.join('');
    try {
      parseZone(text, { origin });
      ok++;
    } catch (e) {
      if (!(e instanceof WireError)) assert.fail(`non-WireError ${String(e)} for ${JSON.stringify(text)}`);
      assert.ok(!e.message.includes('\n'), JSON.stringify(e.message));
    }
  }
  assert.ok(ok > 500);
});
