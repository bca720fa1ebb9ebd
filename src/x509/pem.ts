/**
 * PEM text (RFC 7468) to DER and back. Used for certificates read from files and for keys the
 * TLSA generator is given. Never accepts text outside BEGIN/END blocks as data.
 */
import { fromBase64, toBase64 } from '../util/index.ts';
import { X509Error } from './errors.ts';

/** One PEM block: its label (`CERTIFICATE`, `PUBLIC KEY`, …) and DER contents. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/**
 * Every PEM block in `text`, in order. RFC 7468 §2: "Data before the encapsulation boundaries
 * are permitted, and parsers MUST NOT malfunction when processing such data." Text between
 * blocks is skipped, as OpenSSL does.
 */
export function decodePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = m as unknown as [string, string, string, string];
    if (label !== endLabel) {
      throw new X509Error('X509_ERR_PEM', `PEM block BEGIN ${label} is closed by END ${endLabel}`);
    }
    // RFC 7468 §2: textual encoding "does *not* define or permit headers" (RFC 1421 "Proc-Type:" …).
    if (body.includes(':')) throw new X509Error('X509_ERR_PEM', `PEM block ${label} has headers`);
    let der: Uint8Array;
    try {
      der = fromBase64(body);
    } catch (cause) {
      throw new X509Error('X509_ERR_PEM', `PEM block ${label} is not valid base64`, { cause });
    }
    out.push({ label, der });
  }
  return out;
}

/** The DER of every `CERTIFICATE` block in `text` (leaf first, as a server sends them). */
export function decodePemCertificates(text: string): Uint8Array[] {
  const certs = decodePem(text)
    .filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE')
    .map((b) => b.der);
  if (certs.length === 0) throw new X509Error('X509_ERR_PEM', 'no CERTIFICATE block found in PEM text');
  return certs;
}

/** PEM text for `der` under `label`, base64 wrapped at 64 columns (RFC 7468 §2). */
export function encodePem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = toBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
