/** SRV (RFC 2782): priority, weight, port, target (never compressed). */
import type { Name } from '../name.ts';
import { writeRdataName, type RdataCodec } from './codec.ts';

export interface SrvRdata {
  priority: number;
  weight: number;
  port: number;
  target: Name;
}

export const srvCodec: RdataCodec<SrvRdata> = {
  type: 33,
  hasNames: true,
  compressible: false,
  decode(r) {
    return { priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name('SRV target') };
  },
  encode(w, d, opts) {
    w.u16(d.priority);
    w.u16(d.weight);
    w.u16(d.port);
    writeRdataName(w, d.target, false, opts);
  },
  parse(t) {
    const d = {
      priority: t.int('SRV priority', 0xffff),
      weight: t.int('SRV weight', 0xffff),
      port: t.int('SRV port', 0xffff),
      target: t.name('SRV target'),
    };
    t.end('SRV');
    return d;
  },
  format(d) {
    return `${d.priority} ${d.weight} ${d.port} ${d.target.toString()}`;
  },
};
