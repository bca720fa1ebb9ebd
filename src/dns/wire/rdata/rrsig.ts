/**
 * RRSIG (RFC 4034 §3). Times are 32-bit serial numbers (RFC 1982 arithmetic is the validator's
 * job); presentation accepts `YYYYMMDDHHmmSS` or plain seconds and prints the former (§3.2).
 */
import { parseDnsTimestamp, toBase64 } from '../../../util/index.ts';
import { WireError } from '../errors.ts';
import type { Name } from '../name.ts';
import type { TokenStream } from '../text.ts';
import { typeFromString, typeToString } from '../types.ts';
import { base64ToBytes, parseAlgorithm, writeRdataName, type RdataCodec } from './codec.ts';

export interface RrsigRdata {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  /** Seconds since the epoch modulo 2^32. */
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: Name;
  signature: Uint8Array;
}

/** `YYYYMMDDHHmmSS` of a 32-bit DNSSEC time (read as seconds since 1970, RFC 4034 §3.2). */
export function formatDnssecTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    p(d.getUTCFullYear(), 4) +
    p(d.getUTCMonth() + 1) +
    p(d.getUTCDate()) +
    p(d.getUTCHours()) +
    p(d.getUTCMinutes()) +
    p(d.getUTCSeconds())
  );
}

function parseTime(t: TokenStream, what: string): number {
  const text = t.text(what);
  if (/^\d{14}$/.test(text)) {
    const s = parseDnsTimestamp(text);
    if (s === undefined) throw new WireError('DNS_ERR_BAD_TEXT', `${what} '${text}' is not a valid time`);
    return s % 2 ** 32;
  }
  if (/^\d{1,10}$/.test(text) && Number(text) <= 0xffffffff) return Number(text);
  throw new WireError('DNS_ERR_BAD_TEXT', `${what} '${text}' is not a valid time`);
}

export const rrsigCodec: RdataCodec<RrsigRdata> = {
  type: 46,
  hasNames: true,
  compressible: false,
  decode(r) {
    return {
      typeCovered: r.u16('RRSIG type covered'),
      algorithm: r.u8('RRSIG algorithm'),
      labels: r.u8('RRSIG labels'),
      originalTtl: r.u32('RRSIG original TTL'),
      expiration: r.u32('RRSIG expiration'),
      inception: r.u32('RRSIG inception'),
      keyTag: r.u16('RRSIG key tag'),
      signerName: r.name('RRSIG signer name'),
      signature: r.rest(),
    };
  },
  encode(w, d, opts) {
    w.u16(d.typeCovered);
    w.u8(d.algorithm);
    w.u8(d.labels);
    w.u32(d.originalTtl);
    w.u32(d.expiration);
    w.u32(d.inception);
    w.u16(d.keyTag);
    writeRdataName(w, d.signerName, false, opts);
    w.bytes(d.signature);
  },
  parse(t) {
    const covered = t.text('RRSIG type covered');
    const typeCovered = typeFromString(covered);
    if (typeCovered === undefined) throw new WireError('DNS_ERR_BAD_TEXT', `unknown type '${covered}'`);
    return {
      typeCovered,
      algorithm: parseAlgorithm(t, 'RRSIG algorithm'),
      labels: t.int('RRSIG labels', 0xff),
      originalTtl: t.int('RRSIG original TTL', 0xffffffff),
      expiration: parseTime(t, 'RRSIG expiration'),
      inception: parseTime(t, 'RRSIG inception'),
      keyTag: t.int('RRSIG key tag', 0xffff),
      signerName: t.name('RRSIG signer name'),
      signature: base64ToBytes(t.restJoined('RRSIG signature'), 'RRSIG signature'),
    };
  },
  format(d) {
    return [
      typeToString(d.typeCovered),
      d.algorithm,
      d.labels,
      d.originalTtl,
      formatDnssecTime(d.expiration),
      formatDnssecTime(d.inception),
      d.keyTag,
      d.signerName.toString(),
      toBase64(d.signature),
    ].join(' ');
  },
};
