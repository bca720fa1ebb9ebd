/** Rdata of a type we do not decode, kept as octets and printed as `\# len hex` (RFC 3597 §5). */
import { toHex } from '../../../util/index.ts';
import { WireError } from '../errors.ts';
import type { TokenStream } from '../text.ts';
import { hexToBytes } from './codec.ts';

export interface UnknownRdata {
  bytes: Uint8Array;
}

/** Parse the generic form after the `\#` token: a length then hex (possibly in pieces). */
export function parseGenericRdata(t: TokenStream): Uint8Array {
  const len = t.int('generic rdata length', 0xffff);
  const bytes = hexToBytes(t.restJoined('generic rdata', len === 0), 'generic rdata');
  if (bytes.length !== len) {
    throw new WireError('DNS_ERR_BAD_TEXT', `generic rdata has ${bytes.length} octets, header says ${len}`);
  }
  return bytes;
}

export function formatGenericRdata(bytes: Uint8Array): string {
  return bytes.length === 0 ? '\\# 0' : `\\# ${bytes.length} ${toHex(bytes).toUpperCase()}`;
}
