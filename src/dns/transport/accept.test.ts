/** Tests: reply acceptance (RFC 5452 §3) and TCP length-prefix framing (RFC 1035 §4.2.2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_FLAGS,
  encodeMessage,
  makeQuery,
  Name,
  Rcode,
  RRClass,
  RRType,
  type Message,
} from '../wire/index.ts';
import { checkReply, emptyDropCounts, isFromServer } from './accept.ts';
import { frame, TcpFramer } from './tcp.ts';

const query = makeQuery(
  { name: Name.parse('mx.Example.org.'), type: RRType.TLSA, class: RRClass.IN },
  { id: 0x1234 },
);

function reply(
  over: Partial<Omit<Message, 'flags'>> & { flags?: Partial<Message['flags']> } = {},
): Uint8Array {
  const { flags, ...rest } = over;
  return encodeMessage({
    ...query,
    ...rest,
    flags: { ...DEFAULT_FLAGS, qr: true, rd: true, ...flags },
  });
}

test('checkReply accepts the matching reply and drops each kind of mismatch', () => {
  const q = query.questions[0]!;
  const cases: { name: string; bytes: Uint8Array; want: string }[] = [
    { name: 'matching reply', bytes: reply(), want: 'accepted' },
    {
      name: 'question name in another case',
      bytes: reply({ questions: [{ ...q, name: Name.parse('MX.EXAMPLE.ORG.') }] }),
      want: 'accepted',
    },
    { name: 'SERVFAIL reply', bytes: reply({ rcode: Rcode.SERVFAIL }), want: 'accepted' },
    {
      name: 'REFUSED without a question',
      bytes: reply({ rcode: Rcode.REFUSED, questions: [] }),
      want: 'accepted',
    },
    {
      name: 'FORMERR without a question',
      bytes: reply({ rcode: Rcode.FORMERR, questions: [] }),
      want: 'accepted',
    },
    { name: 'NOERROR without a question', bytes: reply({ questions: [] }), want: 'question' },
    { name: 'wrong ID', bytes: reply({ id: 0x1235 }), want: 'id' },
    { name: 'QR clear', bytes: reply({ flags: { qr: false } }), want: 'qr' },
    { name: 'other opcode', bytes: reply({ flags: { opcode: 2 } }), want: 'opcode' },
    {
      name: 'other name',
      bytes: reply({ questions: [{ ...q, name: Name.parse('mx.example.net.') }] }),
      want: 'question',
    },
    { name: 'other type', bytes: reply({ questions: [{ ...q, type: RRType.A }] }), want: 'question' },
    { name: 'other class', bytes: reply({ questions: [{ ...q, class: RRClass.CH }] }), want: 'question' },
    { name: 'two questions', bytes: reply({ questions: [q, q] }), want: 'question' },
    { name: 'empty datagram', bytes: new Uint8Array(0), want: 'malformed' },
    { name: 'one octet', bytes: Uint8Array.of(0x12), want: 'malformed' },
    {
      name: 'right ID then garbage',
      bytes: Uint8Array.of(0x12, 0x34, 0x81, 0x80, 0, 1, 0xff),
      want: 'malformed',
    },
    { name: 'trailing octets', bytes: Uint8Array.from([...reply(), 0]), want: 'malformed' },
  ];
  for (const c of cases) {
    const got = checkReply(query, c.bytes);
    assert.equal(got.accepted ? 'accepted' : got.reason, c.want, c.name);
    if (got.accepted) assert.equal(got.message.id, 0x1234);
    else assert.ok(got.detail.length > 0 && !got.detail.includes('\n'), c.name);
  }
});

test('isFromServer compares address (canonical IPv6, no zone) and port', () => {
  const cases: { server: string; port: number; from: string; fromPort: number; want: boolean }[] = [
    { server: '127.0.0.1', port: 53, from: '127.0.0.1', fromPort: 53, want: true },
    { server: '127.0.0.1', port: 53, from: '127.0.0.1', fromPort: 54, want: false },
    { server: '127.0.0.1', port: 53, from: '127.0.0.2', fromPort: 53, want: false },
    { server: '::1', port: 53, from: '0:0:0:0:0:0:0:1', fromPort: 53, want: true },
    { server: '2001:DB8::1', port: 53, from: '2001:db8::1', fromPort: 53, want: true },
    { server: 'fe80::1%eth0', port: 53, from: 'fe80::1', fromPort: 53, want: true },
    { server: '::1', port: 53, from: '127.0.0.1', fromPort: 53, want: false },
  ];
  for (const c of cases) {
    const got = isFromServer({ address: c.server, port: c.port }, { address: c.from, port: c.fromPort });
    assert.equal(got, c.want, `${c.server}:${c.port} vs ${c.from}:${c.fromPort}`);
  }
});

test('emptyDropCounts has a zero for every reason', () => {
  assert.deepEqual(emptyDropCounts(), { source: 0, id: 0, qr: 0, opcode: 0, question: 0, malformed: 0 });
});

test('TcpFramer reassembles messages from any chunking', () => {
  const m1 = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const m2 = Uint8Array.of(7, 8, 9);
  const stream = Uint8Array.from([...frame(m1), ...frame(m2), ...frame(new Uint8Array(0))]);
  const cuts: { name: string; sizes: number[] }[] = [
    { name: 'one chunk', sizes: [stream.length] },
    { name: 'one octet at a time', sizes: Array.from({ length: stream.length }, () => 1) },
    { name: 'prefix split across chunks', sizes: [1, 1, 150, 150, 1, 2, 3, 1] },
    { name: 'prefix of the next message with the end of the first', sizes: [301, 2, 1, 1, 4] },
  ];
  for (const c of cuts) {
    const framer = new TcpFramer();
    const got: number[][] = [];
    let off = 0;
    for (const size of c.sizes) {
      for (const m of framer.push(stream.subarray(off, off + size))) got.push([...m]);
      off += size;
    }
    assert.equal(off, stream.length, c.name);
    assert.deepEqual(got, [[...m1], [...m2], []], c.name);
    assert.equal(framer.pending, 0, c.name);
  }
  const partial = new TcpFramer();
  assert.deepEqual(partial.push(Uint8Array.of(0xff, 0xff, 1, 2)), []);
  assert.equal(partial.pending, 4);
});

test('frame writes the two-octet length and refuses over 65535 octets', () => {
  assert.deepEqual([...frame(Uint8Array.of(1, 2, 3))], [0, 3, 1, 2, 3]);
  assert.deepEqual([...frame(new Uint8Array(0x1234)).subarray(0, 2)], [0x12, 0x34]);
  assert.throws(() => frame(new Uint8Array(65536)), RangeError);
});
