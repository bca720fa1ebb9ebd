/**
 * What a server's certificate chain means against its TLSA records, in an operator's words
 * (RFC 7672 §3.1–3.2, RFC 7671 §5, §8): which record matched at which depth; when none did, the
 * record that would match now (the stale record after a renewal); a DANE-TA record for a CA the
 * server does not send; a leaf that names neither host under DANE-TA; certificates expiring soon
 * under DANE-TA; a lone DANE-EE key with no next key published; records that match nothing.
 * Pure: no I/O, no clock (`nowMs` is passed in). Peer data is only ever shown escaped.
 */
import {
  classifyTlsa,
  CertUsage,
  describeTlsaParams,
  formatTlsa,
  matchesTlsa,
  tlsaFromCertificate,
  verifyDanePeer,
  type DaneFailure,
  type SecureTlsa,
  type TlsaRecord,
} from '../dane/index.ts';
import { printable, tryParseCertificate, X509Error, type Certificate } from '../x509/index.ts';
import { finding } from './findings.ts';
import type { CertSummary, DaneResult, Finding } from './types.ts';

/** Everything the analysis of one address needs. */
export interface DaneInput {
  /** MX host name without the trailing dot (findings are about it). */
  readonly host: string;
  /** The TLSA owner name, e.g. `_25._tcp.mx.example.org.`. */
  readonly owner: string;
  /** The secure TLSA RRset. */
  readonly tlsa: SecureTlsa;
  /** The chain the server presented, DER, leaf first. */
  readonly chain: readonly Uint8Array[];
  /** RFC 7672 §3.2.3: the TLSA base domain and the MX host name. */
  readonly referenceNames: readonly string[];
  readonly address: string;
  readonly nowMs: number;
  /** Warn about expiry within this many days. */
  readonly days: number;
}

const DAY_MS = 86_400_000;

/** Parsed certificates of a chain (unparsable ones left out, with their depth kept). */
function parsedChain(chain: readonly Uint8Array[]): { depth: number; cert: Certificate }[] {
  const out: { depth: number; cert: Certificate }[] = [];
  chain.forEach((der, depth) => {
    const cert = tryParseCertificate(der);
    if (!(cert instanceof X509Error)) out.push({ depth, cert });
  });
  return out;
}

/** The presented chain in a few words per certificate. */
export function summarizeChain(chain: readonly Uint8Array[]): CertSummary[] {
  return parsedChain(chain).map(({ depth, cert }) => ({
    depth,
    subject: cert.subject.oneline || '(empty subject)',
    issuer: cert.issuer.oneline || '(empty issuer)',
    notAfter: new Date(cert.notAfter).toISOString(),
    names: cert.dnsNames.map(printable),
  }));
}

/** `3 1 1 0123456789abcdef…` — enough of a record to recognise it in a sentence. */
export function shortTlsa(r: TlsaRecord): string {
  const text = formatTlsa(r);
  const cut = text.indexOf(' ', 6) + 17;
  return text.length > cut + 1 ? `${text.slice(0, cut)}…` : text;
}

function daysLeft(notAfter: number, nowMs: number): number {
  return Math.floor((notAfter - nowMs) / DAY_MS);
}

/** The records a usage would need now: the leaf for DANE-EE, the top of the chain for DANE-TA. */
function wouldMatch(usable: readonly TlsaRecord[], chain: readonly Uint8Array[]): TlsaRecord[] {
  const out = new Map<string, TlsaRecord>();
  for (const r of usable) {
    const der = r.usage === CertUsage.DANE_EE ? chain[0] : chain[chain.length - 1];
    if (der === undefined || (r.usage === CertUsage.DANE_TA && chain.length < 2)) continue;
    try {
      const rec = tlsaFromCertificate(der, r);
      out.set(formatTlsa(rec), rec);
    } catch {
      // an unparsable certificate suggests nothing
    }
  }
  return [...out.values()];
}

function noMatch(input: DaneInput, usable: readonly TlsaRecord[]): Finding[] {
  const out: Finding[] = [];
  const certs = parsedChain(input.chain);
  const top = certs[certs.length - 1]?.cert;
  const ta = usable.filter((r) => r.usage === CertUsage.DANE_TA);
  const ee = usable.filter((r) => r.usage === CertUsage.DANE_EE);
  if (ta.length > 0 && top !== undefined && !top.selfIssued) {
    const sent = certs.map((c) => c.cert.subject.oneline || '(empty subject)').join(', ');
    out.push(
      finding(
        'dane-ta-ca-not-sent',
        input.host,
        `${input.address}: the DANE-TA record ${ta.map(shortTlsa).join(', ')} at ${input.owner} matches no certificate the server sends (${sent}); its chain ends with a certificate issued by ${top.issuer.oneline}, which it does not send`,
        `configure the server to send its full chain including the CA ${top.issuer.oneline} named by the record, or publish a record for a certificate the server does send`,
      ),
    );
    if (ee.length === 0) return out;
  }
  const want = wouldMatch(ee.length > 0 && out.length > 0 ? ee : usable, input.chain);
  const lines = want.map((r) => `${input.owner} IN TLSA ${formatTlsa(r)}`);
  out.push(
    finding(
      'tlsa-no-match',
      input.host,
      `${input.address}: no TLSA record at ${input.owner} (${usable.map(shortTlsa).join(', ')}) matches the certificate chain the server presents — a stale record after a key or certificate change?` +
        (want.length === 0 ? '' : ` The record that would match now: ${want.map(shortTlsa).join(', ')}`),
      want.length === 0
        ? 'publish TLSA records computed from the certificate the server presents now (dane-mta tlsa CERT.pem)'
        : `publish ${lines.join(' and ')}, then remove the stale record(s) once its TTL has passed`,
    ),
  );
  return out;
}

function failureFindings(input: DaneInput, v: DaneFailure, usable: readonly TlsaRecord[]): Finding[] {
  switch (v.code) {
    case 'DANE_ERR_NAME_MISMATCH':
      return [
        finding(
          'dane-ta-name-mismatch',
          input.host,
          `${input.address}: ${v.reason} — under DANE-TA the server certificate must name ${input.referenceNames.join(' or ')}`,
          `issue the server certificate with a subjectAltName of ${input.referenceNames[input.referenceNames.length - 1] ?? input.host}, or publish a DANE-EE record (3 1 1), which checks no name`,
        ),
      ];
    case 'DANE_ERR_CHAIN':
    case 'DANE_ERR_EXPIRED':
      return [
        finding(
          'dane-ta-chain-invalid',
          input.host,
          `${input.address}: ${v.reason}`,
          v.code === 'DANE_ERR_EXPIRED'
            ? 'renew the expired certificate (DANE-TA checks validity dates), or publish a DANE-EE record (3 1 1)'
            : 'send a chain that verifies from the server certificate up to the CA the DANE-TA record names',
        ),
      ];
    default:
      return noMatch(input, usable);
  }
}

/** Findings after a successful authentication: expiry under DANE-TA, next key, unmatched records. */
function successFindings(
  input: DaneInput,
  usable: readonly TlsaRecord[],
  v: { depth: number; usage: 2 | 3; matched: TlsaRecord },
): Finding[] {
  const { depth, usage } = v;
  const out: Finding[] = [];
  const certs = parsedChain(input.chain);
  if (usage === CertUsage.DANE_TA) {
    for (const { depth: d, cert } of certs.filter((c) => c.depth <= depth)) {
      const left = daysLeft(cert.notAfter, input.nowMs);
      if (left >= input.days) continue;
      out.push(
        finding(
          'cert-expiring',
          input.host,
          `${input.address}: the certificate at depth ${d} (${cert.subject.oneline}) expires on ${new Date(cert.notAfter).toISOString().slice(0, 10)}, in ${left} days; DANE-TA checks validity dates`,
          'renew it and install the new one before that date',
        ),
      );
    }
  }
  const leaf = input.chain[0];
  const ee = usable.filter((r) => r.usage === CertUsage.DANE_EE);
  const ta = usable.filter((r) => r.usage === CertUsage.DANE_TA);
  // A DANE-TA record with a full key or certificate may match as the issuer of the top of the
  // chain rather than as one of its certificates: the record that authenticated counts too.
  const matchesAny = (r: TlsaRecord): boolean =>
    r === v.matched ||
    (r.usage === CertUsage.DANE_EE
      ? leaf !== undefined && matchesTlsa(r, leaf)
      : input.chain.some((der) => matchesTlsa(r, der)));
  const unmatched = usable.filter((r) => !matchesAny(r));
  for (const r of unmatched) {
    out.push(
      finding(
        'tlsa-unmatched',
        input.host,
        `${input.address}: ${describeTlsaParams(r)} record ${shortTlsa(r)} matches nothing the server presents`,
        'keep it if it is the next key of a planned rollover; remove it if it is left over from an old one',
      ),
    );
  }
  if (ta.length === 0 && ee.length > 0 && unmatched.length === 0) {
    out.push(
      finding(
        'no-next-key',
        input.host,
        `only the server's current key is published at ${input.owner}: when the key changes at the next certificate renewal, DANE will fail and mail will be deferred`,
        'publish a record for the next key now, beside the current one (dane-mta tlsa --next NEWKEY.pem), or add a DANE-TA 2 1 1 record for the issuing CA',
      ),
    );
  }
  return out;
}

/** Authenticate one address's chain and name what is wrong. */
export function analyzeDane(input: DaneInput): { dane: DaneResult; findings: Finding[] } {
  const { usable } = classifyTlsa(input.tlsa.records);
  if (usable.length === 0) {
    return {
      dane: { result: 'unusable', record: null, depth: null, reason: 'no usable TLSA record' },
      findings: [],
    };
  }
  const v = verifyDanePeer(input.chain, input.tlsa, {
    referenceNames: input.referenceNames,
    now: input.nowMs,
  });
  if (!v.ok) {
    return {
      dane: {
        result: 'failed',
        record: v.matched === undefined ? null : formatTlsa(v.matched),
        depth: v.depth ?? null,
        reason: v.reason,
      },
      findings: failureFindings(input, v, usable),
    };
  }
  const ok = finding(
    'dane-ok',
    input.host,
    `${input.address}: ${v.reason}${v.depth > 0 ? ` (depth ${v.depth})` : ''}`,
    null,
  );
  return {
    dane: { result: 'validated', record: formatTlsa(v.matched), depth: v.depth, reason: v.reason },
    findings: [ok, ...successFindings(input, usable, v)],
  };
}
