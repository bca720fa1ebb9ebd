/**
 * TLSA matching (RFC 6698 §2.1.2, §2.1.3): the selector picks the full DER certificate
 * (Cert(0)) or its DER SubjectPublicKeyInfo (SPKI(1)); the matching type compares it exactly
 * (Full(0)) or by its SHA2-256(1) / SHA2-512(2) digest. Pure (digests come from x509).
 * Never matches on a selector or matching type it does not know.
 */
import { digest, extractSpki } from '../x509/index.ts';
import { equalBytes } from '../util/index.ts';
import { Matching, Selector, type TlsaRecord } from './types.ts';

/** A certificate as DER, or already parsed (anything with its exact DER and SPKI bytes). */
export type CertSource = Uint8Array | { readonly der: Uint8Array; readonly spki: Uint8Array };

/**
 * The bytes a selector designates. RFC 6698 §2.1.2: "0 -- Full certificate: the Certificate
 * binary structure as defined in [RFC5280]" and "1 -- SubjectPublicKeyInfo: DER-encoded binary
 * structure as defined in [RFC5280]". Undefined for other selectors or a malformed certificate.
 */
export function selectedData(cert: CertSource, selector: number): Uint8Array | undefined {
  const der = cert instanceof Uint8Array ? cert : cert.der;
  if (selector === Selector.CERT) return der;
  if (selector !== Selector.SPKI) return undefined;
  if (!(cert instanceof Uint8Array)) return cert.spki;
  try {
    return extractSpki(der);
  } catch {
    return undefined;
  }
}

/**
 * The certificate association data `cert` would have under `selector` and `matchingType`.
 * RFC 6698 §2.1.3: "0 -- Exact match on selected content", "1 -- SHA-256 hash of selected
 * content", "2 -- SHA-512 hash of selected content".
 */
export function associationData(
  cert: CertSource,
  params: { selector: number; matchingType: number },
): Uint8Array | undefined {
  const selected = selectedData(cert, params.selector);
  if (selected === undefined) return undefined;
  switch (params.matchingType) {
    case Matching.FULL:
      return selected;
    case Matching.SHA2_256:
      return digest('sha256', selected);
    case Matching.SHA2_512:
      return digest('sha512', selected);
    default:
      return undefined;
  }
}

/** Does `record`'s association data match `cert` (usage is not considered here)? */
export function matchesTlsa(record: TlsaRecord, cert: CertSource): boolean {
  const data = associationData(cert, record);
  return data !== undefined && equalBytes(data, record.data);
}

/** The first of `records` matching `cert`, if any. */
export function findMatchingTlsa(records: readonly TlsaRecord[], cert: CertSource): TlsaRecord | undefined {
  return records.find((r) => matchesTlsa(r, cert));
}
