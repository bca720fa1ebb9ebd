/**
 * The contract every rdata type implements: decode from a bounded window, encode (optionally with
 * compression and in canonical lower case), parse from and format to presentation text. One file
 * per type under rdata/ holds its struct and codec, as hickory-dns does. Pure; no I/O.
 */
import { fromBase64, fromHex } from '../../../util/index.ts';
import { WireError } from '../errors.ts';
import type { Name } from '../name.ts';
import type { Reader } from '../reader.ts';
import type { TokenStream } from '../text.ts';
import { DnssecAlgorithm } from '../types.ts';
import type { Writer } from '../writer.ts';

/** How names inside rdata are written. */
export interface NameOptions {
  /** Compress (only honoured for RFC 1035 types, RFC 3597 §4). */
  compress: boolean;
  /** Lower-case the names (canonical form, RFC 4034 §6.2 / RFC 6840 §5.1). */
  lowercase: boolean;
}

export interface RdataCodec<T> {
  readonly type: number;
  /** True when the rdata embeds domain names (its raw form is re-encoded uncompressed). */
  readonly hasNames: boolean;
  /** True for the RFC 1035 types whose names may be compressed when writing (RFC 3597 §4). */
  readonly compressible: boolean;
  /** Decode from a reader limited to exactly the rdata (must consume all of it). */
  decode(r: Reader): T;
  encode(w: Writer, data: T, opts: NameOptions): void;
  /** Parse the rdata fields of a presentation-format record. */
  parse(t: TokenStream): T;
  /** Presentation text of the rdata fields. */
  format(data: T): string;
}

/** Write a name inside rdata according to the codec's compressibility and the options. */
export function writeRdataName(w: Writer, name: Name, compressible: boolean, opts: NameOptions): void {
  w.name(name, { compress: compressible && opts.compress, lowercase: opts.lowercase });
}

/** Decode hex text of a presentation field into octets, as a WireError on bad input. */
export function hexToBytes(text: string, what: string): Uint8Array {
  try {
    return fromHex(text);
  } catch {
    throw new WireError('DNS_ERR_BAD_TEXT', `${what} is not valid hex`);
  }
}

/** Decode base64 text of a presentation field into octets, as a WireError on bad input. */
export function base64ToBytes(text: string, what: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    throw new WireError('DNS_ERR_BAD_TEXT', `${what} is not valid base64`);
  }
}

/**
 * DNSSEC algorithm mnemonics (RFC 4034 Appendix A.1 and the IANA registry): the names of
 * `DnssecAlgorithm` (types.ts) with '-' for '_', as in `DSA-NSEC3-SHA1`.
 */
const ALGORITHM_MNEMONICS: ReadonlyMap<string, number> = new Map(
  Object.entries(DnssecAlgorithm).map(([name, value]) => [name.replaceAll('_', '-'), value]),
);

/**
 * Read a DNSSEC algorithm field. RFC 4034 §2.2, §3.2 and §5.3: "The Algorithm field MUST be
 * represented either as an unsigned decimal integer or as an algorithm mnemonic".
 */
export function parseAlgorithm(t: TokenStream, what: string): number {
  const text = t.text(what);
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    if (v > 0xff) throw new WireError('DNS_ERR_BAD_TEXT', `${what} ${text} is over 255`);
    return v;
  }
  const v = ALGORITHM_MNEMONICS.get(text.toUpperCase());
  if (v === undefined)
    throw new WireError('DNS_ERR_BAD_TEXT', `${what} '${text}' is not a number or mnemonic`);
  return v;
}
