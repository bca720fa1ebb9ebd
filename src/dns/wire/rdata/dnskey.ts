/** DNSKEY (RFC 4034 §2): flags (ZONE 256, SEP 1, REVOKE 128 per RFC 5011), protocol 3, key. */
import { toBase64 } from '../../../util/index.ts';
import { base64ToBytes, parseAlgorithm, type RdataCodec } from './codec.ts';

export interface DnskeyRdata {
  flags: number;
  protocol: number;
  algorithm: number;
  publicKey: Uint8Array;
}

/** DNSKEY flag bits (RFC 4034 §2.1.1, RFC 5011 §7). */
export const DnskeyFlag = { ZONE: 0x0100, REVOKE: 0x0080, SEP: 0x0001 } as const;

export const dnskeyCodec: RdataCodec<DnskeyRdata> = {
  type: 48,
  hasNames: false,
  compressible: false,
  decode(r) {
    const flags = r.u16('DNSKEY flags');
    const protocol = r.u8('DNSKEY protocol');
    const algorithm = r.u8('DNSKEY algorithm');
    return { flags, protocol, algorithm, publicKey: r.rest() };
  },
  encode(w, d) {
    w.u16(d.flags);
    w.u8(d.protocol);
    w.u8(d.algorithm);
    w.bytes(d.publicKey);
  },
  parse(t) {
    const flags = t.int('DNSKEY flags', 0xffff);
    const protocol = t.int('DNSKEY protocol', 0xff);
    const algorithm = parseAlgorithm(t, 'DNSKEY algorithm');
    const publicKey = base64ToBytes(t.restJoined('DNSKEY public key'), 'DNSKEY public key');
    return { flags, protocol, algorithm, publicKey };
  },
  format(d) {
    return `${d.flags} ${d.protocol} ${d.algorithm} ${toBase64(d.publicKey)}`;
  },
};
