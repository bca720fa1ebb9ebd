/** DS (RFC 4034 §5): key tag, algorithm, digest type and digest of a child zone's DNSKEY. */
import { toHex } from '../../../util/index.ts';
import { WireError } from '../errors.ts';
import { hexToBytes, parseAlgorithm, type RdataCodec } from './codec.ts';

export interface DsRdata {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Uint8Array;
}

export const dsCodec: RdataCodec<DsRdata> = {
  type: 43,
  hasNames: false,
  compressible: false,
  decode(r) {
    const keyTag = r.u16('DS key tag');
    const algorithm = r.u8('DS algorithm');
    const digestType = r.u8('DS digest type');
    return { keyTag, algorithm, digestType, digest: r.rest() };
  },
  encode(w, d) {
    w.u16(d.keyTag);
    w.u8(d.algorithm);
    w.u8(d.digestType);
    w.bytes(d.digest);
  },
  parse(t) {
    const keyTag = t.int('DS key tag', 0xffff);
    const algorithm = parseAlgorithm(t, 'DS algorithm');
    const digestType = t.int('DS digest type', 0xff);
    const digest = hexToBytes(t.restJoined('DS digest'), 'DS digest');
    if (digest.length === 0) throw new WireError('DNS_ERR_BAD_TEXT', 'empty DS digest');
    return { keyTag, algorithm, digestType, digest };
  },
  format(d) {
    return `${d.keyTag} ${d.algorithm} ${d.digestType} ${toHex(d.digest).toUpperCase()}`;
  },
};
