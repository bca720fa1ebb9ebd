/**
 * TLSA records from a certificate or a key, for the `tlsa` CLI command and the checker
 * (RFC 6698 §2.1, RFC 7671 §8 advice: prefer "3 1 1" and "2 0 1"), and the TLSA presentation
 * text `3 1 1 <hex>` (RFC 6698 §2.2, lower-case hex here). Pure: keys and digests come from x509.
 * Never emits a record with code points DANE does not define.
 */
import { parseCertificate, spkiFromPem, X509Error } from '../x509/index.ts';
import { fromHex, toHex } from '../util/index.ts';
import { associationData } from './match.ts';
import { DaneError, Selector, type TlsaRecord } from './types.ts';

/** Parameters of a generated record. */
export interface TlsaParams {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
}

function checkParams(p: TlsaParams): void {
  const ok = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
  if (!ok(p.usage, 3) || !ok(p.selector, 1) || !ok(p.matchingType, 2)) {
    throw new DaneError(
      'DANE_ERR_BAD_INPUT',
      `invalid TLSA parameters ${p.usage} ${p.selector} ${p.matchingType}`,
    );
  }
}

/**
 * The TLSA record for a DER certificate under `params`.
 * @throws DaneError (DANE_ERR_BAD_CERT) for a malformed certificate, DANE_ERR_BAD_INPUT for bad params.
 */
export function tlsaFromCertificate(der: Uint8Array, params: TlsaParams): TlsaRecord {
  checkParams(params);
  let cert;
  try {
    cert = parseCertificate(der);
  } catch (cause) {
    const why = cause instanceof X509Error ? cause.message : 'malformed certificate';
    throw new DaneError('DANE_ERR_BAD_CERT', `cannot make a TLSA record: ${why}`, { cause });
  }
  const data = associationData(cert, params) as Uint8Array;
  return { usage: params.usage, selector: params.selector, matchingType: params.matchingType, data };
}

/**
 * The SPKI(1) TLSA record for a PEM public key, private key or certificate (only the public key
 * is used).
 * @throws DaneError (DANE_ERR_BAD_INPUT) when the PEM text holds no usable key.
 */
export function tlsaFromPublicKey(pem: string, params: { usage: number; matchingType: number }): TlsaRecord {
  const full = { usage: params.usage, selector: Selector.SPKI, matchingType: params.matchingType };
  checkParams(full);
  let spki: Uint8Array;
  try {
    spki = spkiFromPem(pem);
  } catch (cause) {
    throw new DaneError('DANE_ERR_BAD_INPUT', 'cannot make a TLSA record: not a PEM key or certificate', {
      cause,
    });
  }
  const data = associationData({ der: new Uint8Array(0), spki }, full) as Uint8Array;
  return { ...full, data };
}

/** `3 1 1 0123abcd…`: the record's presentation text with lower-case hex data. */
export function formatTlsa(rec: TlsaRecord): string {
  return `${rec.usage} ${rec.selector} ${rec.matchingType} ${toHex(rec.data)}`;
}

/**
 * Parse `usage selector matching hex…` (hex may be split by white space or wrapped in
 * parentheses, as in zone files).
 * @throws DaneError (DANE_ERR_BAD_INPUT) on anything else.
 */
export function parseTlsa(text: string): TlsaRecord {
  const fields = text.replace(/[()]/g, ' ').trim().split(/\s+/);
  const [u, s, m, ...hex] = fields;
  const num = (v: string | undefined): number => (v !== undefined && /^\d{1,3}$/.test(v) ? Number(v) : NaN);
  const usage = num(u);
  const selector = num(s);
  const matchingType = num(m);
  if (![usage, selector, matchingType].every((v) => v >= 0 && v <= 255) || hex.length === 0) {
    throw new DaneError('DANE_ERR_BAD_INPUT', `not a TLSA record: ${JSON.stringify(text.slice(0, 80))}`);
  }
  try {
    return { usage, selector, matchingType, data: fromHex(hex.join('')) };
  } catch (cause) {
    throw new DaneError('DANE_ERR_BAD_INPUT', `TLSA data is not hex: ${JSON.stringify(text.slice(0, 80))}`, {
      cause,
    });
  }
}
