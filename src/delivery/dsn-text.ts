/**
 * The human-readable first part of a DSN (RFC 6522 §3: "The first body part … contains human
 * readable text"): what happened, per recipient, in plain words — for a DANE failure, that the
 * receiving domain's TLSA records did not match and the message was therefore not sent — and
 * whether it will be retried. Pure: dates are passed in.
 * Must never: copy a remote reply unsanitised into the text.
 */
import { formatMessageDate } from '../smtp/protocol/index.ts';
import { safeText } from './dsn-format.ts';
import type { DsnKind, DsnRecipient } from './dsn.ts';

const WIDTH = 76;

/** Wrap `text` at white space to `WIDTH` columns, continuation lines indented by `indent`. */
export function wrap(text: string, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  // A word longer than a line is cut: RFC 5322 §2.1.1 caps every line at 998 octets.
  const words = text.split(' ').flatMap((w) => w.match(/.{1,200}/gsu) ?? []);
  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

const DANE_WHY =
  'the receiving domain publishes DANE (TLSA) records for its mail servers, and the certificate its server presented did not match them (or TLS could not be used), so the message was not sent: it is never sent to that domain without this authentication';

function why(r: DsnRecipient, ascii: boolean): string {
  if (r.dane === true) return DANE_WHY;
  if (r.reason !== undefined && r.reason !== '') return safeText(r.reason, { ascii });
  if (r.diagnostic !== undefined) {
    const text = r.diagnostic.type === 'smtp' ? r.diagnostic.reply : r.diagnostic.text;
    return safeText(text, { ascii });
  }
  return `status ${r.status}`;
}

function recipientLines(kind: DsnKind, r: DsnRecipient, ascii: boolean): string[] {
  const who = `<${safeText(r.address, { ascii })}>`;
  let text: string;
  if (kind === 'relayed') {
    const to = r.remoteMta === undefined ? 'the next mail server' : safeText(r.remoteMta, { ascii });
    text = `${who}: relayed to ${to}, which does not send delivery notifications; you will get no further notice about this recipient.`;
  } else if (kind === 'delay') {
    const until =
      r.willRetryUntil === undefined
        ? ''
        : ` It will be retried until ${formatMessageDate(r.willRetryUntil)}.`;
    text = `${who}: not delivered yet: ${why(r, ascii)}.${until}`;
  } else {
    text = `${who}: not delivered: ${why(r, ascii)}.`;
  }
  const out = wrap(text, '    ');
  if (r.remoteMta !== undefined && kind !== 'relayed')
    out.push(`    Server: ${safeText(r.remoteMta, { ascii })}`);
  if (r.diagnostic?.type === 'smtp')
    out.push(...wrap(`    It said: ${safeText(r.diagnostic.reply, { ascii })}`, '      '));
  return out;
}

/** What was returned of the original message, for the last paragraph. */
export type Returned = 'full' | 'headers' | 'headers-because-large';

/** The text of the first part, CRLF line ends. */
export function humanText(
  kind: DsnKind,
  recipients: readonly DsnRecipient[],
  opts: { hostname: string; ascii: boolean; returned: Returned; limit: number },
): string {
  const intro: Record<DsnKind, string> = {
    failure:
      'Your message could not be delivered to one or more recipients. It will not be retried; the reason is given below.',
    delay:
      'THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE. Your message has not been delivered yet to the recipients below; delivery is still being retried.',
    relayed: 'Your message was passed on for the recipients below, as you asked for notice of delivery.',
  };
  const returned: Record<Returned, string> = {
    full: 'The original message is attached.',
    headers: 'The headers of the original message are attached.',
    'headers-because-large': `The original message was larger than ${opts.limit} bytes; only its headers are attached.`,
  };
  const lines = [
    `This is the mail system at host ${opts.hostname}.`,
    '',
    ...wrap(intro[kind]),
    '',
    ...recipients.flatMap((r) => [...recipientLines(kind, r, opts.ascii), '']),
    ...wrap(returned[opts.returned]),
  ];
  return lines.map((l) => `${l}\r\n`).join('');
}
