/** SOA (RFC 1035 §3.3.13); MINIMUM is the negative-caching TTL (RFC 2308 §4). */
import type { Name } from '../name.ts';
import { writeRdataName, type RdataCodec } from './codec.ts';

export interface SoaRdata {
  mname: Name;
  rname: Name;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

const U32 = 0xffffffff;

export const soaCodec: RdataCodec<SoaRdata> = {
  type: 6,
  hasNames: true,
  compressible: true,
  decode(r) {
    return {
      mname: r.name('SOA MNAME'),
      rname: r.name('SOA RNAME'),
      serial: r.u32(),
      refresh: r.u32(),
      retry: r.u32(),
      expire: r.u32(),
      minimum: r.u32(),
    };
  },
  encode(w, d, opts) {
    writeRdataName(w, d.mname, true, opts);
    writeRdataName(w, d.rname, true, opts);
    for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
  },
  parse(t) {
    const d: SoaRdata = {
      mname: t.name('SOA MNAME'),
      rname: t.name('SOA RNAME'),
      serial: t.int('SOA serial', U32),
      refresh: t.int('SOA refresh', U32),
      retry: t.int('SOA retry', U32),
      expire: t.int('SOA expire', U32),
      minimum: t.int('SOA minimum', U32),
    };
    t.end('SOA');
    return d;
  },
  format(d) {
    return `${d.mname.toString()} ${d.rname.toString()} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
  },
};
