/**
 * Envelope checks of intake, as values: MAIL and RCPT parameters we know (RFC 1870 SIZE,
 * RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 8689 REQUIRETLS, RFC 3461 RET/ENVID/NOTIFY/ORCPT,
 * RFC 4954 AUTH), addresses (RFC 5321 §4.1.2, RFC 6531 §3.3) and the destination key of a
 * recipient: its domain in lower-case A-labels, or the address literal with its brackets.
 * Every refusal is a reply (code, enhanced status code, text) — the handlers send it.
 * Pure. Must never: accept a non-ASCII address without SMTPUTF8 (RFC 6531 §3.4), or a
 * recipient whose destination we could not name.
 */
import { destinationKey, isAscii, parseMailbox } from '../protocol/index.ts';

/** A reply intake sends to refuse something. */
export interface Refusal {
  code: number;
  enhanced: string;
  text: string;
}

const refuse = (code: number, enhanced: string, text: string): Refusal => ({ code, enhanced, text });

const MAIL_PARAMS = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'REQUIRETLS', 'RET', 'ENVID', 'AUTH']);
const RCPT_PARAMS = new Set(['NOTIFY', 'ORCPT']);

/**
 * RFC 5321 §4.1.1.11: "If the server SMTP does not recognize or cannot implement one or more of
 * the parameters associated with a particular MAIL FROM or RCPT TO command, it will return code 555."
 */
export function unknownParameter(
  args: Record<string, string | true> | false,
  command: 'MAIL' | 'RCPT',
): Refusal | undefined {
  const known = command === 'MAIL' ? MAIL_PARAMS : RCPT_PARAMS;
  const bad = Object.keys(args === false ? {} : args).find((k) => !known.has(k.toUpperCase()));
  return bad === undefined ? undefined : refuse(555, '5.5.4', `${command} parameter ${bad} is not supported`);
}

/** RFC 3461 §4.4: ENVID is "up to 100 characters" of printable ASCII once xtext-decoded. */
export function checkEnvid(envid: string | null | undefined): Refusal | undefined {
  if (envid === null || envid === undefined) return undefined;
  if (envid.length === 0 || envid.length > 100 || !/^[\x21-\x7e]+$/.test(envid))
    return refuse(501, '5.5.4', 'ENVID must be 1 to 100 printable ASCII characters');
  return undefined;
}

/** An address as we store it: smtp-server hands us IDN domains in U-labels; undo that without SMTPUTF8. */
export interface CheckedAddress {
  address: string;
  /** Destination key: lower-case A-labels, or `[192.0.2.1]` / `[IPv6:2001:db8::1]`. */
  domain: string;
}

/**
 * Check an envelope address. Without SMTPUTF8 the client can only have sent ASCII, so a
 * non-ASCII domain here came from the library's punycode decoding and goes back to A-labels;
 * a non-ASCII local part without SMTPUTF8 is refused with RFC 6531 §3.5's 553 5.6.7.
 */
export function checkAddress(
  text: string,
  opts: { smtputf8: boolean; role: 'sender' | 'recipient' },
): CheckedAddress | Refusal {
  const bad = opts.role === 'sender' ? '5.1.7' : '5.1.3';
  let box: ReturnType<typeof parseMailbox>;
  try {
    box = parseMailbox(text);
  } catch {
    return refuse(553, bad, `<${printable(text)}>: bad address syntax`);
  }
  if (!opts.smtputf8 && !isAscii(box.localPart))
    return refuse(553, '5.6.7', `<${printable(text)}>: non-ASCII address without SMTPUTF8 (RFC 6531)`);
  if (box.domainKind === 'general')
    return refuse(553, bad, `<${printable(text)}>: only IPv4 and IPv6 address literals are supported`);
  const key = destinationKey(box);
  if (key === undefined) return refuse(553, bad, `<${printable(text)}>: bad domain`);
  if (box.domainKind !== 'name') return { address: `${box.localPart}@${key}`, domain: key };
  const address = opts.smtputf8 ? text : `${box.localPart}@${key}`;
  return { address, domain: key };
}

/** True when `v` is a Refusal. */
export function isRefusal(v: CheckedAddress | Refusal): v is Refusal {
  return 'code' in v;
}

/** Client text for a reply: printable, bounded (smtp-server already refused control characters). */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 256);
}

/** What the accepted MAIL command asked for (RFC 6531, RFC 6152, RFC 8689, RFC 3461 §4.3–4.4). */
export interface MailFlags {
  smtputf8: boolean;
  eightBitMime: boolean;
  requireTls: boolean;
  envid?: string;
  ret?: 'FULL' | 'HDRS';
}

/**
 * The flags of a MAIL command from its own parameters (upper-case keys, xtext decoded by
 * smtp-server). Read from the command, not from the library's session envelope: a MAIL we
 * refused leaves its parameters behind there.
 */
export function mailFlags(args: Record<string, string | true> | false): MailFlags {
  const a = args === false ? {} : args;
  const flags: MailFlags = {
    smtputf8: a['SMTPUTF8'] === true,
    eightBitMime: typeof a['BODY'] === 'string' && a['BODY'].toUpperCase() === '8BITMIME',
    requireTls: a['REQUIRETLS'] === true,
  };
  const envid = a['ENVID'];
  if (typeof envid === 'string') flags.envid = envid;
  const ret = typeof a['RET'] === 'string' ? a['RET'].toUpperCase() : undefined;
  if (ret === 'FULL' || ret === 'HDRS') flags.ret = ret;
  return flags;
}
