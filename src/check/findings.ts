/**
 * The catalogue of findings: every code the checker can report, its severity and whether it
 * means "could not tell" — so one table, not the call sites, decides how serious a problem is.
 * Severities follow the issue: `error` for what makes DANE fail or mail defer now (no match,
 * bogus data, no STARTTLS where TLSA exists), `warning` for risks (expiry soon, no next key,
 * NSEC3 iterations, DANE silently not in effect), `info` for the rest. Also the verdict and the
 * exit status derived from a list of findings. Pure; no I/O.
 */
import type { Finding, Severity, Verdict } from './types.ts';

interface FindingKind {
  readonly severity: Severity;
  /** The checker could not find out (a lookup or connection failed): exit 75 unless an error is certain. */
  readonly unknown?: true;
  /** One line for the README's table. */
  readonly about: string;
}

/** Every finding code. */
export const FINDINGS = {
  // The domain and its MX RRset.
  'domain-nxdomain': { severity: 'error', about: 'the domain does not exist (NXDOMAIN)' },
  'null-mx': { severity: 'info', about: 'the domain accepts no mail (null MX, RFC 7505)' },
  'no-mx': { severity: 'info', about: 'no MX RRset: the domain itself is the mail host' },
  'mx-insecure': { severity: 'info', about: 'the MX RRset is not DNSSEC-signed' },
  'dnssec-bogus': { severity: 'error', about: 'an answer failed DNSSEC validation (with its EDE reason)' },
  'lookup-failed': { severity: 'error', unknown: true, about: 'a DNS lookup failed (SERVFAIL, timeout)' },
  // Hosts and zones.
  'host-no-address': { severity: 'error', about: 'an MX host has no A or AAAA record' },
  'host-insecure': { severity: 'info', about: 'an MX host is not in a signed zone: no DANE for it' },
  'zone-island': { severity: 'warning', about: 'a signed zone without a DS at its parent (an island)' },
  'rrsig-expiring': { severity: 'warning', about: 'RRSIGs expire within --days' },
  'nsec3-iterations': { severity: 'warning', about: 'NSEC3 iterations above 0 (RFC 9276)' },
  'nsec3-salt': { severity: 'info', about: 'an NSEC3 salt (RFC 9276 advises none)' },
  // TLSA records.
  'no-tlsa': { severity: 'info', about: 'a secure host without TLSA records: DANE not published' },
  'tlsa-wrong-owner': { severity: 'warning', about: 'TLSA records at the domain instead of the MX host' },
  'tlsa-wrong-port': { severity: 'warning', about: 'TLSA records for another port than the one checked' },
  'tlsa-unsigned-zone': { severity: 'warning', about: 'TLSA records in a zone that is not signed' },
  'tlsa-pkix-only': { severity: 'warning', about: 'only PKIX-TA/PKIX-EE (0/1) records: unusable for SMTP' },
  'tlsa-digest-length': { severity: 'warning', about: 'a TLSA digest of the wrong length' },
  'tlsa-unusable': { severity: 'warning', about: 'a TLSA record no SMTP client can use' },
  'tlsa-superseded': {
    severity: 'info',
    about: 'a weaker digest ignored beside a stronger one (RFC 7671 §9)',
  },
  // The SMTP server.
  'starttls-missing': { severity: 'error', about: 'TLSA records exist but the server offers no STARTTLS' },
  'plaintext-only': { severity: 'warning', about: 'no TLSA and no STARTTLS: mail travels in plaintext' },
  'handshake-failed': { severity: 'error', about: 'TLSA records exist but the TLS handshake fails' },
  'tls-failed': { severity: 'warning', about: 'no TLSA records and the TLS handshake fails' },
  'smtp-unreachable': { severity: 'error', unknown: true, about: 'the SMTP server could not be reached' },
  'address-refused': {
    severity: 'warning',
    unknown: true,
    about: 'an MX address in a loopback, private or link-local range was not connected to',
  },
  'check-timeout': { severity: 'error', unknown: true, about: 'the check ran out of time' },
  // DANE authentication.
  'dane-ok': { severity: 'info', about: 'a TLSA record authenticated the server' },
  'tlsa-no-match': { severity: 'error', about: 'no TLSA record matches the server (stale after a renewal)' },
  'dane-ta-ca-not-sent': { severity: 'error', about: 'a DANE-TA record names a CA the server does not send' },
  'dane-ta-name-mismatch': { severity: 'error', about: 'under DANE-TA the certificate names neither host' },
  'dane-ta-chain-invalid': { severity: 'error', about: 'under DANE-TA the chain does not verify' },
  'cert-expiring': { severity: 'warning', about: 'under DANE-TA a certificate expires within --days' },
  'no-next-key': {
    severity: 'warning',
    about: 'only the current key is published: a renewal will break mail',
  },
  'tlsa-unmatched': {
    severity: 'info',
    about: 'a record matches nothing the server sends (next key or stale)',
  },
} as const satisfies Record<string, FindingKind>;

export type FindingCode = keyof typeof FINDINGS;

/**
 * Text safe to show on one line: control characters (which a hostile server or zone could put in
 * a reply text or a name) become `?`, so nothing it sends can start a line of its own.
 */
export function safeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** A finding with the severity the catalogue gives its code. */
export function finding(
  code: FindingCode,
  host: string | null,
  message: string,
  fix: string | null,
): Finding {
  const f = fix === null ? null : safeText(fix);
  return { severity: FINDINGS[code].severity, code, host, message: safeText(message), fix: f };
}

/** True when the finding means "could not tell". */
export function isUnknown(f: Finding): boolean {
  const kind: FindingKind | undefined = (FINDINGS as Record<string, FindingKind>)[f.code];
  return kind?.unknown === true;
}

/**
 * The verdict: `error` when an error is certain, `unknown` when something could not be found out
 * (and nothing is certainly wrong), else `warning` or `ok`.
 */
export function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.severity === 'error' && !isUnknown(f))) return 'error';
  if (findings.some(isUnknown)) return 'unknown';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}

/** Exit status of `dane-mta check`: 0 no error, 1 an error found, 75 could not tell. */
export function exitStatusOf(verdict: Verdict): 0 | 1 | 75 {
  if (verdict === 'error') return 1;
  if (verdict === 'unknown') return 75;
  return 0;
}

const ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** Findings sorted by severity (stable within one severity), duplicates removed. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const unique = findings.filter((f) => {
    const key = `${f.code}|${f.host ?? ''}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((f, i) => ({ f, i }))
    .sort((a, b) => ORDER[a.f.severity] - ORDER[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}
