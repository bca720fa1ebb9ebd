/**
 * What a delivery (or recipient verification) returns: the outcome, the TLS level of the attempt
 * that decided it, each attempt with its DNSSEC status, TLSA records and DANE verdict, per-recipient
 * dispositions and the human transcript — the JSON of DESIGN.md's CLI contract.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import type { DeliveryOutcome, EnhancedCode, VerifyOutcome } from '../policy/index.ts';
import type { Reply } from '../smtp/protocol/index.ts';

export type { DeliveryOutcome, VerifyOutcome } from '../policy/index.ts';

/** TLS level of an attempt: DANE-authenticated, PKIX-authenticated, encrypted only, or plaintext. */
export type TlsLevel = 'dane' | 'pkix' | 'encrypted' | 'none';

export type DaneStatus = 'validated' | 'failed' | 'unusable' | 'none';

export interface ReplyJson {
  code: number;
  enhanced: string | null;
  text: string;
}

export interface AttemptRecord {
  mx: string;
  address: string | null;
  dnssec: Proof;
  tlsa: string[];
  tls: TlsLevel | null;
  dane: DaneStatus;
  reply: ReplyJson | null;
  error: string | null;
}

export interface RecipientResult {
  address: string;
  outcome: DeliveryOutcome | VerifyOutcome;
  enhanced: EnhancedCode;
  reason: string;
  reply: ReplyJson | null;
}

export interface DeliveryResult {
  outcome: DeliveryOutcome | VerifyOutcome;
  /** Enhanced status code of the outcome (RFC 3463). */
  enhanced: EnhancedCode;
  /** One line saying why. */
  reason: string;
  tls: TlsLevel | null;
  reply: ReplyJson | null;
  /**
   * DNSSEC status of the MX RRset (and any CNAME leading to it), null when none was looked up
   * (address literal, invalid domain). `insecure` with `tls: "dane"` means the host was
   * authenticated by its own TLSA records but reached through an MX RRset an attacker could
   * have forged (RFC 7672 §2.2.1).
   */
  mx_dnssec: Proof | null;
  mx: string | null;
  address: string | null;
  attempts: AttemptRecord[];
  recipients: RecipientResult[];
  log: string[];
}

export function replyJson(reply: Reply | undefined): ReplyJson | null {
  if (reply === undefined) return null;
  return { code: reply.code, enhanced: reply.enhanced ?? null, text: reply.text };
}
