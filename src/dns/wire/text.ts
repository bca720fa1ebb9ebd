/**
 * Presentation-format (zone file) tokens (RFC 1035 §5.1): whitespace-separated fields, quoted
 * strings, `\X` / `\DDD` escapes kept for the field parsers, `;` comments and `( … )` grouping
 * over several lines. `TokenStream` hands typed fields to the rdata parsers. Pure; no I/O.
 */
import { WireError } from './errors.ts';
import { Name } from './name.ts';

export interface Token {
  /** Raw text with escapes still in place (quotes removed for quoted strings). */
  text: string;
  quoted: boolean;
}

/**
 * Split one logical record (parentheses already joined or not) into tokens. Returns an empty
 * list for a blank or comment-only line. `startsWithBlank` tells whether the line began with
 * whitespace (the owner is then inherited from the previous record).
 */
export function tokenize(line: string): { tokens: Token[]; startsWithBlank: boolean } {
  const tokens: Token[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  while (i < n) {
    const c = line[i] as string;
    if (isSpace(c) || c === '(' || c === ')') {
      i++;
    } else if (c === ';') {
      break;
    } else if (c === '"') {
      let text = '';
      i++;
      while (i < n && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < n) text += line.slice(i, i + 2);
        else text += line[i] as string;
        i += line[i] === '\\' ? 2 : 1;
      }
      if (i >= n) throw new WireError('DNS_ERR_BAD_TEXT', 'unterminated quoted string');
      i++;
      tokens.push({ text, quoted: true });
    } else {
      let text = '';
      while (i < n) {
        const d = line[i] as string;
        if (isSpace(d) || d === ';' || d === '(' || d === ')' || d === '"') break;
        if (d === '\\' && i + 1 < n) {
          text += line.slice(i, i + 2);
          i += 2;
        } else {
          text += d;
          i++;
        }
      }
      tokens.push({ text, quoted: false });
    }
  }
  const first = line[0];
  return { tokens, startsWithBlank: first === ' ' || first === '\t' };
}

/**
 * Join the physical lines of a zone file into logical records: a `(` opens a group that runs to
 * the matching `)`, across newlines; quotes and comments are respected.
 */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + (text[++i] as string);
      continue;
    }
    if (inQuote) {
      if (c === '"') inQuote = false;
      cur += c;
      continue;
    }
    if (c === ';') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === '"') inQuote = true;
    if (c === '(') depth++;
    if (c === ')') {
      if (depth === 0) throw new WireError('DNS_ERR_BAD_TEXT', "unbalanced ')'");
      depth--;
    }
    if (c === '\n' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c === '\n' ? ' ' : c;
  }
  if (depth !== 0) throw new WireError('DNS_ERR_BAD_TEXT', "unbalanced '('");
  if (inQuote) throw new WireError('DNS_ERR_BAD_TEXT', 'unterminated quoted string');
  out.push(cur);
  return out.filter((l) => l.trim().length > 0);
}

/** Turn the escapes of a character-string token into octets (RFC 1035 §5.1). */
export function unescapeBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c) {
      const d = /^\d{3}/.exec(text.slice(i + 1, i + 4));
      if (d !== null) {
        const v = Number(d[0]);
        if (v > 255) throw new WireError('DNS_ERR_BAD_TEXT', `bad escape \\${d[0]}`);
        out.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        out.push(text.charCodeAt(++i) & 0xff);
      } else {
        throw new WireError('DNS_ERR_BAD_TEXT', 'dangling backslash');
      }
    } else {
      if (ch > 0xff) throw new WireError('DNS_ERR_BAD_TEXT', 'non-ASCII character in text');
      out.push(ch);
    }
  }
  return Uint8Array.from(out);
}

/** Presentation form of a character-string: quoted, with `"` and `\` escaped, others as \DDD. */
export function quoteBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const c of bytes) {
    if (c === 0x22 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c >= 0x7f) out += '\\' + String(c).padStart(3, '0');
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** Typed access to the fields of one record's rdata. */
export class TokenStream {
  readonly #tokens: readonly Token[];
  #i = 0;
  readonly origin: Name;

  constructor(tokens: readonly Token[], origin: Name) {
    this.#tokens = tokens;
    this.origin = origin;
  }

  get atEnd(): boolean {
    return this.#i >= this.#tokens.length;
  }

  /** The next token, or a DNS_ERR_BAD_TEXT naming the missing field. */
  token(what: string): Token {
    const t = this.#tokens[this.#i];
    if (t === undefined) throw new WireError('DNS_ERR_BAD_TEXT', `missing ${what}`);
    this.#i++;
    return t;
  }

  text(what: string): string {
    return this.token(what).text;
  }

  /** An unsigned integer of at most `max`. */
  int(what: string, max: number): number {
    const t = this.text(what);
    if (!/^\d+$/.test(t)) throw new WireError('DNS_ERR_BAD_TEXT', `${what} '${t}' is not a number`);
    const v = Number(t);
    if (v > max) throw new WireError('DNS_ERR_BAD_TEXT', `${what} ${t} is over ${max}`);
    return v;
  }

  name(what: string): Name {
    const t = this.text(what);
    return Name.parse(t, this.origin);
  }

  /** All remaining tokens (for base64/hex fields that may contain spaces). */
  rest(): Token[] {
    const out = this.#tokens.slice(this.#i);
    this.#i = this.#tokens.length;
    return out;
  }

  /** Remaining tokens joined without spaces (base64 / hex). */
  restJoined(what: string, allowEmpty = false): string {
    const joined = this.rest()
      .map((t) => t.text)
      .join('');
    if (!allowEmpty && joined.length === 0) throw new WireError('DNS_ERR_BAD_TEXT', `missing ${what}`);
    return joined;
  }

  /** Throw if tokens are left over. */
  end(what: string): void {
    const t = this.#tokens[this.#i];
    if (t !== undefined) throw new WireError('DNS_ERR_BAD_TEXT', `unexpected '${t.text}' after ${what}`);
  }
}
