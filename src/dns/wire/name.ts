/**
 * Domain names as sequences of labels of raw octets (RFC 1035 §3.1, RFC 2181 §11): case is
 * preserved, comparisons are ASCII-case-insensitive, and the canonical form and order are those
 * of RFC 4034 §6.1–6.2. Limits: 63 octets per label, 255 octets on the wire (RFC 1035 §2.3.4).
 * Presentation text uses `\.` and `\DDD` escapes (RFC 1035 §5.1). Pure; no I/O.
 */
import { WireError } from './errors.ts';

const MAX_LABEL = 63;
const MAX_NAME = 255;

function lowerOctet(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

function lowerLabel(label: Uint8Array): Uint8Array {
  let needs = false;
  for (const c of label) if (c >= 0x41 && c <= 0x5a) needs = true;
  if (!needs) return label;
  return label.map(lowerOctet);
}

/** Compare two labels as lower-cased octet strings (RFC 4034 §6.1). */
export function compareLabels(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = lowerOctet(a[i] as number) - lowerOctet(b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Characters escaped with a backslash in presentation form. */
const SPECIAL = new Set([0x2e, 0x3b, 0x28, 0x29, 0x22, 0x5c, 0x40, 0x24]); // . ; ( ) " \ @ $

function labelToText(label: Uint8Array): string {
  let out = '';
  for (const c of label) {
    if (c <= 0x20 || c >= 0x7f) out += '\\' + String(c).padStart(3, '0');
    else if (SPECIAL.has(c)) out += '\\' + String.fromCharCode(c);
    else out += String.fromCharCode(c);
  }
  return out;
}

/** An immutable domain name. `labels` excludes the root (empty) label. */
export class Name {
  /** The root name `.`. */
  static readonly ROOT: Name = new Name([]);

  readonly labels: readonly Uint8Array[];
  #key: string | undefined;

  /** Build from labels; throws WireError when a label or the name is too long or a label is empty. */
  constructor(labels: readonly Uint8Array[]) {
    let total = 1;
    for (const l of labels) {
      if (l.length === 0) throw new WireError('DNS_ERR_BAD_TEXT', 'empty label inside a name');
      if (l.length > MAX_LABEL) throw new WireError('DNS_ERR_LABEL_TOO_LONG', `label of ${l.length} octets`);
      total += l.length + 1;
    }
    if (total > MAX_NAME) throw new WireError('DNS_ERR_NAME_TOO_LONG', `name of ${total} octets`);
    this.labels = labels;
  }

  /**
   * Parse presentation text. A name without a trailing dot is relative to `origin` (the root when
   * none is given); `@` is the origin itself.
   */
  static parse(text: string, origin: Name = Name.ROOT): Name {
    if (text === '@') return origin;
    if (text === '.') return Name.ROOT;
    if (text.length === 0) throw new WireError('DNS_ERR_BAD_TEXT', 'empty name');
    const labels: Uint8Array[] = [];
    let cur: number[] = [];
    let absolute = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x5c) {
        const d = /^\d{3}/.exec(text.slice(i + 1, i + 4));
        if (d !== null) {
          const v = Number(d[0]);
          if (v > 255) throw new WireError('DNS_ERR_BAD_TEXT', `bad escape \\${d[0]} in name '${text}'`);
          cur.push(v);
          i += 3;
        } else if (i + 1 < text.length) {
          cur.push(text.charCodeAt(++i));
        } else {
          throw new WireError('DNS_ERR_BAD_TEXT', `dangling backslash in name '${text}'`);
        }
      } else if (ch === 0x2e) {
        if (cur.length === 0) throw new WireError('DNS_ERR_BAD_TEXT', `empty label in name '${text}'`);
        labels.push(Uint8Array.from(cur));
        cur = [];
        if (i === text.length - 1) absolute = true;
      } else {
        if (ch > 0xff) throw new WireError('DNS_ERR_BAD_TEXT', `non-ASCII character in name '${text}'`);
        cur.push(ch);
      }
    }
    if (!absolute) labels.push(Uint8Array.from(cur));
    const all = absolute ? labels : [...labels, ...origin.labels];
    try {
      return new Name(all);
    } catch (e) {
      if (e instanceof WireError) throw new WireError(e.code, `${e.message} in '${text}'`);
      throw e;
    }
  }

  /** Number of labels, not counting the root. */
  get labelCount(): number {
    return this.labels.length;
  }

  /** True for the root name. */
  get isRoot(): boolean {
    return this.labels.length === 0;
  }

  /** True when the leftmost label is `*` (RFC 4592). */
  get isWildcard(): boolean {
    const first = this.labels[0];
    return first !== undefined && first.length === 1 && first[0] === 0x2a;
  }

  /** Uncompressed wire length in octets (including the root label). */
  get wireLength(): number {
    let n = 1;
    for (const l of this.labels) n += l.length + 1;
    return n;
  }

  /** Presentation form, always fully qualified (`mx.example.` / `.`). */
  toString(): string {
    if (this.labels.length === 0) return '.';
    return this.labels.map(labelToText).join('.') + '.';
  }

  /** A case-insensitive key for maps and sets (the lower-cased presentation form). */
  key(): string {
    this.#key ??= this.canonical().toString();
    return this.#key;
  }

  /** The name with every ASCII upper-case letter lowered (RFC 4034 §6.2). */
  canonical(): Name {
    const labels = this.labels.map(lowerLabel);
    return labels.some((l, i) => l !== this.labels[i]) ? new Name(labels) : this;
  }

  /** Uncompressed wire form, case preserved. */
  toWire(): Uint8Array {
    const out = new Uint8Array(this.wireLength);
    let off = 0;
    for (const l of this.labels) {
      out[off++] = l.length;
      out.set(l, off);
      off += l.length;
    }
    out[off] = 0;
    return out;
  }

  /** Case-insensitive equality. */
  equals(other: Name): boolean {
    if (other.labels.length !== this.labels.length) return false;
    for (let i = 0; i < this.labels.length; i++) {
      if (compareLabels(this.labels[i] as Uint8Array, other.labels[i] as Uint8Array) !== 0) return false;
    }
    return true;
  }

  /** True when this name equals `ancestor` or lies below it. */
  isSubdomainOf(ancestor: Name): boolean {
    const skip = this.labels.length - ancestor.labels.length;
    if (skip < 0) return false;
    for (let i = 0; i < ancestor.labels.length; i++) {
      const a = this.labels[skip + i] as Uint8Array;
      if (compareLabels(a, ancestor.labels[i] as Uint8Array) !== 0) return false;
    }
    return true;
  }

  /** The name with the `n` leftmost labels removed (`parent()` is `stripLeft(1)`). */
  stripLeft(n: number): Name {
    if (n <= 0) return this;
    return new Name(this.labels.slice(Math.min(n, this.labels.length)));
  }

  /** The immediate parent, or undefined for the root. */
  parent(): Name | undefined {
    return this.isRoot ? undefined : this.stripLeft(1);
  }

  /** The rightmost `n` labels of this name (`suffix(0)` is the root). */
  suffix(n: number): Name {
    return this.stripLeft(this.labels.length - n);
  }

  /** This name with `label` (presentation text or octets) prepended. */
  prepend(label: string | Uint8Array): Name {
    const bytes = typeof label === 'string' ? Uint8Array.from(label, (c) => c.charCodeAt(0) & 0xff) : label;
    return new Name([bytes, ...this.labels]);
  }

  /** Number of rightmost labels shared with `other` (case-insensitive). */
  commonSuffixLength(other: Name): number {
    let n = 0;
    const a = this.labels;
    const b = other.labels;
    while (n < a.length && n < b.length) {
      if (compareLabels(a[a.length - 1 - n] as Uint8Array, b[b.length - 1 - n] as Uint8Array) !== 0) break;
      n++;
    }
    return n;
  }
}

/** Canonical DNS name order (RFC 4034 §6.1): compare labels right to left, lower-cased. */
export function compareNames(a: Name, b: Name): number {
  const la = a.labels;
  const lb = b.labels;
  const n = Math.min(la.length, lb.length);
  for (let i = 1; i <= n; i++) {
    const d = compareLabels(la[la.length - i] as Uint8Array, lb[lb.length - i] as Uint8Array);
    if (d !== 0) return d;
  }
  return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
}
