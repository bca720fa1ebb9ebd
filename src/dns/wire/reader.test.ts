/**
 * Tests of the bounded reader (RFC 1035 §4.1): integer fields, windows that must be consumed
 * exactly, name decompression (position after a pointer, pointer counting) and isolation of
 * decoded data from the caller's buffer. Pure; no I/O.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../util/index.ts';
import { WireError } from './errors.ts';
import { decodeMessage } from './message.ts';
import { Reader } from './reader.ts';

test('u8, u16 and u32 read big-endian unsigned values and advance', () => {
  const r = new Reader(fromHex('ff 8001 fffffffe 00000001'));
  assert.equal(r.u8(), 0xff);
  assert.equal(r.u16(), 0x8001);
  assert.equal(r.u32(), 0xfffffffe);
  assert.equal(r.offset, 7);
  assert.equal(r.u32(), 1);
  assert.equal(r.remaining, 0);
  assert.throws(() => r.u8('a flag'), {
    code: 'DNS_ERR_TRUNCATED',
    message: /need 1 octets for a flag, 0 left \(at offset 11\)/,
  });
});

test('reads past the end are DNS_ERR_TRUNCATED at the current offset', () => {
  const cases: { hex: string; read: (r: Reader) => unknown; wantOffset: number }[] = [
    { hex: '00', read: (r) => r.u16(), wantOffset: 0 },
    { hex: '000000', read: (r) => r.u32(), wantOffset: 0 },
    { hex: '0102', read: (r) => [r.u8(), r.bytes(2)], wantOffset: 1 },
    { hex: '', read: (r) => r.name(), wantOffset: 0 },
    { hex: '03616263', read: (r) => r.name(), wantOffset: 4 },
  ];
  for (const c of cases) {
    const r = new Reader(fromHex(c.hex));
    assert.throws(
      () => c.read(r),
      (e: unknown) => e instanceof WireError && e.code === 'DNS_ERR_TRUNCATED' && e.offset === c.wantOffset,
      c.hex,
    );
  }
});

test('window: must be consumed exactly; the outer end comes back, even after an error', () => {
  const r = new Reader(fromHex('0102030405'));
  assert.equal(
    r.window(2, 'pair', (w) => {
      assert.equal(w.remaining, 2);
      return w.u16();
    }),
    0x0102,
  );
  assert.equal(r.remaining, 3);
  assert.throws(() => r.window(2, 'short', (w) => w.u8()), {
    code: 'DNS_ERR_TRAILING',
    message: /1 unused octets in short/,
  });
  const r2 = new Reader(fromHex('0102030405'));
  assert.throws(() => r2.window(1, 'tiny', (w) => w.u16()), { code: 'DNS_ERR_TRUNCATED' });
  assert.equal(r2.remaining, 5, 'the window was undone');
  assert.throws(() => r2.window(6, 'too long', () => 0), { code: 'DNS_ERR_TRUNCATED', message: /too long/ });
});

test('name: continues after the first pointer, counts pointers, stays within 255 octets', () => {
  // 0: 03 www 07 example 00 | 13: 04 mail c0 04 | 20: c0 0d (→ 13 → 4) | 22: ff
  const buf = fromHex('03777777076578616d706c6500' + '046d61696cc004' + 'c00d' + 'ff');
  const r = new Reader(buf);
  assert.equal(r.name().toString(), 'www.example.');
  assert.equal(r.offset, 13);
  assert.equal(r.pointersFollowed, 0);
  assert.equal(r.name().toString(), 'mail.example.');
  assert.equal(r.offset, 20, 'just after the pointer');
  assert.equal(r.pointersFollowed, 1);
  assert.equal(r.name().toString(), 'mail.example.', 'a pointer to a name that ends in a pointer');
  assert.equal(r.pointersFollowed, 3);
  assert.equal(r.u8(), 0xff);
});

test('decoded records never alias the caller buffer', () => {
  const packet = fromHex(
    '0001 8400 0000 0002 0000 0000' +
      '00 0030 0001 00000e10 0008 0101 03 0d 01020304' + // DNSKEY: 257 3 13 AQIDBA==
      '00 ff00 0001 00000e10 0002 abcd', // TYPE65280
  );
  const m = decodeMessage(packet);
  const before = m.answers.map((rr) => toHex(rr.rdata));
  packet.fill(0);
  assert.deepEqual(
    m.answers.map((rr) => toHex(rr.rdata)),
    before,
  );
  assert.deepEqual(before, ['0101030d01020304', 'abcd']);
});
