/**
 * Trust anchors (RFC 4033 §5, RFC 7958): DS or DNSKEY records in zone-file presentation form —
 * a `--trust-anchor FILE`, or Unbound's `trust-anchor: "…"` strings (one RR per string) — and
 * the built-in IANA root zone KSKs. Parsing errors become one-line DnssecErrors naming the
 * line. Pure; no I/O (callers read files).
 */
import {
  isType,
  parseZone,
  RRType,
  WireError,
  type DnskeyRdata,
  type DsRdata,
  type Name,
  type Rr,
} from '../wire/index.ts';
import { DnssecError } from './errors.ts';

/** A trust anchor record: a DS or a DNSKEY. */
export type TrustAnchorRecord = Rr<DsRdata> | Rr<DnskeyRdata>;

/**
 * The IANA root zone trust anchors (https://data.iana.org/root-anchors/root-anchors.xml):
 * KSK-2017 (key tag 20326) and KSK-2024 (key tag 38696), both RSA/SHA-256 with SHA-256 digests.
 * 38696's digest was checked against several independent copies (systemd-resolved, BIND's
 * initial-ds, dnsmasq configurations), and both digests are recomputed from the published
 * DNSKEYs by this module's tests.
 */
export const IANA_ROOT_ANCHORS_TEXT = `
. 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. 172800 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`;

/**
 * Parse trust anchors from zone-file text (several DS/DNSKEY lines, `$ORIGIN`/`$TTL` allowed)
 * or from a list of strings, each holding one RR (Unbound's `trust-anchor:` form). Anything but
 * DS or DNSKEY records is refused, as is an empty input.
 */
export function parseTrustAnchors(input: string | readonly string[]): TrustAnchorRecord[] {
  const texts = typeof input === 'string' ? [input] : input;
  const out: TrustAnchorRecord[] = [];
  texts.forEach((text, i) => {
    const where = typeof input === 'string' ? 'trust anchor text' : `trust anchor ${i + 1}`;
    let rrs: Rr[];
    try {
      rrs = parseZone(text);
    } catch (e) {
      const msg = e instanceof WireError ? e.message : String(e);
      throw new DnssecError('DNSSEC_ERR_BAD_ANCHOR', `${where}: ${msg}`, { cause: e });
    }
    for (const rr of rrs) {
      if (isType(rr, RRType.DS) || isType(rr, RRType.DNSKEY)) out.push(rr);
      else
        throw new DnssecError(
          'DNSSEC_ERR_BAD_ANCHOR',
          `${where}: ${rr.name.toString()} is not a DS or DNSKEY record`,
        );
    }
  });
  if (out.length === 0)
    throw new DnssecError('DNSSEC_ERR_BAD_ANCHOR', 'no DS or DNSKEY records in the trust anchors');
  return out;
}

/** The built-in IANA root anchors as DS records. */
export function rootTrustAnchors(): Rr<DsRdata>[] {
  return parseTrustAnchors(IANA_ROOT_ANCHORS_TEXT).filter((rr): rr is Rr<DsRdata> => rr.type === RRType.DS);
}

/** Trust anchors of one zone. */
export interface AnchorGroup {
  zone: Name;
  ds: DsRdata[];
  dnskeys: DnskeyRdata[];
}

/** Group anchor records by zone (the first spelling of each owner name is kept). */
export function groupTrustAnchors(records: readonly TrustAnchorRecord[]): AnchorGroup[] {
  const byZone = new Map<string, AnchorGroup>();
  for (const rr of records) {
    let g = byZone.get(rr.name.key());
    if (g === undefined) {
      g = { zone: rr.name, ds: [], dnskeys: [] };
      byZone.set(rr.name.key(), g);
    }
    if (isType(rr, RRType.DS)) g.ds.push(rr.data);
    else if (isType(rr, RRType.DNSKEY)) g.dnskeys.push(rr.data);
  }
  return [...byZone.values()];
}
