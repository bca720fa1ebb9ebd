/**
 * Type bitmaps of NSEC and NSEC3 (RFC 4034 §4.1.2): window blocks in increasing order, each 1–32
 * octets. The raw octets are kept beside the decoded list so that canonical re-encoding is exact.
 */
import { WireError } from '../errors.ts';
import type { Reader } from '../reader.ts';
import type { TokenStream } from '../text.ts';
import { typeFromString, typeToString } from '../types.ts';

/** Decode the rest of `r` as a type bitmap; returns the sorted type list and the raw octets. */
export function readTypeBitmap(r: Reader): { types: number[]; bitmap: Uint8Array } {
  const start = r.offset;
  const types: number[] = [];
  let lastWindow = -1;
  while (r.remaining > 0) {
    const at = r.offset;
    const window = r.u8('bitmap window');
    const len = r.u8('bitmap length');
    if (window <= lastWindow) throw new WireError('DNS_ERR_BAD_RDATA', 'bitmap windows out of order', at);
    if (len < 1 || len > 32) throw new WireError('DNS_ERR_BAD_RDATA', `bitmap block of ${len} octets`, at);
    lastWindow = window;
    const bits = r.bytes(len, 'bitmap block');
    for (let i = 0; i < len; i++) {
      const octet = bits[i] as number;
      for (let b = 0; b < 8; b++) if ((octet & (0x80 >> b)) !== 0) types.push(window * 256 + i * 8 + b);
    }
  }
  return { types, bitmap: r.buf.subarray(start, r.offset) };
}

/** Encode a list of types (any order, duplicates ignored) as a canonical type bitmap. */
export function encodeTypeBitmap(types: readonly number[]): Uint8Array {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const out: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const window = (sorted[i] as number) >> 8;
    const block = new Uint8Array(32);
    let maxOctet = 0;
    while (i < sorted.length && (sorted[i] as number) >> 8 === window) {
      const low = (sorted[i] as number) & 0xff;
      block[low >> 3] = (block[low >> 3] as number) | (0x80 >> (low & 7));
      maxOctet = Math.max(maxOctet, low >> 3);
      i++;
    }
    out.push(window, maxOctet + 1, ...block.subarray(0, maxOctet + 1));
  }
  return Uint8Array.from(out);
}

/** Parse the remaining mnemonics of a record as a type list. */
export function parseTypeList(t: TokenStream): number[] {
  return t.rest().map((tok) => {
    const v = typeFromString(tok.text);
    if (v === undefined) throw new WireError('DNS_ERR_BAD_TEXT', `unknown type '${tok.text}' in bitmap`);
    return v;
  });
}

/** Presentation of a type list (`A NS RRSIG NSEC`). */
export function formatTypeList(types: readonly number[]): string {
  return types.map(typeToString).join(' ');
}
