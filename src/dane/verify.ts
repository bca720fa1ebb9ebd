/**
 * DANE peer authentication for SMTP (RFC 7672 §3.1, §3.2; RFC 7671 §5): the server's chain (DER,
 * leaf first) against a TLSA RRset already proven secure by the caller.
 * - DANE-EE(3): the leaf matches; no name and no expiry checks.
 * - DANE-TA(2): a certificate of the chain (or a full certificate/key published in the record)
 *   matches; the path from the leaf to it verifies (signatures, CA flags, validity at `now`);
 *   the leaf carries one of the reference names (TLSA base domain, MX host).
 * Pure: no I/O, no clock (`now` is passed in). Never throws on a hostile peer: every outcome is
 * a DaneVerdict value. Only wrong arguments from the caller throw (DaneError).
 */
import {
  findTrustedPath,
  matchCertificateName,
  publicKeyFromSpki,
  tryParseCertificate,
  X509Error,
  type Certificate,
  type TrustedPath,
} from '../x509/index.ts';
import { associationData, matchesTlsa, selectedData, type CertSource } from './match.ts';
import { classifyTlsa } from './usable.ts';
import { SecureTlsa } from './secure-tlsa.ts';
import { equalBytes } from '../util/index.ts';
import {
  CertUsage,
  DaneError,
  describeTlsaParams,
  Matching,
  Selector,
  type DaneFailure,
  type DaneVerdict,
  type TlsaRecord,
} from './types.ts';

/** Options of verifyDanePeer. */
export interface VerifyDaneOptions {
  /** Names the leaf must carry for DANE-TA(2): the TLSA base domain and the MX host name. */
  readonly referenceNames: readonly string[];
  /** Validation time in ms since the epoch (DANE-TA path validity). */
  readonly now: number;
  /** Longest DANE-TA path in certificates (default 10). */
  readonly maxDepth?: number;
}

/** The most presented certificates (after the leaf) and DNS certificates/keys we look at. */
const MAX_PRESENTED = 24;
const MAX_FROM_DNS = 8;

function fail(code: DaneFailure['code'], reason: string, extra: Partial<DaneFailure> = {}): DaneFailure {
  return { ok: false, code, reason, ...extra };
}

function checkArguments(chain: readonly Uint8Array[], tlsa: SecureTlsa, opts: VerifyDaneOptions): void {
  if (!Array.isArray(chain) || !chain.every((c) => c instanceof Uint8Array)) {
    throw new DaneError('DANE_ERR_BAD_INPUT', 'verifyDanePeer: chain must be an array of DER Uint8Arrays');
  }
  // RFC 7672 §2.2: only a secure TLSA RRset authenticates a peer; the type carries that proof.
  if (!(tlsa instanceof SecureTlsa))
    throw new DaneError(
      'DANE_ERR_BAD_INPUT',
      'verifyDanePeer: the TLSA records must be a SecureTlsa (proven secure)',
    );
  if (!Number.isFinite(opts.now))
    throw new DaneError('DANE_ERR_BAD_INPUT', 'verifyDanePeer: now must be a finite number of ms');
  if (!Array.isArray(opts.referenceNames) || !opts.referenceNames.every((n) => typeof n === 'string')) {
    throw new DaneError('DANE_ERR_BAD_INPUT', 'verifyDanePeer: referenceNames must be an array of strings');
  }
}

/** A matcher that computes each (selector, matching type) association of a certificate once. */
function anchorMatcher(records: readonly TlsaRecord[]): (cert: CertSource) => TlsaRecord | undefined {
  const memo = new WeakMap<object, TlsaRecord | null>();
  return (cert) => {
    const known = memo.get(cert);
    if (known !== undefined) return known ?? undefined;
    const assoc = new Map<string, Uint8Array | undefined>();
    const found = records.find((r) => {
      const key = `${r.selector}/${r.matchingType}`;
      if (!assoc.has(key)) assoc.set(key, associationData(cert, r));
      const data = assoc.get(key);
      return data !== undefined && equalBytes(data, r.data);
    });
    memo.set(cert, found ?? null);
    return found;
  };
}

/** DANE-EE(3), RFC 7672 §3.1.1: only the leaf is compared. */
function verifyEe(leaf: Uint8Array, ee: readonly TlsaRecord[]): DaneVerdict | undefined {
  // RFC 7671 §5.1: "The server MUST be considered authenticated even if none of the names in the
  // certificate match the client's reference identity for the server." RFC 7672 §3.1.1:
  // "Similarly, the expiration date of the server certificate MUST be ignored: the validity period
  // of the TLSA record key binding is determined by the validity interval of the TLSA record DNSSEC
  // signature."
  const matched = ee.find((r) => matchesTlsa(r, leaf));
  if (matched === undefined) return undefined;
  return {
    ok: true,
    usage: 3,
    matched,
    depth: 0,
    reason: `${describeTlsaParams(matched)} record matched the server certificate`,
  };
}

/** The presented chain (after the leaf) and full certificates from `2 0 0` records, parsed. */
function issuerPool(chain: readonly Uint8Array[], ta: readonly TlsaRecord[]): Certificate[] {
  const fromDns = ta
    .filter((r) => r.selector === Selector.CERT && r.matchingType === Matching.FULL)
    .slice(0, MAX_FROM_DNS)
    .map((r) => r.data);
  const pool: Certificate[] = [];
  // Certificates from DNS come first, so a long peer chain can never crowd them out.
  for (const der of [...fromDns, ...chain.slice(1, 1 + MAX_PRESENTED)]) {
    const cert = tryParseCertificate(der);
    if (!(cert instanceof X509Error)) pool.push(cert);
  }
  return pool;
}

/** Bare trust-anchor keys from `2 1 0` records (RFC 7671 §5.2: a TA given by its public key alone). */
function anchorKeys(
  ta: readonly TlsaRecord[],
): { key: NonNullable<Certificate['publicKey']>; anchor: TlsaRecord }[] {
  const out: { key: NonNullable<Certificate['publicKey']>; anchor: TlsaRecord }[] = [];
  for (const r of ta) {
    if (out.length >= MAX_FROM_DNS) break;
    if (r.selector !== Selector.SPKI || r.matchingType !== Matching.FULL) continue;
    const key = publicKeyFromSpki(r.data);
    if (key !== undefined) out.push({ key, anchor: r });
  }
  return out;
}

function taSuccess(
  found: TrustedPath<TlsaRecord>,
  leaf: Certificate,
  referenceNames: readonly string[],
): DaneVerdict {
  const { anchor: matched, depth } = found;
  const top = found.path[found.path.length - 1] as Certificate;
  const what = found.viaKey
    ? `the public key in ${describeTlsaParams(matched)} signed ${top.subject.oneline || 'the certificate'} at depth ${depth}`
    : `${describeTlsaParams(matched)} matched ${top.subject.oneline || 'a certificate'} at depth ${depth}`;
  // RFC 7672 §3.2: with DANE-TA(2) the leaf's names are checked against the reference
  // identifiers (the TLSA base domain and, where it differs, the MX host name).
  const name = matchCertificateName(leaf, referenceNames);
  if (!name.ok) {
    return fail('DANE_ERR_NAME_MISMATCH', `${what}, but ${name.reason}`, {
      depth,
      matched,
      opensslCode: 'HOSTNAME_MISMATCH',
    });
  }
  return {
    ok: true,
    usage: 2,
    matched,
    depth,
    name: name.reference,
    reason: `${what}; name ${name.presented} matches ${name.reference}`,
  };
}

/** DANE-TA(2), RFC 7672 §3.1.2 and RFC 7671 §5.2; undefined when no record matched at all. */
function verifyTa(
  chain: readonly Uint8Array[],
  ta: readonly TlsaRecord[],
  opts: VerifyDaneOptions,
): DaneVerdict | undefined {
  const leaf = tryParseCertificate(chain[0] as Uint8Array);
  if (leaf instanceof X509Error)
    return fail('DANE_ERR_BAD_CERT', `server certificate is unusable: ${leaf.message}`);
  const isAnchor = anchorMatcher(ta);
  const found = findTrustedPath<TlsaRecord>(leaf, issuerPool(chain, ta), {
    isAnchor: (cert) => isAnchor(cert),
    anchorKeys: anchorKeys(ta),
    now: opts.now,
    ...(opts.maxDepth === undefined ? {} : { maxDepth: opts.maxDepth }),
  });
  if (found.ok) return taSuccess(found, leaf, opts.referenceNames);
  if (!found.anchorReached) return undefined;
  const { problem } = found;
  const code = problem.kind === 'validity' ? 'DANE_ERR_EXPIRED' : 'DANE_ERR_CHAIN';
  const extra = found.depth === undefined ? {} : { depth: found.depth };
  return fail(code, `a DANE-TA(2) record matched, but ${problem.reason}`, {
    ...extra,
    opensslCode: problem.opensslCode,
  });
}

function noMatch(chain: readonly Uint8Array[], usable: readonly TlsaRecord[]): DaneFailure {
  const leaf = chain[0] as Uint8Array;
  if (selectedData(leaf, Selector.SPKI) === undefined) {
    const err = tryParseCertificate(leaf);
    const why = err instanceof X509Error ? err.message : 'malformed certificate';
    return fail('DANE_ERR_BAD_CERT', `server certificate is unusable: ${why}`);
  }
  const kinds = [...new Set(usable.map((r) => describeTlsaParams(r)))].join(', ');
  return fail('DANE_ERR_NO_MATCH', `no TLSA record (${kinds}) matches the server certificate chain`, {
    opensslCode: 'DANE_NO_MATCH',
  });
}

/**
 * Authenticate a TLS server's certificate chain with a secure TLSA RRset, as an SMTP client
 * (RFC 7672 §3). `chain` is DER, leaf first, as the server sent it; `tlsa` can only have been
 * built from a TLSA RRset proven secure (`SecureTlsa.fromProven`).
 * @throws DaneError (DANE_ERR_BAD_INPUT) only for malformed arguments, never for peer data.
 */
export function verifyDanePeer(
  chain: readonly Uint8Array[],
  tlsa: SecureTlsa,
  opts: VerifyDaneOptions,
): DaneVerdict {
  checkArguments(chain, tlsa, opts);
  const records = tlsa.records;
  const { usable, unusable } = classifyTlsa(records);
  if (usable.length === 0) {
    const why = unusable[0]?.reason ?? 'the RRset is empty';
    return fail('DANE_ERR_NO_USABLE_TLSA', `no usable TLSA record among ${records.length} (${why})`);
  }
  if (chain.length === 0) return fail('DANE_ERR_BAD_CERT', 'the server presented no certificate');
  const ee = verifyEe(
    chain[0] as Uint8Array,
    usable.filter((r) => r.usage === CertUsage.DANE_EE),
  );
  if (ee !== undefined) return ee;
  const ta = usable.filter((r) => r.usage === CertUsage.DANE_TA);
  if (ta.length > 0) {
    const verdict = verifyTa(chain, ta, opts);
    if (verdict !== undefined) return verdict;
  }
  return noMatch(chain, usable);
}
