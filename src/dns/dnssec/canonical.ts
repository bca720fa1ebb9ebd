/**
 * Canonical form of RRs and RRsets and the data an RRSIG signs (RFC 4034 §3.1.8.1, §6.2,
 * §6.3; RFC 6840 §5.1; RFC 4035 §5.3.2). Works on the raw rdata octets the wire layer keeps
 * (uncompressed, case preserved) and lower-cases only the domain names inside the rdata of the
 * types RFC 4034 §6.2 item 3 lists, as corrected by RFC 6840 §5.1. Must never lower-case
 * anything else (HINFO text, NSEC next names). Pure; no I/O.
 */
import { compareBytes } from '../../util/index.ts';
import type { Name, Rr, RrsigRdata } from '../wire/index.ts';

/** Layout of an rdata: the fields to walk to find the embedded names. */
type Field = 'name' | 'str' | number;

/*
 * RFC 4034 §6.2 item 3: "if the type of the RR is NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR,
 * HINFO, MINFO, MX, HINFO, RP, AFSDB, RT, SIG, PX, NXT, NAPTR, KX, SRV, DNAME, A6, RRSIG, or
 * NSEC, all uppercase US-ASCII letters in the DNS names contained within the RDATA are replaced
 * by the corresponding lowercase US-ASCII letters". RFC 6840 §5.1: "DNS names in the RDATA
 * section of NSEC resource records are not converted to lowercase. DNS names in the RDATA
 * section of RRSIG resource records are converted to lowercase." HINFO holds no names.
 * Fields after the last name are left as they are.
 */
const LAYOUTS: ReadonlyMap<number, readonly Field[]> = new Map<number, readonly Field[]>([
  [2, ['name']], // NS
  [3, ['name']], // MD
  [4, ['name']], // MF
  [5, ['name']], // CNAME
  [6, ['name', 'name']], // SOA (then 20 fixed octets)
  [7, ['name']], // MB
  [8, ['name']], // MG
  [9, ['name']], // MR
  [12, ['name']], // PTR
  [14, ['name', 'name']], // MINFO
  [15, [2, 'name']], // MX
  [17, ['name', 'name']], // RP
  [18, [2, 'name']], // AFSDB
  [21, [2, 'name']], // RT
  [24, [18, 'name']], // SIG (then the signature)
  [26, [2, 'name', 'name']], // PX
  [30, ['name']], // NXT (then the bitmap)
  [33, [6, 'name']], // SRV
  [35, [4, 'str', 'str', 'str', 'name']], // NAPTR
  [36, [2, 'name']], // KX
  [39, ['name']], // DNAME
  [46, [18, 'name']], // RRSIG (then the signature)
]);

/** Types whose rdata names are lower-cased in canonical form (RFC 6840 §5.1's list). */
export const LOWERCASED_RDATA_TYPES: ReadonlySet<number> = new Set([...LAYOUTS.keys(), 38]);

/** Lower-case one uncompressed wire name in place at `off`; the offset after it, or -1. */
function lowerNameAt(buf: Uint8Array, off: number): number {
  let p = off;
  for (let hops = 0; hops < 128; hops++) {
    if (p >= buf.length) return -1;
    const len = buf[p] as number;
    if (len === 0) return p + 1;
    if (len > 63 || p + 1 + len > buf.length) return -1; // compressed or truncated: stop
    for (let i = p + 1; i <= p + len; i++) {
      const c = buf[i] as number;
      if (c >= 0x41 && c <= 0x5a) buf[i] = c + 0x20;
    }
    p += 1 + len;
  }
  return -1;
}

/** A6 (RFC 2874 §3.1): prefix length, address suffix octets, then the prefix name. */
function a6Layout(rdata: Uint8Array): readonly Field[] {
  const prefix = rdata[0] ?? 0;
  if (prefix === 0 || prefix > 128) return [];
  return [1 + Math.ceil((128 - prefix) / 8), 'name'];
}

function hasUpper(rdata: Uint8Array): boolean {
  for (const c of rdata) if (c >= 0x41 && c <= 0x5a) return true;
  return false;
}

/**
 * The canonical rdata of a record (RFC 4034 §6.2 item 3 with RFC 6840 §5.1): names inside the
 * rdata of the listed types lower-cased, everything else octet for octet. Returns `rr.rdata`
 * itself when nothing changes. Malformed rdata is returned as far as it could be walked;
 * its signature then simply fails.
 */
export function canonicalRdata(rr: Pick<Rr, 'type' | 'rdata'>): Uint8Array {
  const layout = rr.type === 38 ? a6Layout(rr.rdata) : LAYOUTS.get(rr.type);
  if (layout === undefined || layout.length === 0 || !hasUpper(rr.rdata)) return rr.rdata;
  const out = rr.rdata.slice();
  let off = 0;
  for (const f of layout) {
    if (f === 'name') off = lowerNameAt(out, off);
    else if (f === 'str') off = off < out.length ? off + 1 + (out[off] as number) : -1;
    else off += f;
    if (off < 0 || off > out.length) break;
  }
  return out;
}

/**
 * The owner name an RRSIG was computed over (RFC 4035 §5.3.2): when the RRSIG's Labels field is
 * less than the number of labels of the owner (not counting a leading `*`), the RRset was
 * synthesized from a wildcard and the signed owner is `*.` plus the rightmost `labels` labels.
 * Returns undefined when `labels` exceeds the owner's label count (RFC 4035 §5.3.1).
 */
export function signedOwner(owner: Name, labels: number): Name | undefined {
  const count = owner.isWildcard ? owner.labelCount - 1 : owner.labelCount;
  if (labels > count) return undefined;
  if (labels === count) return owner;
  return owner.suffix(labels).prepend('*');
}

/** Sort canonical rdatas (RFC 4034 §6.3: as left-justified unsigned octet strings) and drop duplicates. */
export function canonicalRdataSet(rdatas: readonly Uint8Array[]): Uint8Array[] {
  return sortUnique([...rdatas]);
}

/** Sort in place and drop duplicates. */
function sortUnique(sorted: Uint8Array[]): Uint8Array[] {
  sorted.sort(compareBytes);
  const out: Uint8Array[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || compareBytes(last, r) !== 0) out.push(r);
  }
  return out;
}

const wireCache = new WeakMap<Name, Uint8Array>();

/** The canonical (lower-case, uncompressed) wire form of a name, cached per Name object. */
function canonicalWire(name: Name): Uint8Array {
  let w = wireCache.get(name);
  if (w === undefined) {
    w = name.canonical().toWire();
    wireCache.set(name, w);
  }
  return w;
}

function put16(out: Uint8Array, off: number, v: number): void {
  out[off] = (v >>> 8) & 0xff;
  out[off + 1] = v & 0xff;
}

function put32(out: Uint8Array, off: number, v: number): void {
  put16(out, off, Math.floor(v / 0x10000) & 0xffff);
  put16(out, off + 2, v & 0xffff);
}

/** The RRSIG rdata fields up to and including the signer name, signer lower-cased (§3.1.8.1). */
export function rrsigPrefix(sig: RrsigRdata): Uint8Array {
  const signer = canonicalWire(sig.signerName);
  const out = new Uint8Array(18 + signer.length);
  writePrefix(out, sig, signer);
  return out;
}

function writePrefix(out: Uint8Array, sig: RrsigRdata, signer: Uint8Array): void {
  put16(out, 0, sig.typeCovered);
  out[2] = sig.algorithm;
  out[3] = sig.labels;
  put32(out, 4, sig.originalTtl);
  put32(out, 8, sig.expiration);
  put32(out, 12, sig.inception);
  put16(out, 16, sig.keyTag);
  out.set(signer, 18);
}

/**
 * The octets an RRSIG signs (RFC 4034 §3.1.8.1): "signature = sign(RRSIG_RDATA | RR(1) | RR(2)...)"
 * where RRSIG_RDATA is the RRSIG rdata without the signature (signer name in canonical form)
 * and each "RR(i) = owner | type | class | TTL | RDATA length | RDATA" in canonical form and
 * canonical order, with TTL = the RRSIG's Original TTL. Returns undefined when the RRSIG's
 * Labels field is larger than the owner's label count. The caller checks that every RR shares
 * owner, type and class (rrsig.ts does).
 */
export function signedData(rrset: readonly Rr[], sig: RrsigRdata): Uint8Array | undefined {
  const first = rrset[0];
  if (first === undefined) return undefined;
  const owner = signedOwner(first.name, sig.labels);
  if (owner === undefined) return undefined;
  const ownerWire = canonicalWire(owner);
  const rdatas = rrset.length === 1 ? [canonicalRdata(first)] : sortUnique(rrset.map(canonicalRdata));
  const signer = canonicalWire(sig.signerName);
  let total = 18 + signer.length;
  for (const r of rdatas) total += ownerWire.length + 10 + r.length;
  const out = new Uint8Array(total);
  writePrefix(out, sig, signer);
  let off = 18 + signer.length;
  for (const r of rdatas) {
    out.set(ownerWire, off);
    off += ownerWire.length;
    put16(out, off, first.type);
    put16(out, off + 2, first.class);
    put32(out, off + 4, sig.originalTtl);
    put16(out, off + 8, r.length);
    out.set(r, off + 10);
    off += 10 + r.length;
  }
  return out;
}
