/**
 * NSEC3 hashed owner names (RFC 5155 §5, §8.1–§8.3): the iterated SHA-1 hash, which NSEC3 RRs
 * a validator may use, match and cover with wrap-around, the per-proof hash cache and the RFC
 * 9276 iteration limits checked before any hashing. The proofs built on it live in
 * denial-nsec3.ts. Works on signature-verified records; nothing throws. Pure apart from SHA-1.
 */
import { compareBytes, toHex } from '../../util/index.ts';
import { fromBase32Hex, type Name, type Nsec3Rdata, type Rr } from '../wire/index.ts';
import { nsec3IteratedSha1 } from './algorithms.ts';
import { Ede, type DenialProof } from './proof.ts';

/**
 * RFC 9276 §3.2 thresholds. "Validating resolvers MAY return an insecure response to their
 * clients when processing NSEC3 records with iterations larger than 0" and "MAY also return a
 * SERVFAIL response when processing NSEC3 records with iterations larger than 0". Appendix A
 * found ~100 (insecure) and ~500 (SERVFAIL) interoperable; we default to Unbound's 150 for
 * insecure and 500 for bogus. Iterations above `insecureAbove` → insecure, above `bogusAbove`
 * → bogus, both with EDE 27 (Unsupported NSEC3 Iterations Value).
 */
export interface Nsec3Limits {
  insecureAbove?: number;
  bogusAbove?: number;
}

export const DEFAULT_NSEC3_LIMITS: Readonly<Required<Nsec3Limits>> = { insecureAbove: 150, bogusAbove: 500 };

/** The hash parameters of an NSEC3 / NSEC3PARAM record. */
export interface Nsec3HashParams {
  salt: Uint8Array;
  iterations: number;
  /** Hash algorithm; only 1 (SHA-1) is defined (RFC 5155 §11). Default 1. */
  hashAlgorithm?: number;
}

/**
 * The NSEC3 hash of a name (RFC 5155 §5): the iterated SHA-1 of the canonical wire form of the
 * name with the salt appended. Undefined for hash algorithms other than 1.
 */
export function nsec3Hash(name: Name, params: Nsec3HashParams): Uint8Array | undefined {
  if ((params.hashAlgorithm ?? 1) !== 1) return undefined;
  return nsec3IteratedSha1(name.canonical().toWire(), params.salt, params.iterations);
}

/** A usable NSEC3: decoded owner hash, from a zone, with known algorithm and flags. */
export interface Usable {
  rr: Rr<Nsec3Rdata>;
  ownerHash: Uint8Array;
  zone: Name;
}

/**
 * RFC 5155 §8.1: "A validator MUST ignore NSEC3 RRs with unknown hash types"; §8.2: "A validator
 * MUST ignore NSEC3 RRs with a Flag fields value other than zero or one".
 */
function toUsable(rr: Rr<Nsec3Rdata>): Usable | undefined {
  const d = rr.data;
  if (d.hashAlgorithm !== 1 || (d.flags & ~1) !== 0 || rr.name.isRoot) return undefined;
  const label = String.fromCharCode(...(rr.name.labels[0] as Uint8Array));
  const ownerHash = fromBase32Hex(label);
  if (ownerHash?.length !== 20 || d.nextHashed.length !== 20) return undefined;
  return { rr, ownerHash, zone: rr.name.stripLeft(1) };
}

/** Per-proof state: the usable NSEC3s of one zone and a cache of computed hashes. */
export class Ctx {
  readonly zone: Name;
  readonly records: readonly Usable[];
  readonly #cache = new Map<string, Uint8Array>();

  constructor(zone: Name, records: readonly Usable[]) {
    this.zone = zone;
    this.records = records;
  }

  hash(name: Name, d: Nsec3Rdata): Uint8Array {
    const id = `${d.iterations}/${toHex(d.salt)}/${name.key()}`;
    let h = this.#cache.get(id);
    if (h === undefined) {
      h = nsec3IteratedSha1(name.canonical().toWire(), d.salt, d.iterations);
      this.#cache.set(id, h);
    }
    return h;
  }

  matching(name: Name): Usable | undefined {
    if (!name.isSubdomainOf(this.zone)) return undefined;
    return this.records.find((u) => compareBytes(this.hash(name, u.rr.data), u.ownerHash) === 0);
  }

  covering(name: Name): Usable | undefined {
    if (!name.isSubdomainOf(this.zone)) return undefined;
    return this.records.find((u) =>
      hashCovered(this.hash(name, u.rr.data), u.ownerHash, u.rr.data.nextHashed),
    );
  }
}

/**
 * RFC 5155 §3.1.7 / §8.3: a hash is covered when it sorts strictly between the owner hash and
 * the next hashed owner; the last NSEC3 of the chain wraps around (next ≤ owner), and a chain of
 * one (next = owner) covers every hash but its own.
 */
function hashCovered(hash: Uint8Array, owner: Uint8Array, next: Uint8Array): boolean {
  const c = compareBytes(owner, next);
  if (c < 0) return compareBytes(owner, hash) < 0 && compareBytes(hash, next) < 0;
  return compareBytes(hash, owner) > 0 || compareBytes(hash, next) < 0;
}

function single(rr: Rr<Nsec3Rdata>, zone: Name | undefined): Ctx | undefined {
  const u = toUsable(rr);
  if (u === undefined || (zone !== undefined && !u.zone.equals(zone))) return undefined;
  return new Ctx(u.zone, [u]);
}

/** True when hash(name) equals the NSEC3's owner hash and name lies in the NSEC3's zone. */
export function nsec3Matches(nsec3: Rr<Nsec3Rdata>, name: Name, zone?: Name): boolean {
  return single(nsec3, zone)?.matching(name) !== undefined;
}

/** True when hash(name) falls strictly inside the NSEC3's span (with wrap-around), name in its zone. */
export function nsec3Covers(nsec3: Rr<Nsec3Rdata>, name: Name, zone?: Name): boolean {
  return single(nsec3, zone)?.covering(name) !== undefined;
}

/**
 * Pick the zone and its usable NSEC3s. Without an explicit zone, the closest zone above qname
 * among the NSEC3 owners (for DS, strictly above: the DS answer comes from the parent).
 */
export function prepare(
  qname: Name,
  nsec3s: readonly Rr<Nsec3Rdata>[],
  opts: { zone: Name | undefined; limits: Nsec3Limits | undefined; ds: boolean },
): Ctx | DenialProof {
  const all = nsec3s.map(toUsable).filter((u): u is Usable => u !== undefined);
  let zone = opts.zone;
  if (zone === undefined) {
    for (const u of all) {
      if (!qname.isSubdomainOf(u.zone)) continue;
      if (opts.ds && qname.equals(u.zone) && !qname.isRoot) continue;
      if (zone === undefined || u.zone.labelCount > zone.labelCount) zone = u.zone;
    }
  }
  const records = zone === undefined ? [] : all.filter((u) => u.zone.equals(zone));
  if (zone === undefined || records.length === 0)
    return bogus(`no usable NSEC3 records for ${qname.toString()}`, Ede.NSEC_MISSING);
  const maxIter = Math.max(...records.map((u) => u.rr.data.iterations));
  const bogusAbove = opts.limits?.bogusAbove ?? DEFAULT_NSEC3_LIMITS.bogusAbove;
  const insecureAbove = opts.limits?.insecureAbove ?? DEFAULT_NSEC3_LIMITS.insecureAbove;
  if (maxIter > bogusAbove) {
    return bogus(
      `NSEC3 iterations ${maxIter} above ${bogusAbove} (RFC 9276)`,
      Ede.UNSUPPORTED_NSEC3_ITERATIONS,
    );
  }
  if (maxIter > insecureAbove) {
    const reason = `NSEC3 iterations ${maxIter} above ${insecureAbove} (RFC 9276): insecure`;
    return { status: 'insecure', reason, ede: Ede.UNSUPPORTED_NSEC3_ITERATIONS };
  }
  return new Ctx(zone, records);
}

function bogus(reason: string, ede: number): DenialProof {
  return { status: 'bogus', reason, ede };
}
