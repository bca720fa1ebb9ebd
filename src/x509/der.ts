/**
 * A minimal, bounds-checked DER reader (ITU-T X.690 §8.1, §10): just enough to cut a
 * certificate into its exact byte ranges (TBSCertificate, SubjectPublicKeyInfo, names) so that
 * digests and signatures are computed over the bytes the peer sent, never over a re-encoding.
 * Must never read past a length it has not checked, recurse without bound, or throw anything
 * but an X509Error.
 */
import { X509Error } from './errors.ts';

/** One tag-length-value element located inside a byte array. */
export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Universal and context tags used by the certificate parser. */
export const DerTag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_1: 0xa1,
  CONTEXT_2: 0xa2,
  CONTEXT_3: 0xa3,
} as const;

function fail(what: string, offset: number): never {
  throw new X509Error('X509_ERR_PARSE', `malformed DER: ${what} at offset ${offset}`, {
    details: { offset },
  });
}

/**
 * Read the element starting at `offset`, which must end at or before `limit`.
 * X.690 §10.1: "The definite form of length encoding shall be used", so the indefinite form
 * (0x80) is refused, as are high tag numbers (not used by the structures we cut).
 */
export function readTlv(bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv {
  if (offset + 2 > limit) fail('truncated element header', offset);
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) fail('high tag number form is not supported', offset);
  const first = bytes[offset + 1] as number;
  let length = first;
  let header = 2;
  if (first === 0x80) fail('indefinite length', offset);
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) fail('length field too long', offset);
    if (offset + 2 + count > limit) fail('truncated length field', offset);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    header += count;
  }
  const contentStart = offset + header;
  const end = contentStart + length;
  if (end > limit) fail(`element of ${length} octets overruns its container`, offset);
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element; they must fill it exactly. */
export function readChildren(bytes: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) fail('expected a constructed element', parent.start);
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readTlv(bytes, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The whole encoding (header and content) of an element. */
export function tlvBytes(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

/** The content octets of an element. */
export function tlvContent(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.contentStart, tlv.end);
}

/** Require `tlv` to carry `tag`, naming `what` in the error otherwise. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string, offset = 0): Tlv {
  if (tlv === undefined) fail(`missing ${what}`, offset);
  if (tlv.tag !== tag) fail(`${what} has tag 0x${tlv.tag.toString(16)}`, tlv.start);
  return tlv;
}

/** Dotted text of an OBJECT IDENTIFIER's content octets (X.690 §8.19). */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) fail('empty object identifier', 0);
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) fail('object identifier arc too large', i);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === content.length - 1) {
      fail('truncated object identifier', i);
    }
  }
  const first = arcs[0] as number;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}
