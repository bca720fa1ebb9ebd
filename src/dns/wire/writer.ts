/**
 * A growable writer for DNS messages with optional name compression (RFC 1035 §4.1.4): a name's
 * suffixes are remembered by their exact octets, and a later name whose suffix was already
 * written (with the same case) points back to it. Pure; no I/O.
 */
import { WireError } from './errors.ts';
import type { Name } from './name.ts';

export class Writer {
  #buf: Uint8Array;
  #len = 0;
  readonly #names = new Map<string, number>();

  constructor(initial = 512) {
    this.#buf = new Uint8Array(Math.max(16, initial));
  }

  get length(): number {
    return this.#len;
  }

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(v: number): void {
    this.#grow(1);
    this.#buf[this.#len++] = v;
  }

  u16(v: number): void {
    this.#grow(2);
    const b = this.#buf;
    b[this.#len] = v >>> 8;
    b[this.#len + 1] = v;
    this.#len += 2;
  }

  u32(v: number): void {
    this.#grow(4);
    const b = this.#buf;
    const p = this.#len;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.#len = p + 4;
  }

  bytes(b: Uint8Array): void {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Overwrite a 16-bit value already written (RDLENGTH, counts). */
  patchU16(offset: number, v: number): void {
    this.#buf[offset] = v >>> 8;
    this.#buf[offset + 1] = v;
  }

  /**
   * Write a name; with `compress`, reuse earlier suffixes. `lowercase` writes the canonical form
   * (RFC 4034 §6.2). Compression offsets are only remembered for names written with `compress`.
   * A pointer replaces a suffix only when its octets are identical, case included, so every name
   * keeps its case through an encode/decode round trip (RFC 4343 §4.1, output case preservation).
   */
  name(name: Name, opts: { compress?: boolean; lowercase?: boolean } = {}): void {
    const labels = (opts.lowercase === true ? name.canonical() : name).labels;
    if (opts.compress !== true) {
      for (const label of labels) {
        this.u8(label.length);
        this.bytes(label);
      }
      this.u8(0);
      return;
    }
    const keys = suffixKeys(labels);
    for (let i = 0; i < labels.length; i++) {
      const key = keys[i] as string;
      const at = this.#names.get(key);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.#len < 0x4000) this.#names.set(key, this.#len);
      const label = labels[i] as Uint8Array;
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  /** The written octets (a copy). */
  finish(): Uint8Array {
    if (this.#len > 0xffff) throw new WireError('DNS_ERR_TOO_BIG', `message of ${this.#len} octets`);
    return this.#buf.slice(0, this.#len);
  }
}

/**
 * Exact-octet keys of every suffix of a label sequence (`keys[i]` stands for labels i..end): the
 * uncompressed wire form as a string, and each suffix a substring of it (cheap in V8), so
 * distinct names never collide and case is significant.
 */
function suffixKeys(labels: readonly Uint8Array[]): string[] {
  let full = '';
  const starts = new Array<number>(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as Uint8Array;
    starts[i] = full.length;
    full += String.fromCharCode(label.length, ...label);
  }
  return starts.map((start) => full.substring(start));
}
