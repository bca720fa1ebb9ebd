/**
 * Byte helpers shared by every layer: hex/base64 conversion, comparison and concatenation
 * of Uint8Arrays. Pure; no I/O.
 */

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Parse hex (case-insensitive; spaces, tabs and newlines ignored). Throws a TypeError on an
 * odd length or a non-hex character — callers wrap it into their own typed error.
 */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s]/g, '');
  if (clean.length % 2 !== 0) throw new TypeError('hex string has an odd number of digits');
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new TypeError('hex string has a non-hex character');
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

/** Standard base64 (with padding) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Parse standard base64; whitespace ignored; throws a TypeError on anything else. */
export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new TypeError('invalid base64 text');
  }
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

/** Lexicographic comparison of two byte strings (as memcmp, shorter first on a tie). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** True when both byte strings are identical. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** Concatenate byte strings into a new Uint8Array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** ASCII bytes of a string that is known to be ASCII (chars above 0xff are truncated). */
export function asciiBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}
