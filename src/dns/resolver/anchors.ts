/**
 * Trust anchors as the resolver uses them: per zone, the DS and/or DNSKEY records from
 * `--trust-anchor FILE` or the built-in IANA root KSKs; lookup of the closest anchor above a name.
 * Negative trust anchors (RFC 7646: an operator's "treat this domain as unsigned", Unbound's
 * `domain-insecure`) are anchors without keys that make everything below them insecure.
 */
import { isType, RRType, type DnskeyRdata, type DsRdata, type Name, type Rr } from '../wire/index.ts';
import { suffixKeys } from './name-keys.ts';

export interface TrustAnchor {
  zone: Name;
  ds: DsRdata[];
  dnskeys: DnskeyRdata[];
  /** A negative trust anchor (RFC 7646): data at and below `zone` is insecure. */
  negative?: boolean;
}

export class TrustAnchors {
  readonly #byZone = new Map<string, TrustAnchor>();

  /**
   * Build from DS / DNSKEY records (other types are ignored), plus negative trust anchors
   * (RFC 7646) for domains to be treated as unsigned.
   */
  constructor(records: readonly Rr[], opts: { negative?: readonly Name[] } = {}) {
    for (const zone of opts.negative ?? [])
      this.#byZone.set(zone.key(), { zone, ds: [], dnskeys: [], negative: true });
    for (const rr of records) {
      let a = this.#byZone.get(rr.name.key());
      if (a?.negative === true) continue;
      if (a === undefined) {
        a = { zone: rr.name, ds: [], dnskeys: [] };
        this.#byZone.set(rr.name.key(), a);
      }
      if (isType(rr, RRType.DS)) a.ds.push(rr.data);
      else if (isType(rr, RRType.DNSKEY)) a.dnskeys.push(rr.data);
    }
  }

  get size(): number {
    return this.#byZone.size;
  }

  /** Every anchor, for display. */
  list(): TrustAnchor[] {
    return [...this.#byZone.values()];
  }

  /** The deepest anchor at or above `name`. */
  closest(name: Name): TrustAnchor | undefined {
    for (const key of suffixKeys(name)) {
      const a = this.#byZone.get(key);
      if (a !== undefined) return a;
    }
    return undefined;
  }
}
