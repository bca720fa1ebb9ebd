/**
 * A bounded reader over a DNS message (RFC 1035 §4.1). Every read is checked against the end of
 * the current window; names are decompressed with pointers that must point strictly backwards
 * (before the label sequence that contains them) and within a hop limit (RFC 1035 §4.1.4), so a
 * hostile packet can neither read out of bounds nor loop. Pure; no I/O.
 */
import { WireError } from './errors.ts';
import { Name } from './name.ts';

const MAX_HOPS = 64;

export class Reader {
  /** The whole message (compression pointers refer to it). */
  readonly buf: Uint8Array;
  #pos: number;
  #end: number;
  readonly #view: DataView;

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    this.buf = buf;
    this.#pos = offset;
    this.#end = Math.min(end, buf.length);
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Current offset in the message. */
  get offset(): number {
    return this.#pos;
  }

  /** Octets left before the end of the current window. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** End of the current window. */
  get end(): number {
    return this.#end;
  }

  #need(n: number, what: string): void {
    if (this.#pos + n > this.#end) {
      throw new WireError(
        'DNS_ERR_TRUNCATED',
        `need ${n} octets for ${what}, ${this.remaining} left`,
        this.#pos,
      );
    }
  }

  u8(what = 'an 8-bit field'): number {
    this.#need(1, what);
    return this.#view.getUint8(this.#pos++);
  }

  u16(what = 'a 16-bit field'): number {
    this.#need(2, what);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }

  u32(what = 'a 32-bit field'): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** `n` octets (a view into the message — copy before mutating). */
  bytes(n: number, what = 'data'): Uint8Array {
    this.#need(n, what);
    const out = this.buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** All octets up to the end of the window. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /**
   * Run `fn` on a window of `length` octets starting here; `fn` must consume it exactly
   * (rdata is never allowed to over- or under-run its RDLENGTH).
   */
  window<T>(length: number, what: string, fn: (r: Reader) => T): T {
    this.#need(length, what);
    const sub = new Reader(this.buf, this.#pos, this.#pos + length);
    const value = fn(sub);
    if (sub.remaining !== 0) {
      throw new WireError('DNS_ERR_TRAILING', `${sub.remaining} unused octets in ${what}`, sub.offset);
    }
    this.#pos += length;
    return value;
  }

  /** A domain name, following compression pointers (which may lead outside the window). */
  name(what = 'a name'): Name {
    const labels: Uint8Array[] = [];
    let pos = this.#pos;
    let end = this.#end;
    let jumped = false;
    let hops = 0;
    let total = 1;
    let limit = pos; // a pointer must point strictly before the sequence that holds it
    for (;;) {
      if (pos >= end) throw new WireError('DNS_ERR_TRUNCATED', `${what} runs past the data`, pos);
      const len = this.buf[pos] as number;
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= end) throw new WireError('DNS_ERR_TRUNCATED', `${what}: cut compression pointer`, pos);
        const target = ((len & 0x3f) << 8) | (this.buf[pos + 1] as number);
        if (target >= limit)
          throw new WireError('DNS_ERR_BAD_POINTER', `${what}: pointer is not backwards`, pos);
        if (++hops > MAX_HOPS) throw new WireError('DNS_ERR_POINTER_LOOP', `${what}: too many pointers`, pos);
        if (!jumped) this.#pos = pos + 2;
        jumped = true;
        limit = target;
        pos = target;
        end = this.buf.length;
        continue;
      }
      if (kind !== 0) throw new WireError('DNS_ERR_BAD_LABEL_TYPE', `${what}: label type ${kind >> 6}`, pos);
      if (len === 0) {
        if (!jumped) this.#pos = pos + 1;
        break;
      }
      total += len + 1;
      if (total > 255) throw new WireError('DNS_ERR_NAME_TOO_LONG', `${what} is over 255 octets`, pos);
      if (pos + 1 + len > end)
        throw new WireError('DNS_ERR_TRUNCATED', `${what}: label runs past the data`, pos);
      labels.push(this.buf.slice(pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    return new Name(labels);
  }
}
