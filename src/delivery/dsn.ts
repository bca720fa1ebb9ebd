/**
 * Delivery status notifications: RFC 3464 (message/delivery-status fields), RFC 6522
 * (multipart/report), RFC 6533 (message/global-delivery-status, message/global and
 * message/global-headers when the original used SMTPUTF8), RFC 3461 (NOTIFY, RET, ENVID, ORCPT)
 * and RFC 3834 (Auto-Submitted). Three kinds: failure (Action failed), delay (Action delayed,
 * Will-Retry-Until) and relayed (NOTIFY=SUCCESS passed to a server without DSN).
 * The DSN goes from `MAILER-DAEMON@hostname` to the original sender; its envelope sender is `<>`
 * (the daemon enqueues it with kind 'dsn').
 * Pure: time, ids and randomness are passed in. Must never: produce a DSN for a message from
 * `<>` or for a recipient whose NOTIFY does not ask for it; let remote text break the structure.
 */
import type { NewMessage, NotifyKeyword } from '../queue/index.ts';
import { destinationKey, formatMessageDate, isAscii, parseMailbox } from '../smtp/protocol/index.ts';
import { concatBytes, MtaError, toHex, type Random } from '../util/index.ts';
import { foldField, originalRecipient, safeText, typedAddress } from './dsn-format.ts';
import { humanText, type Returned } from './dsn-text.ts';

export type DsnKind = 'failure' | 'delay' | 'relayed';

/** The original message, as the queue stores it. */
export interface DsnOriginal {
  /** Queue id (reported in X-Dane-Mta-Queue-ID). */
  id: string;
  /** Reverse path; '' (the null sender) never gets a DSN. */
  from: string;
  /** Arrival time, ms (Arrival-Date). */
  received: number;
  /** RFC 3461 §4.4 ENVID, xtext-decoded (Original-Envelope-Id). */
  envid?: string;
  /** RFC 3461 §4.3 RET. */
  ret?: 'FULL' | 'HDRS';
  /** The client used SMTPUTF8: report with RFC 6533's message/global-* types. */
  smtputf8: boolean;
  /** The message as stored. */
  body: Uint8Array;
}

/** One recipient's result; only those that match the DSN kind and ask for it are reported. */
export interface DsnRecipient {
  /** Final-Recipient: the address as given in RCPT TO. */
  address: string;
  /** What happened to it: only `failed` go in a failure DSN, `delayed` in a delay notice, `relayed` in a relay notice. */
  outcome: 'failed' | 'delayed' | 'delivered' | 'relayed';
  /** RFC 3461 NOTIFY as received (undefined = not given). */
  notify?: readonly NotifyKeyword[];
  /** RFC 3461 ORCPT as stored: `addr-type;address`, xtext-decoded. */
  orcpt?: string;
  /** A delay notice was already sent for it (at most one per recipient). */
  delayWarned?: boolean;
  /** Enhanced status code, e.g. `5.1.1` (RFC 3463). */
  status: string;
  /** Host name of the server that gave the result (Remote-MTA). */
  remoteMta?: string;
  /** The remote reply (`550 5.1.1 user unknown`) or our own reason (`X-dane-mta`). */
  diagnostic?: { type: 'smtp'; reply: string } | { type: 'X-dane-mta'; text: string };
  /** Last attempt, ms (Last-Attempt-Date). */
  lastAttempt?: number;
  /** Delay notices: when retrying stops, ms (Will-Retry-Until). */
  willRetryUntil?: number;
  /** The cause is a DANE authentication failure: the text says so in plain words. */
  dane?: boolean;
  /** A one-line plain-language reason for the human-readable part. */
  reason?: string;
}

export interface DsnInput {
  kind: DsnKind;
  original: DsnOriginal;
  recipients: readonly DsnRecipient[];
}

export interface DsnOptions {
  /** Reporting-MTA and the MAILER-DAEMON domain. */
  hostname: string;
  /** Now, ms (Date:). */
  now: number;
  random: Random;
  /** Larger originals are returned as headers only (default 256 KiB). */
  returnLimit?: number;
}

export interface BuiltDsn {
  /** The whole message, CRLF line ends. */
  body: Uint8Array;
  /** Its Message-ID, with angle brackets. */
  messageId: string;
  /** The original sender: the DSN's only recipient. */
  to: string;
  /** The DSN needs SMTPUTF8: the sender's address is not ASCII (send with SMTPUTF8). */
  smtputf8: boolean;
  /** The DSN carries 8-bit content (returned original): send with BODY=8BITMIME. */
  eightBitMime: boolean;
  /** The recipients reported. */
  reported: string[];
}

export class DsnError extends MtaError<'DSN_ERR_INPUT'> {
  constructor(message: string) {
    super('DSN_ERR_INPUT', message);
    this.name = 'DsnError';
  }
}

const ACTION: Readonly<Record<DsnKind, DsnRecipient['outcome']>> = {
  failure: 'failed',
  delay: 'delayed',
  relayed: 'relayed',
};

/**
 * Whether a recipient's NOTIFY asks for a DSN of this kind. RFC 3461 §4.1: "the absence of a
 * NOTIFY parameter in a RCPT command may be interpreted as either NOTIFY=FAILURE or
 * NOTIFY=FAILURE,DELAY" — we take FAILURE,DELAY; NEVER means none; SUCCESS is never assumed.
 */
export function wantsDsn(notify: readonly NotifyKeyword[] | undefined, kind: DsnKind): boolean {
  if (notify === undefined || notify.length === 0) return kind !== 'relayed';
  if (notify.includes('NEVER')) return false;
  return notify.includes(kind === 'failure' ? 'FAILURE' : kind === 'delay' ? 'DELAY' : 'SUCCESS');
}

/** The recipients a DSN of `kind` reports: matching outcome, NOTIFY asks, delay not yet sent. */
export function dsnRecipients(kind: DsnKind, recipients: readonly DsnRecipient[]): DsnRecipient[] {
  return recipients.filter(
    (r) =>
      r.outcome === ACTION[kind] && wantsDsn(r.notify, kind) && !(kind === 'delay' && r.delayWarned === true),
  );
}

const SUBJECT: Readonly<Record<DsnKind, string>> = {
  failure: 'Undelivered Mail Returned to Sender',
  delay: 'Delayed Mail (still being retried)',
  relayed: 'Successful Mail Relay',
};

const CRLFCRLF = [13, 10, 13, 10];

/** The header section of a message, up to and including the CRLF that ends its last field. */
export function headerSection(body: Uint8Array): Uint8Array {
  for (let i = 0; i + 3 < body.length; i++) {
    if (CRLFCRLF.every((b, k) => body[i + k] === b)) return body.subarray(0, i + 2);
  }
  return body;
}

/** `bytes` cut to at most `limit` octets at a line end. */
function cutAtLine(bytes: Uint8Array, limit: number): Uint8Array {
  if (bytes.length <= limit) return bytes;
  const cut = bytes.subarray(0, limit).lastIndexOf(10);
  return bytes.subarray(0, cut < 0 ? 0 : cut + 1);
}

/** What is returned of the original (RFC 3461 §4.3 RET; without RET: full for failures). */
function returnedPart(
  kind: DsnKind,
  original: DsnOriginal,
  limit: number,
): { bytes: Uint8Array; returned: Returned } {
  const headersOnly = original.ret === 'HDRS' || (original.ret === undefined && kind !== 'failure');
  if (headersOnly) return { bytes: cutAtLine(headerSection(original.body), limit), returned: 'headers' };
  if (original.body.length > limit) {
    return { bytes: cutAtLine(headerSection(original.body), limit), returned: 'headers-because-large' };
  }
  return { bytes: original.body, returned: 'full' };
}

function checkInput(input: DsnInput, opts: DsnOptions): void {
  if (!/^[A-Za-z0-9.-]+$/.test(opts.hostname)) throw new DsnError(`bad hostname '${opts.hostname}'`);
  for (const r of input.recipients) {
    if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(r.status))
      throw new DsnError(`bad status '${r.status}' for ${r.address}`);
  }
}

function statusFields(
  input: DsnInput,
  reported: readonly DsnRecipient[],
  opts: DsnOptions,
  global: boolean,
): string {
  const ascii = !global;
  const o = input.original;
  let out = foldField('Reporting-MTA', `dns; ${opts.hostname}`);
  out += foldField('X-Dane-Mta-Queue-ID', safeText(o.id, { ascii: true }));
  if (o.envid !== undefined && o.envid !== '')
    out += foldField('Original-Envelope-Id', safeText(o.envid, { ascii }));
  out += foldField('Arrival-Date', formatMessageDate(o.received));
  for (const r of reported) {
    out += '\r\n';
    const orcpt = r.orcpt === undefined ? undefined : originalRecipient(r.orcpt, global);
    if (orcpt !== undefined) out += foldField('Original-Recipient', orcpt);
    out += foldField('Final-Recipient', typedAddress(r.address, global));
    out += foldField('Action', ACTION[input.kind]);
    out += foldField('Status', r.status);
    if (r.remoteMta !== undefined)
      out += foldField('Remote-MTA', `dns; ${safeText(r.remoteMta, { ascii: true })}`);
    if (r.diagnostic !== undefined) {
      const d = r.diagnostic;
      out += foldField(
        'Diagnostic-Code',
        d.type === 'smtp'
          ? `smtp; ${safeText(d.reply, { ascii })}`
          : `X-dane-mta; ${safeText(d.text, { ascii })}`,
      );
    }
    if (r.lastAttempt !== undefined) out += foldField('Last-Attempt-Date', formatMessageDate(r.lastAttempt));
    if (input.kind === 'delay' && r.willRetryUntil !== undefined)
      out += foldField('Will-Retry-Until', formatMessageDate(r.willRetryUntil));
  }
  return out;
}

function pickBoundary(random: Random, avoid: Uint8Array): string {
  const text = Buffer.from(avoid.buffer, avoid.byteOffset, avoid.byteLength).toString('latin1');
  for (;;) {
    const boundary = `=_dane-mta_${toHex(random.bytes(12))}`;
    if (!text.includes(boundary)) return boundary;
  }
}

interface Parts {
  kind: DsnKind;
  reported: readonly DsnRecipient[];
  to: string;
  global: boolean;
  boundary: string;
  messageId: string;
  returned: Returned;
  limit: number;
  original: Uint8Array;
}

/** The DSN's own header section (RFC 5322, RFC 6522 §3, RFC 3834 §5). */
function topHeader(p: Parts, opts: DsnOptions): string {
  // RFC 6522 §3: "report-type … is the MIME subtype of the second body part of the multipart/report".
  const reportType = p.global ? 'global-delivery-status' : 'delivery-status';
  return (
    foldField('From', `Mail Delivery System <MAILER-DAEMON@${opts.hostname}>`) +
    foldField('To', `<${p.to}>`) +
    foldField('Subject', SUBJECT[p.kind]) +
    foldField('Date', formatMessageDate(opts.now)) +
    foldField('Message-ID', p.messageId) +
    // RFC 3834 §5: "auto-replied … indicates that a message was automatically generated as a
    // direct response to another message."
    foldField('Auto-Submitted', 'auto-replied') +
    'MIME-Version: 1.0\r\n' +
    `Content-Type: multipart/report; report-type=${reportType};\r\n\tboundary="${p.boundary}"\r\n` +
    '\r\nThis is a MIME-encapsulated message.\r\n'
  );
}

function partHeader(boundary: string, description: string, type: string, eightBit: boolean): string {
  const cte = eightBit ? 'Content-Transfer-Encoding: 8bit\r\n' : '';
  return `\r\n--${boundary}\r\nContent-Description: ${description}\r\nContent-Type: ${type}\r\n${cte}\r\n`;
}

/** RFC 6522 §3: text, then the machine-readable report, then the original (or its headers). */
function assemble(input: DsnInput, p: Parts, opts: DsnOptions): Uint8Array {
  const g = p.global;
  const originalType =
    p.returned === 'full'
      ? g
        ? 'message/global'
        : 'message/rfc822'
      : g
        ? 'message/global-headers'
        : 'text/rfc822-headers';
  const head =
    topHeader(p, opts) +
    partHeader(p.boundary, 'Notification', `text/plain; charset=${g ? 'utf-8' : 'us-ascii'}`, g) +
    humanText(p.kind, p.reported, {
      hostname: opts.hostname,
      ascii: !g,
      returned: p.returned,
      limit: p.limit,
    }) +
    partHeader(
      p.boundary,
      'Delivery report',
      g ? 'message/global-delivery-status' : 'message/delivery-status',
      g,
    ) +
    statusFields(input, p.reported, opts, g) +
    partHeader(
      p.boundary,
      p.returned === 'full' ? 'Undelivered Message' : 'Undelivered Message Headers',
      originalType,
      p.original.some((b) => b >= 0x80),
    );
  const endsInLf = p.original.length === 0 || p.original[p.original.length - 1] === 10;
  const tail = `${endsInLf ? '' : '\r\n'}\r\n--${p.boundary}--\r\n`;
  const enc = new TextEncoder();
  return concatBytes([enc.encode(head), p.original, enc.encode(tail)]);
}

/**
 * Build the DSN for `input`, or null when there is nothing to report: the original came from
 * `<>` (RFC 5321 §4.5.5: notifications are sent from the null reverse-path and never answered,
 * so they cannot loop), or no recipient has the kind's outcome with a NOTIFY that asks for it.
 */
export function buildDsn(input: DsnInput, opts: DsnOptions): BuiltDsn | null {
  checkInput(input, opts);
  const o = input.original;
  if (o.from === '') return null;
  const reported = dsnRecipients(input.kind, input.recipients);
  if (reported.length === 0) return null;
  // eslint-disable-next-line no-control-regex
  const to = o.from.replace(/[\s<>\u0000-\u001f\u007f]/g, '');
  const limit = opts.returnLimit ?? 256 * 1024;
  const { bytes: original, returned } = returnedPart(input.kind, o, limit);
  const parts: Parts = {
    kind: input.kind,
    reported,
    to,
    global: o.smtputf8 || !isAscii(to) || reported.some((r) => !isAscii(r.address)),
    boundary: pickBoundary(opts.random, original),
    messageId: `<${opts.now.toString(36)}.${toHex(opts.random.bytes(8))}@${opts.hostname}>`,
    returned,
    limit,
    original,
  };
  const body = assemble(input, parts, opts);
  return {
    body,
    messageId: parts.messageId,
    to,
    // RFC 6531 §3.2: SMTPUTF8 is needed for a UTF-8 envelope address or top-level header field.
    smtputf8: !isAscii(to),
    eightBitMime: body.some((b) => b >= 0x80),
    reported: reported.map((r) => r.address),
  };
}

/**
 * The DSN as the queue takes it: from `<>` (RFC 5321 §4.5.5), kind 'dsn' (so it
 * is never answered with a DSN), one recipient — the original sender — with its destination
 * key. NOTIFY=NEVER keeps a failing DSN from producing another. Throws DsnError when the
 * sender's address has no destination (a general address literal).
 */
export function dsnMessage(dsn: BuiltDsn, opts: { id: string; now: number }): NewMessage {
  let domain: string | undefined;
  try {
    domain = destinationKey(parseMailbox(dsn.to));
  } catch {
    domain = undefined;
  }
  if (domain === undefined) throw new DsnError(`no destination for the DSN recipient <${dsn.to}>`);
  return {
    id: opts.id,
    from: '',
    received: opts.now,
    body: dsn.body,
    smtputf8: dsn.smtputf8,
    eightBitMime: dsn.eightBitMime,
    requireTls: false,
    kind: 'dsn',
    recipients: [{ address: dsn.to, domain, notify: ['NEVER'] }],
  };
}
