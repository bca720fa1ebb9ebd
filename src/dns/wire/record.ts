/**
 * Resource records (RFC 1035 §4.1.3): owner, type, class, TTL, decoded rdata and the raw rdata
 * octets (uncompressed, case preserved), which DNSSEC canonicalization starts from. Unknown
 * types are kept as raw data (RFC 3597). Pure; no I/O.
 */
import { WireError } from './errors.ts';
import { Name } from './name.ts';
import { Reader } from './reader.ts';
import { codecFor, type RdataMap } from './rdata/index.ts';
import type { NameOptions } from './rdata/codec.ts';
import { formatGenericRdata, parseGenericRdata, type UnknownRdata } from './rdata/unknown.ts';
import { TokenStream, type Token } from './text.ts';
import { RRClass } from './types.ts';
import { Writer } from './writer.ts';

export type Rdata = RdataMap[keyof RdataMap] | UnknownRdata;

export interface Rr<T = Rdata> {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: T;
  /** Uncompressed rdata octets with the original case of any embedded names. */
  readonly rdata: Uint8Array;
}

/** Narrow a record to a known type: `if (isType(rr, RRType.TLSA)) rr.data.usage`. */
export function isType<K extends keyof RdataMap>(rr: Rr, type: K): rr is Rr<RdataMap[K]> {
  return rr.type === type;
}

/** Encode rdata of `type` on its own (no compression unless asked; canonical when `lowercase`). */
export function encodeRdata(type: number, data: Rdata, opts: Partial<NameOptions> = {}): Uint8Array {
  const codec = codecFor(type);
  if (codec === undefined) return (data as UnknownRdata).bytes;
  const w = new Writer(64);
  codec.encode(w, data, { compress: false, lowercase: opts.lowercase ?? false });
  return w.finish();
}

/** Decode rdata octets of `type` (for generic `\#` text and tests). */
export function decodeRdata(type: number, bytes: Uint8Array): Rdata {
  const codec = codecFor(type);
  const r = new Reader(bytes);
  if (codec === undefined) return { bytes: r.rest() };
  return r.window(bytes.length, 'rdata', (sub) => codec.decode(sub)) as Rdata;
}

/** Build a record, computing its raw rdata. */
export function makeRr<T extends Rdata>(fields: {
  name: Name;
  type: number;
  ttl: number;
  data: T;
  class?: number;
}): Rr<T> {
  return {
    name: fields.name,
    type: fields.type,
    class: fields.class ?? RRClass.IN,
    ttl: fields.ttl,
    data: fields.data,
    rdata: encodeRdata(fields.type, fields.data),
  };
}

/** Read one record at the reader's position (names may be compressed). */
export function readRr(r: Reader): Rr {
  const name = r.name('owner name');
  const type = r.u16('type');
  const cls = r.u16('class');
  const ttl = r.u32('TTL');
  const length = r.u16('RDLENGTH');
  const start = r.offset;
  const codec = codecFor(type);
  if (codec === undefined) {
    const bytes = r.bytes(length, 'rdata');
    return { name, type, class: cls, ttl, data: { bytes }, rdata: bytes };
  }
  const pointers = r.pointersFollowed;
  const data = r.window(length, 'rdata', (sub) => codec.decode(sub)) as Rdata;
  // Uncompressed rdata is already the raw form; only rdata whose names were compressed (RFC 1035
  // §4.1.4) is re-encoded without pointers.
  const rdata =
    r.pointersFollowed === pointers ? r.buf.subarray(start, start + length) : encodeRdata(type, data);
  return { name, type, class: cls, ttl, data, rdata };
}

/** Write one record; `compress` applies to the owner and to RFC 1035 rdata names. */
export function writeRr(w: Writer, rr: Rr, opts: { compress: boolean }): void {
  w.name(rr.name, { compress: opts.compress });
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lengthAt = w.length;
  w.u16(0);
  const codec = codecFor(rr.type);
  if (codec !== undefined && codec.hasNames && opts.compress && codec.compressible) {
    codec.encode(w, rr.data, { compress: true, lowercase: false });
  } else {
    w.bytes(rr.rdata);
  }
  const length = w.length - lengthAt - 2;
  if (length > 0xffff) throw new WireError('DNS_ERR_TOO_BIG', `rdata of ${length} octets`);
  w.patchU16(lengthAt, length);
}

/** Parse rdata fields (tokens after the type) of `type`, including the generic `\#` form. */
export function parseRdataTokens(type: number, tokens: readonly Token[], origin: Name): Rdata {
  const t = new TokenStream(tokens, origin);
  if (tokens[0]?.text === '\\#' && !tokens[0].quoted) {
    t.token('\\#');
    return decodeRdata(type, parseGenericRdata(t));
  }
  const codec = codecFor(type);
  if (codec === undefined) {
    throw new WireError('DNS_ERR_BAD_TEXT', `type ${type} needs the generic \\# form`);
  }
  return codec.parse(t) as Rdata;
}

/** Presentation text of a record's rdata. */
export function formatRdata(rr: Rr): string {
  const codec = codecFor(rr.type);
  if (codec === undefined) return formatGenericRdata(rr.rdata);
  return codec.format(rr.data);
}

export { Name };
