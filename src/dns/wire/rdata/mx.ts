/** MX (RFC 1035 §3.3.9): preference and exchange host; `0 .` is a null MX (RFC 7505). */
import type { Name } from '../name.ts';
import { writeRdataName, type RdataCodec } from './codec.ts';

export interface MxRdata {
  preference: number;
  exchange: Name;
}

export const mxCodec: RdataCodec<MxRdata> = {
  type: 15,
  hasNames: true,
  compressible: true,
  decode(r) {
    return { preference: r.u16('MX preference'), exchange: r.name('MX exchange') };
  },
  encode(w, data, opts) {
    w.u16(data.preference);
    writeRdataName(w, data.exchange, true, opts);
  },
  parse(t) {
    const preference = t.int('MX preference', 0xffff);
    const exchange = t.name('MX exchange');
    t.end('MX exchange');
    return { preference, exchange };
  },
  format(data) {
    return `${data.preference} ${data.exchange.toString()}`;
  },
};
