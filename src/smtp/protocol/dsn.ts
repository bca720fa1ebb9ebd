/**
 * Delivery Status Notification parameters (RFC 3461): RET and ENVID on MAIL FROM, NOTIFY and
 * ORCPT on RCPT TO, with xtext encoding (RFC 3461 §4). The client sends them only when the
 * server offers DSN. Pure.
 */
import { SmtpError } from './errors.ts';

export interface DsnRequest {
  /** RFC 3461 §4.3: return the full message or only its headers in a failure DSN. */
  ret?: 'FULL' | 'HDRS';
  /** RFC 3461 §4.4: the envelope identifier. */
  envid?: string;
  /** RFC 3461 §4.1: NEVER, or any of SUCCESS, FAILURE, DELAY. */
  notify?: string[];
}

/**
 * xtext (RFC 3461 §4): "any ASCII CHAR between "!" (33) and "~" (126) inclusive, except for "+"
 * and "=", MAY be included … as itself; other characters … MUST be encoded as a hexchar".
 */
export function encodeXtext(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out +=
      byte >= 33 && byte <= 126 && byte !== 0x2b && byte !== 0x3d
        ? String.fromCharCode(byte)
        : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const NOTIFY = new Set(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']);

/** Check a NOTIFY list (RFC 3461 §4.1: NEVER alone, or a set of the other three). */
export function checkNotify(values: readonly string[]): string[] {
  const upper = values.map((v) => v.trim().toUpperCase());
  for (const v of upper)
    if (!NOTIFY.has(v)) throw new SmtpError('SMTP_ERR_ARGUMENT', `unknown DSN NOTIFY value '${v}'`);
  if (upper.includes('NEVER') && upper.length > 1) {
    throw new SmtpError('SMTP_ERR_ARGUMENT', 'DSN NOTIFY=NEVER cannot be combined with other values');
  }
  return [...new Set(upper)];
}

/** MAIL FROM parameters for a DSN request. */
export function dsnMailParams(dsn: DsnRequest): string[] {
  const out: string[] = [];
  if (dsn.ret !== undefined) out.push(`RET=${dsn.ret}`);
  if (dsn.envid !== undefined) {
    if (dsn.envid.length === 0 || dsn.envid.length > 100) {
      throw new SmtpError('SMTP_ERR_ARGUMENT', 'DSN ENVID must be 1 to 100 characters');
    }
    out.push(`ENVID=${encodeXtext(dsn.envid)}`);
  }
  return out;
}

/** RCPT TO parameters for a DSN request: NOTIFY, and ORCPT with the original recipient. */
export function dsnRcptParams(dsn: DsnRequest, recipient: string): string[] {
  if (dsn.notify === undefined) return [];
  return [`NOTIFY=${checkNotify(dsn.notify).join(',')}`, `ORCPT=rfc822;${encodeXtext(recipient)}`];
}
