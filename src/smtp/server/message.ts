/**
 * What intake checks and adds to a message: a streaming scan of DATA (8-bit octets, bare CR or
 * LF, over-long lines — RFC 6152 §3, RFC 5321 §2.3.8 and §4.5.3.1.6), the header section's
 * facts (Received: count for loop detection, RFC 5321 §6.3; Date and Message-ID presence), our
 * `Received:` field (RFC 5321 §4.4 with RFC 3848 / RFC 6531 §3.7.3 protocol types) and the
 * RFC 6409 §8 fixes of a submission (Date and Message-ID added when missing).
 * Must never: let client-controlled text (HELO name, addresses) break the Received: field.
 */
import { concatBytes } from '../../util/index.ts';
import { formatMessageDate } from '../protocol/index.ts';

/** RFC 5321 §4.5.3.1.6: "The maximum total length of a text line including the <CRLF> is 1000 octets." */
export const MAX_LINE = 998;

/** Incremental scan of the DATA octets as they arrive. */
export class DataScanner {
  eightBit = false;
  bareLineEnd = false;
  longLine = false;
  #line = 0;
  #cr = false;

  push(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (this.#cr && b !== 10) this.bareLineEnd = true;
      if (b === 10) {
        if (!this.#cr) this.bareLineEnd = true;
        this.#line = 0;
      } else if (b !== 13) {
        if (b >= 0x80) this.eightBit = true;
        this.#line++;
        if (this.#line > MAX_LINE) this.longLine = true;
      }
      this.#cr = b === 13;
    }
  }
}

export interface HeaderFacts {
  /** Offset just after the last header field's CRLF (where fields are inserted). */
  end: number;
  /** The header section is followed by the blank line (false: no body separator). */
  separated: boolean;
  /** Number of Received: fields. */
  received: number;
  hasDate: boolean;
  hasMessageId: boolean;
}

const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/** The facts of the header section at the start of `body` (RFC 5322 §2.2). */
export function scanHeader(body: Uint8Array): HeaderFacts {
  const facts: HeaderFacts = { end: 0, separated: false, received: 0, hasDate: false, hasMessageId: false };
  let pos = 0;
  let first = true;
  while (pos < body.length) {
    let eol = body.indexOf(10, pos);
    if (eol < 0) eol = body.length;
    const line = Buffer.from(body.buffer, body.byteOffset + pos, eol - pos)
      .toString('latin1')
      .replace(/\r$/, '');
    if (line === '') {
      facts.separated = true;
      break;
    }
    const continuation = /^[ \t]/.test(line) && !first;
    const m = FIELD.exec(line);
    if (!continuation && m === null) break;
    if (m !== null && !continuation) {
      const name = (m[1] ?? '').toLowerCase();
      if (name === 'received') facts.received++;
      else if (name === 'date') facts.hasDate = true;
      else if (name === 'message-id') facts.hasMessageId = true;
    }
    pos = Math.min(eol + 1, body.length);
    facts.end = pos;
    first = false;
  }
  return facts;
}

/** What our Received: field says. */
export interface ReceivedFacts {
  /** EHLO/HELO argument as given. */
  helo: string;
  /** Client IP address. */
  client: string;
  /** EHLO (ESMTP) or HELO (SMTP). */
  esmtp: boolean;
  /** TLS protocol and cipher, when the session is encrypted. */
  tls?: { protocol: string; cipher: string };
  authenticated: boolean;
  smtputf8: boolean;
  hostname: string;
  /** Queue id. */
  id: string;
  /** The recipient when there is exactly one (RFC 5321 §4.4 "for" clause). */
  for?: string;
  /** Time, ms. */
  now: number;
}

/**
 * RFC 3848 / RFC 6531 §3.7.3 "with" protocol types: ESMTP, ESMTPS, ESMTPA, ESMTPSA, and
 * UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA for SMTPUTF8 transactions; SMTP after HELO.
 */
export function protocolType(f: Pick<ReceivedFacts, 'esmtp' | 'tls' | 'authenticated' | 'smtputf8'>): string {
  if (!f.esmtp) return 'SMTP';
  const base = f.smtputf8 ? 'UTF8SMTP' : 'ESMTP';
  return `${base}${f.tls === undefined ? '' : 'S'}${f.authenticated ? 'A' : ''}`;
}

/** Client-controlled text reduced to characters that cannot end a comment or the field. */
function token(text: string): string {
  const t = text.replace(/[^A-Za-z0-9.\-:[\]_@+]/g, '?').slice(0, 255);
  return t === '' ? '?' : t;
}

/** An address for the "for" clause: nothing that could close the path or start a comment. */
function pathText(address: string): string {
  // eslint-disable-next-line no-control-regex
  return address.replace(/[\u0000-\u0020\u007f-\u009f<>()\\";]/g, '?').slice(0, 512);
}

/** Our Received: field, folded, CRLF-terminated (RFC 5321 §4.4). */
export function receivedHeader(f: ReceivedFacts): string {
  const lines = [`Received: from ${token(f.helo)} ([${token(f.client)}])`];
  if (f.tls !== undefined)
    lines.push(`\t(using ${token(f.tls.protocol)} with cipher ${token(f.tls.cipher)})`);
  const by = `\tby ${f.hostname} (dane-mta) with ${protocolType(f)} id ${token(f.id)}`;
  if (f.for === undefined) {
    lines.push(`${by};`, `\t${formatMessageDate(f.now)}`);
  } else {
    lines.push(by, `\tfor <${pathText(f.for)}>; ${formatMessageDate(f.now)}`);
  }
  return lines.map((l) => `${l}\r\n`).join('');
}

/**
 * The stored message: our Received: field first, then — for submissions (RFC 6409 §8.2, §8.3)
 * — Date and Message-ID appended to the header section when missing, then the client's data.
 */
export function finalMessage(
  data: Uint8Array,
  opts: { received: string; header: HeaderFacts; add?: { date?: string; messageId?: string } },
): Uint8Array {
  const enc = new TextEncoder();
  const received = enc.encode(opts.received);
  const fields =
    (opts.add?.date === undefined ? '' : `Date: ${opts.add.date}\r\n`) +
    (opts.add?.messageId === undefined ? '' : `Message-ID: ${opts.add.messageId}\r\n`);
  if (fields === '') return concatBytes([received, data]);
  const h = opts.header;
  // A message without any header field gets ours followed by the blank line that ends them.
  const separator = h.end === 0 && !h.separated ? '\r\n' : '';
  const endsWithNewline = h.end === 0 || data[h.end - 1] === 10;
  return concatBytes([
    received,
    data.subarray(0, h.end),
    enc.encode(`${endsWithNewline ? '' : '\r\n'}${fields}${separator}`),
    data.subarray(h.end),
  ]);
}
