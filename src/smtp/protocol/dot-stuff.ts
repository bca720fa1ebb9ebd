/**
 * Streaming preparation of a message body for DATA: CRLF normalisation (bare LF and bare CR
 * become CRLF), dot-stuffing, the terminating `.CRLF`, detection of 8-bit content and of text
 * lines longer than 998 octets. Works across arbitrary chunk boundaries (a CR ending one chunk,
 * `\n.` split over two).
 * RFC 5321 §4.1.1.4 (end of data), §4.5.2 (transparency), §4.5.3.1.6 (text line length),
 * RFC 1870 §4 (SIZE counts CRLF pairs but not stuffed dots), RFC 6152 (8-bit content).
 * Must never: wrap or truncate an over-long line silently (the caller bounces 5.6.0); do I/O.
 */
import { concatBytes } from '../../util/index.ts';
import { SmtpError } from './errors.ts';

/*
 * RFC 5321 §4.5.3.1.6: "The maximum total length of a text line including the <CRLF> is 1000
 * octets (not counting the leading dot duplicated for transparency)."
 */
export const MAX_TEXT_LINE_OCTETS = 998;

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const TERMINATOR = new Uint8Array([DOT, CR, LF]);

/** Options of a DotStuffer. */
export interface DotStufferOptions {
  /** Longest line allowed, in octets without CRLF (default 998). */
  maxLineLength?: number;
}

/**
 * A streaming dot-stuffer. `push` each chunk of the message and send what it returns; `end`
 * returns the final bytes including `.CRLF`. Throws SMTP_ERR_LINE_TOO_LONG as soon as a line
 * exceeds the limit, and keeps throwing afterwards.
 */
export class DotStuffer {
  readonly #max: number;
  #atLineStart = true;
  #pendingCr = false;
  #lineLength = 0;
  #lineNumber = 1;
  #octets = 0;
  #eightBit = false;
  #error: SmtpError | undefined;
  #ended = false;

  constructor(options: DotStufferOptions = {}) {
    this.#max = options.maxLineLength ?? MAX_TEXT_LINE_OCTETS;
  }

  /** True once a byte ≥ 0x80 was seen (RFC 6152 BODY=8BITMIME territory). */
  get eightBit(): boolean {
    return this.#eightBit;
  }

  /** Message size as RFC 1870 counts it: CRLF-normalised, without stuffed dots or terminator. */
  get octets(): number {
    return this.#octets;
  }

  /** Stuff one chunk; returns the bytes to put on the wire. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.#error !== undefined) throw this.#error;
    if (this.#ended) throw new SmtpError('SMTP_ERR_ARGUMENT', 'DotStuffer.push after end');
    // Worst case every octet doubles (bare LF → CRLF, line-start dot → two dots), plus a held CR.
    const out = new Uint8Array(chunk.length * 2 + 2);
    let o = 0;
    let i = 0;
    const n = chunk.length;
    let nextCr = -1;
    let nextLf = -1;
    while (i < n) {
      if (this.#pendingCr) {
        this.#pendingCr = false;
        o = this.#newline(out, o);
        if (chunk[i] === LF) i++;
        continue;
      }
      const b = chunk[i] as number;
      if (b === CR) {
        this.#pendingCr = true;
        i++;
        continue;
      }
      if (b === LF) {
        o = this.#newline(out, o);
        i++;
        continue;
      }
      /* RFC 5321 §4.5.2: "Before sending a line of mail text, the SMTP client checks the first
         character of the line. If it is a period, one additional period is inserted at the
         beginning of the line." */
      if (this.#atLineStart && b === DOT) out[o++] = DOT;
      this.#atLineStart = false;
      // The run of line text up to the next CR or LF, found with native memchr-like scans.
      if (nextCr !== n && nextCr < i) nextCr = indexOrEnd(chunk, CR, i);
      if (nextLf !== n && nextLf < i) nextLf = indexOrEnd(chunk, LF, i);
      const end = Math.min(nextCr, nextLf);
      this.#text(chunk, i, end);
      out.set(chunk.subarray(i, end), o);
      o += end - i;
      i = end;
    }
    return out.subarray(0, o);
  }

  /** Account for the line text chunk[from, to): length limit, 8-bit, size. */
  #text(chunk: Uint8Array, from: number, to: number): void {
    this.#lineLength += to - from;
    this.#octets += to - from;
    if (!this.#eightBit && hasHighBit(chunk, from, to)) this.#eightBit = true;
    if (this.#lineLength > this.#max) this.#tooLong();
  }

  /** Finish the message: a final CRLF when the last line lacks one, then `.CRLF`. */
  end(): Uint8Array {
    if (this.#error !== undefined) throw this.#error;
    if (this.#ended) throw new SmtpError('SMTP_ERR_ARGUMENT', 'DotStuffer.end called twice');
    this.#ended = true;
    const out = new Uint8Array(5);
    let o = 0;
    // RFC 5321 §4.1.1.4: the mail data is terminated by a line containing only a period; a
    // message whose last line has no CRLF gets one, so the terminator stays on its own line.
    if (this.#pendingCr || !this.#atLineStart) o = this.#newline(out, o);
    out.set(TERMINATOR, o);
    return out.subarray(0, o + TERMINATOR.length);
  }

  #newline(out: Uint8Array, o: number): number {
    out[o] = CR;
    out[o + 1] = LF;
    this.#octets += 2;
    this.#atLineStart = true;
    this.#lineLength = 0;
    this.#lineNumber++;
    return o + 2;
  }

  #tooLong(): never {
    this.#error = new SmtpError(
      'SMTP_ERR_LINE_TOO_LONG',
      `message line ${this.#lineNumber} is longer than ${this.#max} octets`,
      { details: { line: this.#lineNumber, limit: this.#max } },
    );
    throw this.#error;
  }
}

/** Index of the next `byte` at or after `from`, or the length of `chunk`. */
function indexOrEnd(chunk: Uint8Array, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? chunk.length : at;
}

function hasHighBit(chunk: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((chunk[i] as number) >= 0x80) return true;
  return false;
}

/** A whole message prepared for DATA. */
export interface StuffedMessage {
  /** Wire bytes: normalised, dot-stuffed, ending in `.CRLF`. */
  chunks: Uint8Array[];
  /** RFC 1870 size (CRLF-normalised, without stuffed dots and terminator). */
  size: number;
  /** True when the body has octets ≥ 0x80. */
  eightBit: boolean;
}

/**
 * Stuff a whole message given as chunks (throws SMTP_ERR_LINE_TOO_LONG). The output keeps the
 * input's chunking so it can be written with back-pressure.
 */
export function stuffMessage(chunks: Iterable<Uint8Array>, options: DotStufferOptions = {}): StuffedMessage {
  const stuffer = new DotStuffer(options);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) {
    const wire = stuffer.push(chunk);
    if (wire.length > 0) out.push(wire);
  }
  out.push(stuffer.end());
  return { chunks: out, size: stuffer.octets, eightBit: stuffer.eightBit };
}

/**
 * The message as BDAT sends it (RFC 3030 §2: no transparency, the octets as they are): the
 * DotStuffer's output without the terminating `.CRLF` and without the dot added at the start of
 * each line that began with one. CRLF-normalised and ending in CRLF (unless empty), like what
 * DATA delivers.
 */
export function unstuff(wire: readonly Uint8Array[]): Uint8Array {
  const all = concatBytes(wire);
  const total = all.length;
  if (total < TERMINATOR.length || all[total - 3] !== DOT || all[total - 2] !== CR || all[total - 1] !== LF)
    throw new SmtpError('SMTP_ERR_ARGUMENT', 'unstuff: the input does not end in .CRLF');
  const end = total - TERMINATOR.length;
  const out = new Uint8Array(end);
  let o = 0;
  let i = 0;
  while (i < end) {
    if (all[i] === DOT) i++; // a line that starts with a dot had one added
    const lf = all.indexOf(LF, i);
    const next = lf === -1 || lf >= end ? end : lf + 1;
    out.set(all.subarray(i, next), o);
    o += next - i;
    i = next;
  }
  return out.subarray(0, o);
}
