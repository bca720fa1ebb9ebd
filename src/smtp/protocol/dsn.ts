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

/** One recipient's RFC 3461 parameters as a relay received them (intake → queue → delivery). */
export interface RecipientDsn {
  /** §4.1 NOTIFY as received. */
  notify?: readonly string[];
  /** §4.2 ORCPT as received, xtext-decoded: `addr-type;address`. */
  orcpt?: string;
}

/**
 * RCPT TO parameters that pass a relayed recipient's NOTIFY and ORCPT on (RFC 3461 §5.2.1: a
 * relaying MTA "MUST" pass them on to a DSN-capable server); the address is xtext-encoded again.
 */
export function relayRcptParams(spec: RecipientDsn): string[] {
  const out: string[] = [];
  if (spec.notify !== undefined && spec.notify.length > 0)
    out.push(`NOTIFY=${checkNotify([...spec.notify]).join(',')}`);
  if (spec.orcpt !== undefined) {
    const semi = spec.orcpt.indexOf(';');
    if (semi <= 0) throw new SmtpError('SMTP_ERR_ARGUMENT', `ORCPT '${spec.orcpt}' has no address type`);
    out.push(`ORCPT=${spec.orcpt.slice(0, semi)};${encodeXtext(spec.orcpt.slice(semi + 1))}`);
  }
  return out;
}
