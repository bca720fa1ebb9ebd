/**
 * DNSKEY key tags (RFC 4034 Appendix B), including the RSA/MD5 special case of Appendix B.1.
 * Key tags only pick candidate keys; they are not unique (RFC 4034 §5.3, RFC 6840 §5.5), so
 * callers must try every key that matches. Pure; no I/O.
 */
import type { DnskeyRdata } from '../wire/index.ts';

const cache = new WeakMap<DnskeyRdata, number>();

/**
 * The key tag of a DNSKEY rdata. RFC 4034 Appendix B: the sum of the rdata's 16-bit words
 * (odd octets as the low byte), folded: `ac += (ac >> 16) & 0xFFFF; return ac & 0xFFFF`.
 * Appendix B.1: "For a DNSKEY RR with algorithm 1, the key tag is defined to be the most
 * significant 16 bits of the least significant 24 bits in the public key modulus".
 */
export function keyTag(key: DnskeyRdata): number {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const tag = computeKeyTag(key);
  cache.set(key, tag);
  return tag;
}

function computeKeyTag(key: DnskeyRdata): number {
  const pk = key.publicKey;
  if (key.algorithm === 1) {
    if (pk.length < 3) return 0;
    return (((pk[pk.length - 3] as number) << 8) | (pk[pk.length - 2] as number)) & 0xffff;
  }
  // The fixed fields: flags (2 octets), protocol, algorithm — then the key from offset 4.
  let ac = key.flags + ((key.protocol << 8) | key.algorithm);
  for (let i = 0; i < pk.length; i++) {
    // rdata offset i + 4 is even when i is even: even offsets are the high byte.
    ac += (i & 1) === 0 ? (pk[i] as number) << 8 : (pk[i] as number);
  }
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}

/** The key tag of raw DNSKEY rdata octets (flags | protocol | algorithm | key). */
export function keyTagOfRdata(rdata: Uint8Array): number {
  if (rdata.length < 4) return 0;
  return keyTag({
    flags: ((rdata[0] as number) << 8) | (rdata[1] as number),
    protocol: rdata[2] as number,
    algorithm: rdata[3] as number,
    publicKey: rdata.subarray(4),
  });
}
