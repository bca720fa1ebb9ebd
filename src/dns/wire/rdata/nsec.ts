/**
 * NSEC (RFC 4034 §4): the next owner name in canonical order and the types present at this
 * owner. Since RFC 6840 §5.1 the next name is NOT lower-cased in canonical form.
 */
import type { Name } from '../name.ts';
import { writeRdataName, type RdataCodec } from './codec.ts';
import { encodeTypeBitmap, formatTypeList, parseTypeList, readTypeBitmap } from './type-bitmap.ts';

export interface NsecRdata {
  nextName: Name;
  /** Types present at the owner, ascending. */
  types: number[];
  /** The raw type-bitmap octets (as received, or encoded from `types`). */
  bitmap: Uint8Array;
}

/** Build NSEC rdata from a type list (the bitmap is computed). */
export function makeNsec(nextName: Name, types: readonly number[]): NsecRdata {
  const bitmap = encodeTypeBitmap(types);
  return { nextName, types: [...new Set(types)].sort((a, b) => a - b), bitmap };
}

export const nsecCodec: RdataCodec<NsecRdata> = {
  type: 47,
  hasNames: true,
  compressible: false,
  decode(r) {
    const nextName = r.name('NSEC next name');
    return { nextName, ...readTypeBitmap(r) };
  },
  encode(w, d, opts) {
    // RFC 6840 §5.1: "DNS names in the RDATA section of NSEC resource records are not converted
    // to lowercase." So the canonical (lowercase) encoding keeps the next name as it is.
    writeRdataName(w, d.nextName, false, { ...opts, lowercase: false });
    w.bytes(d.bitmap);
  },
  parse(t) {
    const nextName = t.name('NSEC next name');
    return makeNsec(nextName, parseTypeList(t));
  },
  format(d) {
    return `${d.nextName.toString()} ${formatTypeList(d.types)}`.trimEnd();
  },
};
