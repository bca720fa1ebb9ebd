/** RFC 1982 serial arithmetic for RRSIG validity windows, including the 2^32 wrap-around. */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { checkWindow, serialCompare, serialDistance, toSerial, type WindowCheck } from './serial.ts';

const TWO32 = 2 ** 32;

test('serialCompare follows RFC 1982 §3.2 including wrap-around and the undefined half-way point', () => {
  const cases: { a: number; b: number; want: -1 | 0 | 1 | undefined }[] = [
    { a: 1, b: 2, want: -1 },
    { a: 2, b: 1, want: 1 },
    { a: 5, b: 5, want: 0 },
    { a: 0xffffffff, b: 0, want: -1 }, // 0 comes after 2^32-1
    { a: 0, b: 0xffffffff, want: 1 },
    { a: 0xfffffff0, b: 0x10, want: -1 },
    { a: 0, b: 2 ** 31, want: undefined },
    { a: 0, b: 2 ** 31 - 1, want: -1 },
    { a: 0, b: 2 ** 31 + 1, want: 1 },
    { a: TWO32 + 7, b: 7, want: 0 }, // now past 2106 reduces modulo 2^32
  ];
  for (const c of cases) assert.equal(serialCompare(c.a, c.b), c.want, `${c.a} vs ${c.b}`);
  assert.equal(toSerial(TWO32 + 3), 3);
  assert.equal(serialDistance(0xfffffff0, 0x10), 0x20);
});

test('checkWindow: inception ≤ now ≤ expiration in serial arithmetic', () => {
  const cases: { inc: number; exp: number; now: number; want: WindowCheck }[] = [
    { inc: 1000, exp: 2000, now: 1500, want: 'valid' },
    { inc: 1000, exp: 2000, now: 1000, want: 'valid' },
    { inc: 1000, exp: 2000, now: 2000, want: 'valid' },
    { inc: 1000, exp: 2000, now: 999, want: 'not-yet-valid' },
    { inc: 1000, exp: 2000, now: 2001, want: 'expired' },
    { inc: 2000, exp: 1000, now: 1500, want: 'inverted' },
    // A window across the 2^32 wrap (year 2106): inception before, expiration after.
    { inc: 0xffffff00, exp: 0x100, now: 0xfffffff0, want: 'valid' },
    { inc: 0xffffff00, exp: 0x100, now: TWO32 + 0x10, want: 'valid' },
    { inc: 0xffffff00, exp: 0x100, now: TWO32 + 0x200, want: 'expired' },
    { inc: 0xffffff00, exp: 0x100, now: 0xfffffe00, want: 'not-yet-valid' },
  ];
  for (const c of cases) assert.equal(checkWindow(c.inc, c.exp, c.now), c.want, JSON.stringify(c));
});
