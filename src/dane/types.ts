/**
 * DANE data types shared by the pure DANE modules: the TLSA record shape (RFC 6698 §2.1,
 * structurally identical to the DNS wire layer's TLSA rdata, so either can be passed in),
 * the RFC 7218 acronyms for its three code points, the verdict of peer authentication and the
 * layer's error class. No I/O, no clock.
 */
import { MtaError } from '../util/index.ts';

/** A TLSA record's rdata (RFC 6698 §2.1). Unknown code points are kept as numbers. */
export interface TlsaRecord {
  /** Certificate usage (RFC 6698 §2.1.1). */
  usage: number;
  /** Selector (RFC 6698 §2.1.2). */
  selector: number;
  /** Matching type (RFC 6698 §2.1.3). */
  matchingType: number;
  /** Certificate association data. */
  data: Uint8Array;
}

/** Certificate usages (RFC 7218 §2.1). */
export const CertUsage = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
export type CertUsage = (typeof CertUsage)[keyof typeof CertUsage];

/** Selectors (RFC 7218 §2.2). */
export const Selector = { CERT: 0, SPKI: 1 } as const;
export type Selector = (typeof Selector)[keyof typeof Selector];

/** Matching types (RFC 7218 §2.3). */
export const Matching = { FULL: 0, SHA2_256: 1, SHA2_512: 2 } as const;
export type Matching = (typeof Matching)[keyof typeof Matching];

/** RFC 7218 acronyms, for messages (`DANE-EE(3) SPKI(1) SHA2-256(1)`). */
export const USAGE_NAMES: Readonly<Record<number, string>> = {
  0: 'PKIX-TA',
  1: 'PKIX-EE',
  2: 'DANE-TA',
  3: 'DANE-EE',
  255: 'PrivCert',
};
export const SELECTOR_NAMES: Readonly<Record<number, string>> = { 0: 'Cert', 1: 'SPKI', 255: 'PrivSel' };
export const MATCHING_NAMES: Readonly<Record<number, string>> = {
  0: 'Full',
  1: 'SHA2-256',
  2: 'SHA2-512',
  255: 'PrivMatch',
};

/** `DANE-EE(3) SPKI(1) SHA2-256(1)` for a record's parameters. */
export function describeTlsaParams(rec: Pick<TlsaRecord, 'usage' | 'selector' | 'matchingType'>): string {
  const n = (names: Readonly<Record<number, string>>, v: number): string =>
    `${names[v] ?? 'Unassigned'}(${v})`;
  return `${n(USAGE_NAMES, rec.usage)} ${n(SELECTOR_NAMES, rec.selector)} ${n(MATCHING_NAMES, rec.matchingType)}`;
}

/** Failure codes of DANE peer authentication. */
export type DaneFailureCode =
  | 'DANE_ERR_NO_USABLE_TLSA'
  | 'DANE_ERR_NO_MATCH'
  | 'DANE_ERR_NAME_MISMATCH'
  | 'DANE_ERR_CHAIN'
  | 'DANE_ERR_EXPIRED'
  | 'DANE_ERR_BAD_CERT';

/** The peer is authenticated by a TLSA record. */
export interface DaneSuccess {
  readonly ok: true;
  /** DANE-TA(2) or DANE-EE(3). */
  readonly usage: 2 | 3;
  /** The record that authenticated the peer. */
  readonly matched: TlsaRecord;
  /** Depth of the matched certificate (0 = leaf); for a bare-key TA, of the certificate it signed. */
  readonly depth: number;
  /** The reference name the leaf matched (DANE-TA only). */
  readonly name?: string;
  /** One human line. */
  readonly reason: string;
}

/** The peer is not authenticated. */
export interface DaneFailure {
  readonly ok: false;
  readonly code: DaneFailureCode;
  /** One human line. */
  readonly reason: string;
  /** Depth at which a TLSA record matched, when one did (e.g. a DANE-TA match with a wrong name). */
  readonly depth?: number;
  /** The record that matched, when one did. */
  readonly matched?: TlsaRecord;
  /** The OpenSSL verify error that best describes the failure (`HOSTNAME_MISMATCH`, …). */
  readonly opensslCode?: string;
}

/** Verdict of `verifyDanePeer`. */
export type DaneVerdict = DaneSuccess | DaneFailure;

/** Machine codes of errors thrown by the dane layer (bad caller input, never a peer's fault). */
export type DaneErrorCode = 'DANE_ERR_BAD_INPUT' | 'DANE_ERR_BAD_NAME' | 'DANE_ERR_BAD_CERT';

/** An error thrown by the dane layer for invalid arguments. */
export class DaneError extends MtaError<DaneErrorCode> {
  constructor(
    code: DaneErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'DaneError';
  }
}
