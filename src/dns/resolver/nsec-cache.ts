/**
 * Aggressive use of the DNSSEC-validated cache (RFC 8198 §5.1): NSEC records that proved a
 * negative answer secure are kept per zone, and later questions whose NXDOMAIN or NODATA they
 * already prove are answered from them without asking (as BIND 9.18 and Unbound do; NSEC only —
 * NSEC3 is left out, as RFC 8198 §5.2 makes it optional). The records were signature-verified
 * with the zone's validated keys when they were stored; each is kept no longer than its
 * validated TTL (RFC 9077: min of the NSEC TTL and the SOA MINIMUM, capped by the RRSIG
 * expiration). Must never: synthesize anything from records that were not proven secure.
 */
import type { DenialProof } from '../dnssec/index.ts';
import type { Clock } from '../../util/index.ts';
import { RRType, type Name } from '../wire/index.ts';
import type { Limits } from './budget.ts';
import { TtlCache } from './cache.ts';
import { proveNegative } from './denial.ts';
import { suffixKeys } from './name-keys.ts';
import type { RRset } from './rrset.ts';

interface StoredNsec {
  set: RRset;
  expiresAt: number;
}

interface ZoneNsecs {
  zone: Name;
  byOwner: Map<string, StoredNsec>;
}

/** A negative answer made from cached NSEC records. */
export interface SynthesizedDenial {
  kind: 'nxdomain' | 'nodata';
  zone: Name;
  proof: DenialProof;
  /** Seconds the answer may be cached: the smallest remaining NSEC lifetime. */
  ttl: number;
}

/** Per zone, at most this many NSEC RRsets are kept (the oldest go first). */
const MAX_PER_ZONE = 256;

export class NsecCache {
  readonly #clock: Clock;
  readonly #zones: TtlCache<ZoneNsecs>;

  constructor(clock: Clock, maxZones: number) {
    this.#clock = clock;
    this.#zones = new TtlCache(clock, maxZones);
  }

  /** Remember NSEC RRsets of `zone` that just proved a negative answer secure. */
  add(zone: Name, sets: readonly RRset[], ttl: number): void {
    const nsecSets = sets.filter((s) => s.type === RRType.NSEC);
    if (nsecSets.length === 0 || ttl <= 0) return;
    let z = this.#zones.get(zone.key());
    if (z === undefined) z = { zone, byOwner: new Map() };
    const expiresAt = this.#clock.now() + ttl * 1000;
    for (const set of nsecSets) {
      z.byOwner.delete(set.name.key());
      z.byOwner.set(set.name.key(), { set, expiresAt });
    }
    while (z.byOwner.size > MAX_PER_ZONE) {
      const oldest = z.byOwner.keys().next();
      if (oldest.done === true) break;
      z.byOwner.delete(oldest.value);
    }
    this.#zones.set(zone.key(), z, ttl);
  }

  /**
   * An NXDOMAIN or NODATA for (name, qtype) the cached NSECs of its closest zone prove, if any.
   * `governedBy` is the zone of the trust anchor that governs `name`: nothing is synthesized
   * when that anchor lies below the NSECs' zone (a negative or closer trust anchor decides).
   */
  synthesize(
    name: Name,
    qtype: number,
    opts: { limits: Limits; governedBy?: Name | undefined },
  ): SynthesizedDenial | undefined {
    if (qtype === RRType.DS) return undefined; // answered by the parent; not worth the subtlety
    const z = this.#closestZone(name);
    if (z === undefined) return undefined;
    if (opts.governedBy !== undefined && opts.governedBy.labelCount > z.zone.labelCount) return undefined;
    const limits = opts.limits;
    const now = this.#clock.now();
    const live: StoredNsec[] = [];
    for (const [key, s] of z.byOwner) {
      if (s.expiresAt <= now) z.byOwner.delete(key);
      else live.push(s);
    }
    if (live.length === 0) return undefined;
    const proofs = live.map((s) => s.set);
    const ttl = Math.max(0, Math.floor((Math.min(...live.map((s) => s.expiresAt)) - now) / 1000));
    for (const kind of ['nxdomain', 'nodata'] as const) {
      const proof = proveNegative({ name, qtype, kind, proofs, zone: z.zone, dc: { limits } });
      if (proof.status === 'secure') return { kind, zone: z.zone, proof, ttl };
    }
    return undefined;
  }

  clear(): void {
    this.#zones.clear();
  }

  #closestZone(name: Name): ZoneNsecs | undefined {
    if (this.#zones.size === 0) return undefined;
    for (const key of suffixKeys(name)) {
      const z = this.#zones.get(key);
      if (z !== undefined) return z;
    }
    return undefined;
  }
}
