/**
 * OPT pseudo-record rdata (RFC 6891 §6.1.2): a list of EDNS options. The message layer maps the
 * OPT record's CLASS and TTL to payload size, extended RCODE, version and the DO bit.
 */
import { toHex } from '../../../util/index.ts';
import { WireError } from '../errors.ts';
import type { RdataCodec } from './codec.ts';

export interface EdnsOptionData {
  code: number;
  data: Uint8Array;
}

export interface OptRdata {
  options: EdnsOptionData[];
}

export const optCodec: RdataCodec<OptRdata> = {
  type: 41,
  hasNames: false,
  compressible: false,
  decode(r) {
    const options: EdnsOptionData[] = [];
    while (r.remaining > 0) {
      const code = r.u16('EDNS option code');
      const len = r.u16('EDNS option length');
      options.push({ code, data: r.bytes(len, 'EDNS option data').slice() });
    }
    return { options };
  },
  encode(w, d) {
    for (const o of d.options) {
      w.u16(o.code);
      w.u16(o.data.length);
      w.bytes(o.data);
    }
  },
  parse() {
    throw new WireError('DNS_ERR_BAD_TEXT', 'OPT records have no presentation form');
  },
  format(d) {
    return d.options.map((o) => `; option ${o.code}: ${toHex(o.data)}`).join(' ');
  },
};
