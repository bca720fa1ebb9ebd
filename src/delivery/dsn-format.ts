/**
 * Text building blocks of delivery status notifications: header and DSN fields folded within
 * RFC 5322's line limits, text from remote servers made safe to embed, and addresses typed per
 * RFC 3464 §2.3.2 / RFC 6533 §3 (`rfc822;` for ASCII, `utf-8;` otherwise, escaped with
 * `\x{HEX}` where the report must stay ASCII).
 * Must never: let a CR, LF or control character from a remote reply, an ENVID or an address
 * break a header line or the MIME structure. Pure: no I/O.
 */

/** RFC 5322 §2.1.1: "Each line of characters MUST be no more than 998 characters … excluding the CRLF." */
const HARD_LIMIT = 998;
/** RFC 5322 §2.1.1: "… SHOULD be no more than 78 characters, excluding the CRLF." */
const SOFT_LIMIT = 78;
/** Words longer than this are split (a fold may only happen at white space). */
const LONG_WORD = 900;
/** A diagnostic longer than this is cut: a report is not the place for a novel. */
const MAX_TEXT = 2000;

/**
 * One line of text fit for a header field: control characters (CR, LF, NUL, DEL, C1) become a
 * space, runs of white space one space; with `ascii`, anything above U+007E becomes `?`.
 */
export function safeText(text: string, opts: { ascii: boolean }): string {
  // eslint-disable-next-line no-control-regex
  let out = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  if (opts.ascii) out = out.replace(/[^\u0020-\u007e]/gu, '?');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_TEXT ? `${out.slice(0, MAX_TEXT)}...` : out;
}

/**
 * `Name: value` folded (RFC 5322 §2.2.3: CRLF inserted before white space) so that lines stay
 * within 78 characters where the words allow and never exceed 998. Lines end in CRLF.
 */
export function foldField(name: string, value: string): string {
  const words = value.split(' ').flatMap((w) => {
    if (w.length <= LONG_WORD) return [w];
    const parts: string[] = [];
    for (let i = 0; i < w.length; i += LONG_WORD) parts.push(w.slice(i, i + LONG_WORD));
    return parts;
  });
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of words) {
    if (word === '') continue;
    if (line.length + 1 + word.length > SOFT_LIMIT && line.trim().length > name.length + 1) {
      lines.push(line);
      line = ` ${word}`;
    } else {
      line += ` ${word}`;
    }
  }
  lines.push(line);
  for (const l of lines)
    if (l.length > HARD_LIMIT) throw new RangeError(`folded line longer than ${HARD_LIMIT}`);
  return lines.map((l) => `${l}\r\n`).join('');
}

/** True when `text` is printable ASCII only. */
export function isPrintableAscii(text: string): boolean {
  return /^[\u0020-\u007e]*$/.test(text);
}

/**
 * RFC 6533 §3: utf-8-addr-xtext — "… non-ASCII characters … encoded using the
 * embedded-unicode-char \x{HEXPOINT}"; used where the report must stay ASCII. The backslash
 * itself and characters outside the printable range are escaped the same way.
 */
export function utf8AddrXtext(address: string): string {
  let out = '';
  for (const ch of address) {
    const cp = ch.codePointAt(0) ?? 0;
    out +=
      cp > 0x20 && cp < 0x7f && ch !== '\\' && ch !== '+' && ch !== '='
        ? ch
        : `\\x{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

/**
 * A typed address for Final-Recipient / Original-Recipient (RFC 3464 §2.3.1–2.3.2): `rfc822;`
 * when it is ASCII; otherwise RFC 6533's `utf-8;`, raw in a message/global-delivery-status
 * (utf-8-addr-unitext) and `\x{…}`-escaped in a plain message/delivery-status.
 */
export function typedAddress(address: string, global: boolean): string {
  // eslint-disable-next-line no-control-regex
  const clean = address.replace(/[\u0000-\u001f\u007f-\u009f\s]/g, '');
  if (isPrintableAscii(clean)) return `rfc822;${clean}`;
  return global ? `utf-8;${clean}` : `utf-8;${utf8AddrXtext(clean)}`;
}

/**
 * The ORCPT as stored (`addr-type;address`, xtext already decoded) as an Original-Recipient
 * value; a non-ASCII address in an ASCII report is escaped per RFC 6533 §3.
 */
export function originalRecipient(orcpt: string, global: boolean): string | undefined {
  const semi = orcpt.indexOf(';');
  if (semi <= 0) return undefined;
  const type = orcpt.slice(0, semi).trim().toLowerCase();
  // eslint-disable-next-line no-control-regex
  const address = orcpt.slice(semi + 1).replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  if (!/^[a-z0-9-]+$/.test(type) || address === '') return undefined;
  if (isPrintableAscii(address)) return `${type};${address}`;
  return global ? `utf-8;${address}` : `utf-8;${utf8AddrXtext(address)}`;
}
