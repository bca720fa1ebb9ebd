/** A (RFC 1035 §3.4.1): one IPv4 address. */
import { WireError } from '../errors.ts';
import type { RdataCodec } from './codec.ts';

export interface ARdata {
  /** Dotted-quad text, e.g. `192.0.2.1`. */
  address: string;
}

/** Parse dotted-quad IPv4 text into 4 octets; undefined when malformed. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

export const aCodec: RdataCodec<ARdata> = {
  type: 1,
  hasNames: false,
  compressible: false,
  decode(r) {
    const b = r.bytes(4, 'an IPv4 address');
    return { address: `${b[0] as number}.${b[1] as number}.${b[2] as number}.${b[3] as number}` };
  },
  encode(w, data) {
    const b = parseIPv4(data.address);
    if (b === undefined) throw new WireError('DNS_ERR_BAD_RDATA', `bad IPv4 address '${data.address}'`);
    w.bytes(b);
  },
  parse(t) {
    const text = t.text('IPv4 address');
    if (parseIPv4(text) === undefined) throw new WireError('DNS_ERR_BAD_TEXT', `bad IPv4 address '${text}'`);
    t.end('A address');
    return { address: text };
  },
  format(data) {
    return data.address;
  },
};
