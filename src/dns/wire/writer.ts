/**
 * A growable writer for DNS messages with optional name compression (RFC 1035 §4.1.4): a name's
 * suffixes are remembered by their case-insensitive key, and a later name whose suffix was already
 * written points back to it. Pure; no I/O.
 */
import { WireError } from './errors.ts';
import { Name } from './name.ts';

export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;
  readonly #names = new Map<string, number>();

  constructor(initial = 512) {
    this.#buf = new Uint8Array(initial);
    this.#view = new DataView(this.#buf.buffer);
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
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#grow(1);
    this.#view.setUint8(this.#len++, v);
  }

  u16(v: number): void {
    this.#grow(2);
    this.#view.setUint16(this.#len, v);
    this.#len += 2;
  }

  u32(v: number): void {
    this.#grow(4);
    this.#view.setUint32(this.#len, v >>> 0);
    this.#len += 4;
  }

  bytes(b: Uint8Array): void {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Overwrite a 16-bit value already written (RDLENGTH, counts). */
  patchU16(offset: number, v: number): void {
    this.#view.setUint16(offset, v);
  }

  /**
   * Write a name; with `compress`, reuse earlier suffixes. `lowercase` writes the canonical form
   * (RFC 4034 §6.2). Compression offsets are only remembered for names written with `compress`.
   */
  name(name: Name, opts: { compress?: boolean; lowercase?: boolean } = {}): void {
    const n = opts.lowercase === true ? name.canonical() : name;
    const labels = n.labels;
    for (let i = 0; i < labels.length; i++) {
      if (opts.compress === true) {
        const key = n.stripLeft(i).key();
        const at = this.#names.get(key);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
        if (this.#len < 0x4000) this.#names.set(key, this.#len);
      }
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
