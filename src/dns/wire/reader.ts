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
  /**
   * The reader's private copy of the whole message (compression pointers refer to it). Octets
   * handed out by `bytes()`, `rest()` and `name()` are views into this copy, so decoded records
   * never alias the caller's buffer, and decoding allocates one backing store per message.
   */
  readonly buf: Uint8Array;
  #pos: number;
  #end: number;
  #pointers = 0;

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    // One copy into a plain Uint8Array (a Buffer's subarray would build Buffers, which is slower).
    this.buf = new Uint8Array(buf);
    this.#pos = offset;
    this.#end = Math.min(end, buf.length);
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

  /** How many compression pointers `name()` has followed so far (to tell compressed rdata). */
  get pointersFollowed(): number {
    return this.#pointers;
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
    return this.buf[this.#pos++] as number;
  }

  u16(what = 'a 16-bit field'): number {
    this.#need(2, what);
    const b = this.buf;
    const p = this.#pos;
    this.#pos = p + 2;
    return ((b[p] as number) << 8) | (b[p + 1] as number);
  }

  u32(what = 'a 32-bit field'): number {
    this.#need(4, what);
    const b = this.buf;
    const p = this.#pos;
    this.#pos = p + 4;
    return (
      (b[p] as number) * 0x1000000 +
      (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))
    );
  }

  /** `n` octets: a view into the reader's copy of the message (shared; copy before mutating). */
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
   * (rdata is never allowed to over- or under-run its RDLENGTH). The window narrows this reader
   * for the duration of `fn` (no copy); offsets stay those of the whole message.
   */
  window<T>(length: number, what: string, fn: (r: Reader) => T): T {
    this.#need(length, what);
    const outer = this.#end;
    const end = this.#pos + length;
    this.#end = end;
    let value: T;
    try {
      value = fn(this);
    } finally {
      this.#end = outer;
    }
    if (this.#pos !== end) {
      throw new WireError('DNS_ERR_TRAILING', `${end - this.#pos} unused octets in ${what}`, this.#pos);
    }
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
        this.#pointers++;
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
      labels.push(this.buf.subarray(pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    return new Name(labels);
  }
}
