/**
 * The rdata types that hold one domain name: NS (RFC 1035 §3.3.11), CNAME (§3.3.1), PTR
 * (§3.3.12) — compressible — and DNAME (RFC 6672 §2.1), which is never compressed on output.
 */
import type { Name } from '../name.ts';
import { writeRdataName, type RdataCodec } from './codec.ts';

export interface TargetRdata {
  target: Name;
}

function targetCodec(type: number, compressible: boolean, label: string): RdataCodec<TargetRdata> {
  return {
    type,
    hasNames: true,
    compressible,
    decode(r) {
      return { target: r.name(`${label} target`) };
    },
    encode(w, data, opts) {
      writeRdataName(w, data.target, compressible, opts);
    },
    parse(t) {
      const target = t.name(`${label} target`);
      t.end(`${label} target`);
      return { target };
    },
    format(data) {
      return data.target.toString();
    },
  };
}

export const nsCodec = targetCodec(2, true, 'NS');
export const cnameCodec = targetCodec(5, true, 'CNAME');
export const ptrCodec = targetCodec(12, true, 'PTR');
export const dnameCodec = targetCodec(39, false, 'DNAME');
