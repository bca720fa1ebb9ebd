/**
 * Incremental SMTP reply parser: bytes from the server in, complete `Reply` objects out.
 * Implements RFC 5321 §4.2 (reply lines, multi-line replies), §4.5.3.1.5 (reply line length;
 * we are lenient up to a configurable cap), RFC 2034 §4 / RFC 3463 §2 (enhanced status codes).
 * Must never: do I/O, buffer without bound, or let a hostile server's bytes reach a caller as
 * anything but a typed SmtpError or a sanitised Reply.
 */
import { SmtpError } from './errors.ts';

/** A complete SMTP reply. */
export interface Reply {
  /** The three-digit reply code (RFC 5321 §4.2). */
  code: number;
  /** RFC 3463 enhanced status code of the first line (`2.1.0`), when present and consistent. */
  enhanced?: string;
  /** The text of each line after `NNN-` / `NNN ` (control characters replaced by `?`). */
  lines: string[];
  /** All lines' text without their enhanced code, joined by single spaces. */
  text: string;
}

/** Limits that keep a hostile server from making us buffer without end. */
export interface ReplyLimits {
  /** Longest reply line accepted, in octets before CRLF (RFC 5321 says 512; we allow more). */
  maxLineLength: number;
  /** Most lines accepted in one multi-line reply. */
  maxLines: number;
}

/** Default limits: 4096 octets per line, 200 lines per reply. */
export const DEFAULT_REPLY_LIMITS: Readonly<ReplyLimits> = { maxLineLength: 4096, maxLines: 200 };

/** What one `ReplyParser.push` produced. */
export interface ParseResult {
  replies: Reply[];
  error?: SmtpError;
}

/** One parsed reply line. */
export interface ReplyLine {
  code: number;
  /** True for `NNN SP text` / `NNN` (the last line), false for `NNN-text`. */
  final: boolean;
  text: string;
}

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder('utf-8', { fatal: false });

/*
 * RFC 5321 §4.2:
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 * We accept any second digit 0-9 (as Postfix does) but insist on a first digit 2-5.
 */
const REPLY_LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;

/** Parse one reply line (without CRLF). Throws SMTP_ERR_PROTOCOL on anything else. */
export function parseReplyLine(line: string): ReplyLine {
  const m = REPLY_LINE.exec(line);
  if (m === null) {
    throw new SmtpError('SMTP_ERR_PROTOCOL', `malformed reply line from server: ${quoteForError(line)}`);
  }
  return { code: Number(m[1]), final: m[2] !== '-', text: m[3] ?? '' };
}

/*
 * RFC 3463 §2: status-code = class "." subject "." detail;
 *   class = "2"/"4"/"5"; subject = 1*3digit; detail = 1*3digit
 * RFC 2034: the enhanced status code starts the text of each reply line and is followed by SP.
 */
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

/**
 * The enhanced status code at the start of `text`, if present and its class matches the
 * basic code's first digit (a `550 2.0.0 …` reply has no valid enhanced code).
 */
export function extractEnhanced(code: number, text: string): string | undefined {
  const m = ENHANCED.exec(text);
  if (m === null) return undefined;
  if (Number(m[1]) !== Math.floor(code / 100)) return undefined;
  return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
}

/** Build a Reply from its parsed lines (all with the same code; at least one). */
export function buildReply(lines: readonly ReplyLine[]): Reply {
  const first = lines[0];
  if (first === undefined) throw new SmtpError('SMTP_ERR_PROTOCOL', 'empty reply');
  const texts = lines.map((l) => l.text);
  const enhanced = extractEnhanced(first.code, first.text);
  const stripped = texts.map((t) => stripEnhanced(t, enhanced));
  const text = stripped.filter((t) => t.length > 0).join(' ');
  return enhanced === undefined
    ? { code: first.code, lines: texts, text }
    : { code: first.code, enhanced, lines: texts, text };
}

function stripEnhanced(text: string, enhanced: string | undefined): string {
  if (enhanced === undefined) return text;
  const m = ENHANCED.exec(text);
  return m === null ? text : text.slice(m[0].length).trimStart();
}

/**
 * Incremental reply parser. Feed it whatever the socket delivers; it returns every reply that
 * became complete. After it throws once it stays broken and throws the same error again.
 */
export class ReplyParser {
  readonly #limits: ReplyLimits;
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  #lines: ReplyLine[] = [];
  #error: SmtpError | undefined;

  constructor(limits: Partial<ReplyLimits> = {}) {
    this.#limits = { ...DEFAULT_REPLY_LIMITS, ...limits };
  }

  /** True while bytes of an incomplete line or lines of an incomplete reply are buffered. */
  get hasPartial(): boolean {
    return this.#partialLength > 0 || this.#lines.length > 0;
  }

  /**
   * Feed bytes. Returns the replies they completed, in order, and — when the bytes turned out
   * to be malformed — the error, after the replies that were complete before it (so a `421`
   * followed by garbage still reports the 421). Once an error was returned, every later call
   * returns it again with no replies.
   */
  push(chunk: Uint8Array): ParseResult {
    if (this.#error !== undefined) return { replies: [], error: this.#error };
    const replies: Reply[] = [];
    try {
      this.#consume(chunk, replies);
      return { replies };
    } catch (err) {
      this.#error =
        err instanceof SmtpError
          ? err
          : new SmtpError('SMTP_ERR_PROTOCOL', 'reply parse failure', { cause: err });
      return { replies, error: this.#error };
    }
  }

  #consume(chunk: Uint8Array, out: Reply[]): void {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf;
      this.#append(chunk.subarray(start, end));
      if (lf === -1) break;
      const reply = this.#line(this.#takeLine());
      if (reply !== undefined) out.push(reply);
      start = lf + 1;
    }
  }

  #append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#partial.push(bytes.slice());
    this.#partialLength += bytes.length;
    // The CR of a CRLF may still be in here; allow one octet for it.
    if (this.#partialLength > this.#limits.maxLineLength + 1) {
      throw new SmtpError(
        'SMTP_ERR_PROTOCOL',
        `reply line from server exceeds ${this.#limits.maxLineLength} octets`,
      );
    }
  }

  #takeLine(): string {
    let bytes = new Uint8Array(this.#partialLength);
    let off = 0;
    for (const p of this.#partial) {
      bytes.set(p, off);
      off += p.length;
    }
    this.#partial = [];
    this.#partialLength = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.#limits.maxLineLength) {
      throw new SmtpError(
        'SMTP_ERR_PROTOCOL',
        `reply line from server exceeds ${this.#limits.maxLineLength} octets`,
      );
    }
    return sanitise(decoder.decode(bytes));
  }

  #line(text: string): Reply | undefined {
    const line = parseReplyLine(text);
    const first = this.#lines[0];
    // RFC 5321 §4.2.1: every line of a multi-line reply carries the same code.
    if (first !== undefined && first.code !== line.code) {
      throw new SmtpError(
        'SMTP_ERR_PROTOCOL',
        `inconsistent codes in a multi-line reply (${first.code} then ${line.code})`,
      );
    }
    this.#lines.push(line);
    if (!line.final) {
      if (this.#lines.length >= this.#limits.maxLines) {
        throw new SmtpError('SMTP_ERR_PROTOCOL', `reply from server exceeds ${this.#limits.maxLines} lines`);
      }
      return undefined;
    }
    const reply = buildReply(this.#lines);
    this.#lines = [];
    return reply;
  }
}

/** Replace C0 controls (except TAB), DEL and C1 controls by `?` so replies are safe to print. */
function sanitise(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '?');
}

function quoteForError(line: string): string {
  const short = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return JSON.stringify(short);
}

/** The reply class: 2 (success), 3 (intermediate), 4 (transient), 5 (permanent). */
export function replyClass(reply: Reply): number {
  return Math.floor(reply.code / 100);
}

/** True for 2xx replies. */
export function isPositive(reply: Reply): boolean {
  return replyClass(reply) === 2;
}

/** The reply as the server sent it, one string per line (`250-…`, `250 …`), for transcripts. */
export function formatReply(reply: Reply): string[] {
  const lines = reply.lines.length > 0 ? reply.lines : [''];
  return lines.map((text, i) => {
    const sep = i === lines.length - 1 ? ' ' : '-';
    return text.length === 0 && sep === ' ' ? String(reply.code) : `${reply.code}${sep}${text}`;
  });
}
