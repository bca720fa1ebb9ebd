/**
 * NSEC3 (RFC 5155 §3) and NSEC3PARAM (§4): hashed owner chain with salt and iterations; the
 * next hashed owner is printed in unpadded base32hex (RFC 4648 §7), the salt in hex or `-`.
 */
import { toHex } from '../../../util/index.ts';
import { WireError } from '../errors.ts';
import type { TokenStream } from '../text.ts';
import { hexToBytes, type RdataCodec } from './codec.ts';
import { encodeTypeBitmap, formatTypeList, parseTypeList, readTypeBitmap } from './type-bitmap.ts';

export interface Nsec3ParamRdata {
  hashAlgorithm: number;
  flags: number;
  iterations: number;
  salt: Uint8Array;
}

export interface Nsec3Rdata extends Nsec3ParamRdata {
  nextHashed: Uint8Array;
  types: number[];
  bitmap: Uint8Array;
}

/** NSEC3 flag bits (RFC 5155 §3.1.2). */
export const Nsec3Flag = { OPT_OUT: 0x01 } as const;

const B32 = '0123456789abcdefghijklmnopqrstuv';

/** Unpadded lower-case base32hex (RFC 4648 §7), as used in NSEC3 owner labels. */
export function toBase32Hex(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31] as string;
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31] as string;
  return out;
}

/** Decode unpadded base32hex (case-insensitive); undefined when malformed. */
export function fromBase32Hex(text: string): Uint8Array | undefined {
  const clean = text.toLowerCase().replace(/=+$/, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  if (value !== 0) return undefined; // non-zero padding bits
  return Uint8Array.from(out);
}

function parseParams(t: TokenStream): Nsec3ParamRdata {
  const hashAlgorithm = t.int('NSEC3 hash algorithm', 0xff);
  const flags = t.int('NSEC3 flags', 0xff);
  const iterations = t.int('NSEC3 iterations', 0xffff);
  const saltText = t.text('NSEC3 salt');
  const salt = saltText === '-' ? new Uint8Array(0) : hexToBytes(saltText, 'NSEC3 salt');
  if (salt.length > 255) throw new WireError('DNS_ERR_BAD_TEXT', 'NSEC3 salt over 255 octets');
  return { hashAlgorithm, flags, iterations, salt };
}

function formatParams(d: Nsec3ParamRdata): string {
  return `${d.hashAlgorithm} ${d.flags} ${d.iterations} ${d.salt.length === 0 ? '-' : toHex(d.salt).toUpperCase()}`;
}

export const nsec3Codec: RdataCodec<Nsec3Rdata> = {
  type: 50,
  hasNames: false,
  compressible: false,
  decode(r) {
    const hashAlgorithm = r.u8('NSEC3 hash algorithm');
    const flags = r.u8('NSEC3 flags');
    const iterations = r.u16('NSEC3 iterations');
    const salt = r.bytes(r.u8('NSEC3 salt length'), 'NSEC3 salt');
    const hashLen = r.u8('NSEC3 hash length');
    if (hashLen === 0) throw new WireError('DNS_ERR_BAD_RDATA', 'NSEC3 next hash is empty', r.offset);
    const nextHashed = r.bytes(hashLen, 'NSEC3 next hash');
    return { hashAlgorithm, flags, iterations, salt, nextHashed, ...readTypeBitmap(r) };
  },
  encode(w, d) {
    w.u8(d.hashAlgorithm);
    w.u8(d.flags);
    w.u16(d.iterations);
    w.u8(d.salt.length);
    w.bytes(d.salt);
    w.u8(d.nextHashed.length);
    w.bytes(d.nextHashed);
    w.bytes(d.bitmap);
  },
  parse(t) {
    const params = parseParams(t);
    const hashText = t.text('NSEC3 next hashed owner');
    const nextHashed = fromBase32Hex(hashText);
    if (nextHashed === undefined || nextHashed.length === 0 || nextHashed.length > 255) {
      throw new WireError('DNS_ERR_BAD_TEXT', `bad NSEC3 next hashed owner '${hashText}'`);
    }
    const types = parseTypeList(t);
    return {
      ...params,
      nextHashed,
      types: [...new Set(types)].sort((a, b) => a - b),
      bitmap: encodeTypeBitmap(types),
    };
  },
  format(d) {
    return `${formatParams(d)} ${toBase32Hex(d.nextHashed)} ${formatTypeList(d.types)}`.trimEnd();
  },
};

export const nsec3ParamCodec: RdataCodec<Nsec3ParamRdata> = {
  type: 51,
  hasNames: false,
  compressible: false,
  decode(r) {
    const hashAlgorithm = r.u8('NSEC3PARAM hash algorithm');
    const flags = r.u8('NSEC3PARAM flags');
    const iterations = r.u16('NSEC3PARAM iterations');
    const salt = r.bytes(r.u8('NSEC3PARAM salt length'), 'NSEC3PARAM salt');
    return { hashAlgorithm, flags, iterations, salt };
  },
  encode(w, d) {
    w.u8(d.hashAlgorithm);
    w.u8(d.flags);
    w.u16(d.iterations);
    w.u8(d.salt.length);
    w.bytes(d.salt);
  },
  parse(t) {
    const d = parseParams(t);
    t.end('NSEC3PARAM');
    return d;
  },
  format: formatParams,
};
