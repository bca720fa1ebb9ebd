/**
 * TLSA (RFC 6698 §2): certificate usage, selector, matching type and association data. Unknown
 * code points are kept as numbers (never an error), so one odd record never fails the RRset;
 * deciding usability is the DANE layer's job (RFC 7672 §2.2). Mnemonics per RFC 7218.
 */
import { toHex } from '../../../util/index.ts';
import { hexToBytes, type RdataCodec } from './codec.ts';

export interface TlsaRdata {
  usage: number;
  selector: number;
  matchingType: number;
  data: Uint8Array;
}

/** RFC 7218 acronyms. */
export const CertUsage = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
export const Selector = { CERT: 0, SPKI: 1 } as const;
export const Matching = { FULL: 0, SHA2_256: 1, SHA2_512: 2 } as const;

export const tlsaCodec: RdataCodec<TlsaRdata> = {
  type: 52,
  hasNames: false,
  compressible: false,
  decode(r) {
    const usage = r.u8('TLSA usage');
    const selector = r.u8('TLSA selector');
    const matchingType = r.u8('TLSA matching type');
    return { usage, selector, matchingType, data: r.rest() };
  },
  encode(w, d) {
    w.u8(d.usage);
    w.u8(d.selector);
    w.u8(d.matchingType);
    w.bytes(d.data);
  },
  parse(t) {
    const usage = t.int('TLSA usage', 0xff);
    const selector = t.int('TLSA selector', 0xff);
    const matchingType = t.int('TLSA matching type', 0xff);
    const data = hexToBytes(t.restJoined('TLSA association data'), 'TLSA association data');
    return { usage, selector, matchingType, data };
  },
  format(d) {
    return `${d.usage} ${d.selector} ${d.matchingType} ${toHex(d.data)}`;
  },
};
