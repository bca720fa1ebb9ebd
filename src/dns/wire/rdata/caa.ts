/** CAA (RFC 8659 §4.1): flags, tag (ASCII letters and digits) and value. */
import { WireError } from '../errors.ts';
import { quoteBytes, unescapeBytes } from '../text.ts';
import type { RdataCodec } from './codec.ts';

export interface CaaRdata {
  flags: number;
  tag: string;
  value: Uint8Array;
}

export const caaCodec: RdataCodec<CaaRdata> = {
  type: 257,
  hasNames: false,
  compressible: false,
  decode(r) {
    const flags = r.u8('CAA flags');
    const tagLen = r.u8('CAA tag length');
    if (tagLen === 0) throw new WireError('DNS_ERR_BAD_RDATA', 'empty CAA tag', r.offset);
    const tagBytes = r.bytes(tagLen, 'CAA tag');
    const tag = String.fromCharCode(...tagBytes);
    if (!/^[A-Za-z0-9]+$/.test(tag))
      throw new WireError('DNS_ERR_BAD_RDATA', 'CAA tag is not alphanumeric', r.offset);
    return { flags, tag, value: r.rest() };
  },
  encode(w, d) {
    w.u8(d.flags);
    w.u8(d.tag.length);
    for (let i = 0; i < d.tag.length; i++) w.u8(d.tag.charCodeAt(i));
    w.bytes(d.value);
  },
  parse(t) {
    const flags = t.int('CAA flags', 0xff);
    const tag = t.text('CAA tag');
    if (!/^[A-Za-z0-9]{1,255}$/.test(tag)) throw new WireError('DNS_ERR_BAD_TEXT', `bad CAA tag '${tag}'`);
    const value = unescapeBytes(t.text('CAA value'));
    t.end('CAA');
    return { flags, tag, value };
  },
  format(d) {
    return `${d.flags} ${d.tag} ${quoteBytes(d.value)}`;
  },
};
