/** TXT (RFC 1035 §3.3.14) and HINFO (§3.3.2): sequences of character-strings of ≤ 255 octets. */
import { WireError } from '../errors.ts';
import { quoteBytes, unescapeBytes } from '../text.ts';
import type { RdataCodec } from './codec.ts';

export interface TxtRdata {
  strings: Uint8Array[];
}

export interface HinfoRdata {
  cpu: Uint8Array;
  os: Uint8Array;
}

function checked(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 255)
    throw new WireError('DNS_ERR_BAD_TEXT', `character-string of ${bytes.length} octets`);
  return bytes;
}

export const txtCodec: RdataCodec<TxtRdata> = {
  type: 16,
  hasNames: false,
  compressible: false,
  decode(r) {
    const strings: Uint8Array[] = [];
    if (r.remaining === 0) throw new WireError('DNS_ERR_BAD_RDATA', 'empty TXT rdata', r.offset);
    while (r.remaining > 0) strings.push(r.bytes(r.u8('TXT length'), 'TXT string'));
    return { strings };
  },
  encode(w, d) {
    for (const s of d.strings) {
      w.u8(checked(s).length);
      w.bytes(s);
    }
  },
  parse(t) {
    const strings = t.rest().map((tok) => checked(unescapeBytes(tok.text)));
    if (strings.length === 0) throw new WireError('DNS_ERR_BAD_TEXT', 'missing TXT string');
    return { strings };
  },
  format(d) {
    return d.strings.map(quoteBytes).join(' ');
  },
};

export const hinfoCodec: RdataCodec<HinfoRdata> = {
  type: 13,
  hasNames: false,
  compressible: false,
  decode(r) {
    const cpu = r.bytes(r.u8('HINFO CPU length'), 'HINFO CPU');
    const os = r.bytes(r.u8('HINFO OS length'), 'HINFO OS');
    return { cpu, os };
  },
  encode(w, d) {
    for (const s of [d.cpu, d.os]) {
      w.u8(checked(s).length);
      w.bytes(s);
    }
  },
  parse(t) {
    const cpu = checked(unescapeBytes(t.text('HINFO CPU')));
    const os = checked(unescapeBytes(t.text('HINFO OS')));
    t.end('HINFO');
    return { cpu, os };
  },
  format(d) {
    return `${quoteBytes(d.cpu)} ${quoteBytes(d.os)}`;
  },
};
