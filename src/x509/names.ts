/**
 * Reference-identifier matching for DANE-TA(2) peers (RFC 7672 §3.2, RFC 6125 §6.4): the
 * certificate's DNS-IDs (subjectAltName dNSNames), or its subject CNs only when it has no
 * DNS-ID at all, compared case-insensitively and without a trailing dot with the reference
 * names (TLSA base domain, MX host). A wildcard is honoured only as the whole leftmost label,
 * matches exactly one label, and never `*` alone or `*.tld`.
 * Never matches non-ASCII text (names must be A-labels) or partial wildcards (`f*o`, `*o`).
 */
import type { Certificate } from './cert.ts';

/** Lower-case `name` and drop one trailing dot; undefined when it is not a plausible DNS name. */
export function normalizeDnsName(name: string): string | undefined {
  const n = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  if (n.length === 0 || n.length > 253 || !/^[\x21-\x7e]+$/.test(n)) return undefined;
  const labels = n.split('.');
  if (labels.some((l) => l.length === 0 || l.length > 63)) return undefined;
  return n;
}

/**
 * Does the presented identifier `pattern` (from a certificate) match the reference `host`?
 * RFC 6125 §6.4.3: "If the wildcard character is the only character of the left-most label in
 * the presented identifier, the client SHOULD NOT compare against anything but the left-most
 * label of the reference identifier (e.g., *.example.com would match foo.example.com but not
 * bar.foo.example.com or example.com)." Partial-label wildcards (`f*o`, `*o`) are refused:
 * RFC 6125 §6.4.3 makes matching them optional, and we choose the stricter reading.
 */
export function matchesHostname(pattern: string, host: string): boolean {
  const p = normalizeDnsName(pattern);
  const h = normalizeDnsName(host);
  if (p === undefined || h === undefined || h.includes('*')) return false;
  if (!p.includes('*')) return p === h;
  const [first, ...rest] = p.split('.');
  // Only "*" as the complete leftmost label, at least two labels after it (never "*" or "*.tld").
  if (first !== '*' || rest.length < 2 || rest.some((l) => l.includes('*'))) return false;
  const hostLabels = h.split('.');
  if (hostLabels.length !== rest.length + 1) return false;
  return hostLabels.slice(1).join('.') === rest.join('.');
}

/** `text` with every character outside printable ASCII escaped (`\x0A`, `\u00E9`), for messages. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    const hex = cp.toString(16).toUpperCase();
    return cp < 0x100 ? `\\x${hex.padStart(2, '0')}` : `\\u{${hex}}`;
  });
}

/** The identifiers a certificate presents for DNS name matching. */
export function presentedDnsIds(cert: Certificate): { ids: readonly string[]; from: 'san' | 'cn' } {
  // RFC 6125 §6.4.4: "if and only if the presented identifiers do not include a DNS-ID, SRV-ID,
  // URI-ID, or any application-specific identifier types supported by the client, then the client
  // MAY as a last resort check for a string whose form matches that of a fully qualified DNS
  // domain name in a Common Name field of the subject field (i.e., a CN-ID)."
  if (cert.dnsNames.length > 0) return { ids: cert.dnsNames, from: 'san' };
  return { ids: cert.commonNames, from: 'cn' };
}

/** Result of matching a certificate against reference names. */
export type NameMatch =
  | { readonly ok: true; readonly reference: string; readonly presented: string }
  | { readonly ok: false; readonly presented: readonly string[]; readonly reason: string };

/** Does `cert` carry a name matching any of `referenceNames`? */
export function matchCertificateName(cert: Certificate, referenceNames: readonly string[]): NameMatch {
  const { ids, from } = presentedDnsIds(cert);
  for (const reference of referenceNames) {
    for (const presented of ids) {
      if (matchesHostname(presented, reference)) return { ok: true, reference, presented };
    }
  }
  // The names come from the peer: escape them, so a CN like "x\nDANE: validated successfully"
  // cannot add a line to an operator's transcript.
  const list = ids.map(printable).join(', ');
  const shown = ids.length === 0 ? 'no DNS names' : `${from === 'san' ? 'DNS SANs' : 'CN'} ${list}`;
  const refs = referenceNames.length === 0 ? '(none given)' : referenceNames.join(', ');
  return { ok: false, presented: ids, reason: `certificate names (${shown}) match none of ${refs}` };
}
