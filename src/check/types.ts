/**
 * The data of a DANE check of one mail domain (C5, RFC 7672 §2–3): what was found per MX host and
 * address (DNSSEC status of MX, A/AAAA and TLSA, TLSA usability, STARTTLS, handshake, which record
 * matched at which depth), per zone (signed, island, NSEC3 parameters, earliest RRSIG expiry),
 * and the findings — problems named in words an operator acts on, each with a fix. This is the
 * `--json` shape of `dane-mta check` and of the web checker's `/api/check`.
 * Types and the layer's error class only: no I/O, no behaviour.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import { MtaError } from '../util/index.ts';

/** `error`: DANE fails or mail defers now; `warning`: a risk; `info`: the rest. */
export type Severity = 'error' | 'warning' | 'info';

/** `error` an error was found, `unknown` could not tell (lookups failed), else the worst left. */
export type Verdict = 'error' | 'unknown' | 'warning' | 'ok';

/** One finding: what is wrong (or notable), where, and what to do about it. */
export interface Finding {
  readonly severity: Severity;
  /** Stable machine code (`tlsa-no-match`, `rrsig-expiring`, …); see FINDINGS in findings.ts. */
  readonly code: string;
  /** The MX host it concerns (without the trailing dot), or null for the domain as a whole. */
  readonly host: string | null;
  /** One line: what was found. */
  readonly message: string;
  /** One line: what the operator should do, or null when nothing needs doing. */
  readonly fix: string | null;
}

/** A certificate the server presented. */
export interface CertSummary {
  readonly depth: number;
  /** OpenSSL one-line subject (`/CN=mx.example.org`). */
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601 end of validity. */
  readonly notAfter: string;
  /** subjectAltName dNSNames. */
  readonly names: readonly string[];
}

/** The DANE verdict for one address. */
export interface DaneResult {
  /** `validated`, `failed` (records usable, nothing matched or the chain is wrong) or `unusable`. */
  readonly result: 'validated' | 'failed' | 'unusable';
  /** The record that matched (`3 1 1 …`), when one did. */
  readonly record: string | null;
  /** Depth of the matched certificate (0 = the server's own), when one matched. */
  readonly depth: number | null;
  readonly reason: string;
}

/** What connecting to one address showed. */
export interface AddressReport {
  readonly address: string;
  /** False when the address was not connected to (refused range, time out of budget). */
  readonly probed: boolean;
  /** Whether EHLO offered STARTTLS; null when the session never got that far. */
  readonly starttls: boolean | null;
  /** `TLSv1.3 TLS_AES_256_GCM_SHA384`, or null without a handshake. */
  readonly tls: string | null;
  /** The presented chain, leaf first. */
  readonly chain: readonly CertSummary[];
  readonly dane: DaneResult | null;
  /** Why the probe stopped early (connection refused, handshake failure, …), or null. */
  readonly error: string | null;
}

/** The TLSA RRset that applies to a host. */
export interface TlsaReport {
  /** Owner name looked up, e.g. `_25._tcp.mx.example.org.`. */
  readonly owner: string;
  /** DNSSEC status of the answer. */
  readonly status: Proof;
  /** Presentation form of every record (`3 1 1 <hex>`). */
  readonly records: readonly string[];
  /** The records an SMTP client may use (RFC 7672 §2.2, RFC 7671 §9). */
  readonly usable: readonly string[];
  /** The lookup failed (bogus, SERVFAIL, timeout): DANE clients skip the host. */
  readonly failed: boolean;
}

/** One MX host (or the domain itself without an MX RRset). */
export interface HostReport {
  readonly name: string;
  /** MX preference; null for an implicit MX. */
  readonly preference: number | null;
  /** DNSSEC status of the address records (weakest of A and AAAA). */
  readonly dnssec: Proof | null;
  /** RFC 7672 §2.2.2: DANE may apply to this host. */
  readonly secure: boolean;
  /** The CNAME-expanded name, when the host name is an alias. */
  readonly canonical: string | null;
  readonly addresses: readonly AddressReport[];
  /** The TLSA RRset at the host (secure or not, or its failed lookup), or null when there is none. */
  readonly tlsa: TlsaReport | null;
}

/** DNSSEC facts about a zone the check went through. */
export interface ZoneReport {
  readonly apex: string;
  /** `signed` (chain of trust), `unsigned`, `island` (signed, no chain of trust) or `bogus`. */
  readonly status: 'signed' | 'unsigned' | 'island' | 'bogus' | 'unknown';
  /** NSEC3 hash iterations and salt (hex), when the zone uses NSEC3. */
  readonly nsec3: { readonly iterations: number; readonly salt: string } | null;
  /** Earliest RRSIG expiration seen in this zone (ISO 8601), or null. */
  readonly signaturesExpire: string | null;
}

/** The whole report: the `--json` shape. */
export interface CheckReport {
  readonly domain: string;
  readonly verdict: Verdict;
  /** SMTP port checked (TLSA owner names follow it). */
  readonly port: number;
  /** DNSSEC status of the MX RRset, or null when its lookup failed. */
  readonly mx: {
    readonly status: Proof | null;
    readonly kind: 'hosts' | 'implicit' | 'null-mx' | 'nxdomain' | 'failed';
  };
  readonly hosts: readonly HostReport[];
  readonly zones: readonly ZoneReport[];
  readonly findings: readonly Finding[];
  /** ISO 8601 time of the check. */
  readonly checkedAt: string;
}

export type CheckErrorCode = 'CHECK_ERR_DOMAIN' | 'CHECK_ERR_OPTIONS';

/** A domain or option the checker cannot work with (bad caller input, never a finding). */
export class CheckError extends MtaError<CheckErrorCode> {
  constructor(code: CheckErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'CheckError';
  }
}
