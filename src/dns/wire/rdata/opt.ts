/**
 * OPT pseudo-record rdata (RFC 6891 §6.1.2): a list of EDNS options. The message layer maps the
 * OPT record's CLASS and TTL to payload size, extended RCODE, version and the DO bit. As text,
 * OPT rdata uses the RFC 3597 generic form, so an OPT record prints and re-parses losslessly.
 */
import { concatBytes } from '../../../util/index.ts';
import { WireError } from '../errors.ts';
import type { RdataCodec } from './codec.ts';
import { formatGenericRdata } from './unknown.ts';

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
      options.push({ code, data: r.bytes(len, 'EDNS option data') });
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
    // RFC 6891 §6.1.1: OPT is a pseudo-RR with no zone-file syntax of its own; the generic
    // RFC 3597 `\# len hex` form (handled before the codec is asked) is the only text form.
    throw new WireError('DNS_ERR_BAD_TEXT', 'OPT rdata can only be written in the generic \\# form');
  },
  format(d) {
    const parts: Uint8Array[] = [];
    for (const o of d.options)
      parts.push(Uint8Array.of(o.code >> 8, o.code & 0xff, o.data.length >> 8, o.data.length & 0xff), o.data);
    return formatGenericRdata(concatBytes(parts));
  },
};
