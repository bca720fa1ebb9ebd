/**
 * Envelope mailbox validation and splitting: local@domain, quoted local parts, address
 * literals ([192.0.2.1], [IPv6:2001:db8::1], general literals), the null reverse path <>, and
 * detection of non-ASCII addresses that need SMTPUTF8.
 * RFC 5321 §4.1.2 (Mailbox, Local-part, Domain, address-literal), §4.1.3 (address literals),
 * RFC 6531 §3.3 (UTF8-non-ascii in atext, qtext and sub-domain).
 * Must never: do I/O or IDNA conversion itself (that needs node:url; callers inject it).
 */
import { SmtpError } from './errors.ts';

/** A validated envelope mailbox. */
export interface Mailbox {
  /** Local part exactly as written (a quoted local part keeps its quotes). */
  localPart: string;
  /** Domain as written; an address literal keeps its brackets (`[192.0.2.1]`). */
  domain: string;
  /** What the domain part is. */
  domainKind: 'name' | 'ipv4' | 'ipv6' | 'general';
  /** For address literals: the address inside the brackets, without the `IPv6:` tag. */
  literal?: string;
  /** False when the local part or the domain has non-ASCII characters (needs SMTPUTF8). */
  ascii: boolean;
}

const fail = (text: string, why: string): never => {
  throw new SmtpError('SMTP_ERR_ARGUMENT', `invalid address ${JSON.stringify(text)}: ${why}`);
};

/* RFC 5322 atext plus RFC 6531 UTF8-non-ascii. */
const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+$/u;
/* RFC 5321: qtextSMTP = %d32-33 / %d35-91 / %d93-126; quoted-pairSMTP = %d92 %d32-126 */
const QUOTED = /^"(?:[\u0020\u0021\u0023-\u005b\u005d-\u007e\u0080-\u{10ffff}]|\\[\u0020-\u007e])*"$/u;
/* RFC 5321: sub-domain = Let-dig [Ldh-str]; RFC 6531 allows U-labels (non-ASCII). */
const LABEL =
  /^[A-Za-z0-9\u0080-\u{10ffff}](?:[A-Za-z0-9\-\u0080-\u{10ffff}]*[A-Za-z0-9\u0080-\u{10ffff}])?$/u;
/* RFC 5321: General-address-literal = Standardized-tag ":" 1*dcontent; dcontent = %d33-90 / %d94-126 */
const GENERAL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?:[\u0021-\u005a\u005e-\u007e]+$/;

/** True when `text` is pure ASCII. */
export function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u007f]*$/.test(text);
}

/** True for an RFC 5321 IPv4-address-literal body (four decimal octets 0-255). */
export function isIpv4Literal(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** True for an RFC 5321 §4.1.3 IPv6-addr (full, compressed, or with an embedded IPv4 tail). */
export function isIpv6Literal(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const all = groups.flat();
  const last = all[all.length - 1];
  let count = all.length;
  if (last !== undefined && last.includes('.')) {
    const lastHalf = groups[groups.length - 1] ?? [];
    if (lastHalf[lastHalf.length - 1] !== last || !isIpv4Literal(last)) return false;
    all.pop();
    count += 1; // the IPv4 tail fills two 16-bit groups
  }
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function parseDomain(text: string, domain: string): Pick<Mailbox, 'domainKind' | 'literal'> {
  if (domain.startsWith('[')) {
    if (!domain.endsWith(']')) return fail(text, 'unterminated address literal');
    const inner = domain.slice(1, -1);
    if (isIpv4Literal(inner)) return { domainKind: 'ipv4', literal: inner };
    if (/^IPv6:/i.test(inner)) {
      const v6 = inner.slice(5);
      if (!isIpv6Literal(v6)) return fail(text, 'bad IPv6 address literal');
      return { domainKind: 'ipv6', literal: v6 };
    }
    if (GENERAL.test(inner)) return { domainKind: 'general', literal: inner };
    return fail(text, 'bad address literal');
  }
  if (domain.length === 0) return fail(text, 'empty domain');
  // RFC 1035 §2.3.4: names are limited to 255 octets, labels to 63.
  if (isAscii(domain) && domain.length > 253) return fail(text, 'domain longer than 253 characters');
  for (const label of domain.split('.')) {
    if (!LABEL.test(label)) return fail(text, `bad domain label ${JSON.stringify(label)}`);
    if (isAscii(label) && label.length > 63) return fail(text, 'domain label longer than 63 octets');
  }
  return { domainKind: 'name' };
}

/** Split `local@domain` at the `@` that ends the local part (quotes respected). */
function splitAt(text: string): [string, string] {
  let end: number;
  if (text.startsWith('"')) {
    let i = 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail(text, 'unterminated quoted local part');
    end = i + 1;
    if (text[end] !== '@') fail(text, 'expected @ after the quoted local part');
  } else {
    end = text.lastIndexOf('@');
    if (end === -1) fail(text, 'missing @');
  }
  return [text.slice(0, end), text.slice(end + 1)];
}

/**
 * Parse and validate a mailbox (`local@domain`, no angle brackets). Throws SMTP_ERR_ARGUMENT
 * with a one-line reason when it does not follow RFC 5321 / RFC 6531.
 */
export function parseMailbox(text: string): Mailbox {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) fail(text, 'control character');
  const [localPart, domain] = splitAt(text);
  if (localPart.length === 0) fail(text, 'empty local part');
  const dotString = localPart.split('.').every((atom) => ATOM.test(atom));
  if (!dotString && !QUOTED.test(localPart)) fail(text, 'bad local part');
  const parsed = parseDomain(text, domain);
  const mailbox: Mailbox = { localPart, domain, domainKind: parsed.domainKind, ascii: isAscii(text) };
  if (parsed.literal !== undefined) mailbox.literal = parsed.literal;
  return mailbox;
}

/** True when `text` is a valid mailbox. */
export function isValidMailbox(text: string): boolean {
  try {
    parseMailbox(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parse a path's address (what goes between `<` and `>`). With `allowNull`, '' is the null
 * reverse path (RFC 5321 §4.5.5) and yields `null`.
 */
export function parsePath(text: string, options: { allowNull?: boolean } = {}): Mailbox | null {
  if (text === '') {
    if (options.allowNull === true) return null;
    fail(text, 'empty path');
  }
  return parseMailbox(text);
}

/** True when sending this address needs the SMTPUTF8 extension (RFC 6531 §3.2). */
export function needsSmtpUtf8(address: string): boolean {
  return !isAscii(address);
}

/**
 * The address with its domain converted by `toAscii` (e.g. node:url `domainToASCII`), so
 * `user@bücher.example` can go out as `user@xn--bcher-kva.example` without SMTPUTF8.
 * Literals are returned unchanged. Throws SMTP_ERR_ARGUMENT when `toAscii` returns ''.
 */
export function withAsciiDomain(mailbox: Mailbox, toAscii: (domain: string) => string): string {
  if (mailbox.domainKind !== 'name' || isAscii(mailbox.domain))
    return `${mailbox.localPart}@${mailbox.domain}`;
  const converted = toAscii(mailbox.domain);
  if (converted === '' || !isAscii(converted)) {
    fail(`${mailbox.localPart}@${mailbox.domain}`, 'domain has no valid A-label form');
  }
  return `${mailbox.localPart}@${converted}`;
}
