/**
 * NSEC3 hashed owner names (RFC 5155 §5, §8.1–§8.3): the iterated SHA-1 hash, which NSEC3 RRs
 * a validator may use, their grouping by parameter set (§8.2), match and cover with
 * wrap-around, the per-proof hash cache and the RFC 9276 iteration limits checked before any
 * hashing. The proofs built on it live in denial-nsec3.ts. Works on signature-verified records;
 * never mixes parameter sets in one proof; nothing throws. Pure apart from SHA-1.
 */
import { compareBytes, toHex } from '../../util/index.ts';
import { fromBase32Hex, type Name, type Nsec3Rdata, type Rr } from '../wire/index.ts';
import { nsec3IteratedSha1 } from './algorithms.ts';
import { usableDenialRecords, type DenialOptions } from './denial-input.ts';
import { Ede, InsecureKind, type DenialProof } from './proof.ts';

/**
 * RFC 9276 §3.2 threshold: "Validating resolvers MAY return an insecure response to their
 * clients when processing NSEC3 records with iterations larger than 0". We default to Unbound's
 * and BIND's 150: iterations above `insecureAbove` make the denial insecure — at any count, as
 * Unbound and BIND treat it (the SERVFAIL RFC 9276 also allows is not used) — with EDE 27
 * (Unsupported NSEC3 Iterations Value) and `insecureKind: 'nsec3-iterations'`, before any hash
 * is computed. Such a denial proves nothing either way: callers that must not rest a decision on
 * an unproven denial (DANE) treat that kind of insecure as a lookup failure.
 */
export interface Nsec3Limits {
  insecureAbove?: number;
  /**
   * At most this many NSEC3 parameter sets (hash algorithm, iterations, salt) of one zone are
   * tried per proof; more make the proof bogus (RFC 5155 §8.2 allows that for any mix). Each set
   * costs its own hashing (CVE-2023-50868). Default 3.
   */
  maxParamSets?: number;
}

/** Options of the NSEC3 proofs: the limits and what is known of the records' signatures. */
export interface Nsec3Options extends Nsec3Limits, DenialOptions {
  /**
   * Where hashes come from: a validator passes one `Nsec3Hashes` per lookup, so that no name is
   * hashed twice for one parameter set and every hash is charged to its budget. Default: a
   * fresh one per proof.
   */
  hashes?: Nsec3Hashes | undefined;
}

export const DEFAULT_NSEC3_LIMITS: Readonly<Required<Nsec3Limits>> = {
  insecureAbove: 150,
  maxParamSets: 3,
};

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

/** Computes one NSEC3 hash (RFC 5155 §5) of a name for a salt and an iteration count. */
export type Nsec3HashFunction = (name: Name, salt: Uint8Array, iterations: number) => Uint8Array;

/** RFC 5155 §5 with SHA-1 (hash algorithm 1, the only one defined). */
export const nsec3Sha1: Nsec3HashFunction = (name, salt, iterations) =>
  nsec3IteratedSha1(name.canonical().toWire(), salt, iterations);

/**
 * The NSEC3 hashes of one lookup: each (name, salt, iterations) is hashed once, however many
 * proofs, parameter sets and key-walk steps ask for it — re-hashing the same names was what made
 * NSEC3 denial a CPU amplifier (CVE-2023-50868). `beforeCompute` is called before every new
 * hash, so a caller can charge it to a work budget, and stop the proof by throwing.
 */
export class Nsec3Hashes {
  readonly #memo = new Map<string, Uint8Array>();
  readonly #compute: Nsec3HashFunction;
  readonly #beforeCompute: (() => void) | undefined;
  /** Hashes computed so far (cache hits not counted). */
  computed = 0;

  constructor(opts: { compute?: Nsec3HashFunction; beforeCompute?: () => void } = {}) {
    this.#compute = opts.compute ?? nsec3Sha1;
    this.#beforeCompute = opts.beforeCompute;
  }

  hash(name: Name, params: { salt: Uint8Array; iterations: number }): Uint8Array {
    const id = `${params.iterations}/${toHex(params.salt)}/${name.key()}`;
    let h = this.#memo.get(id);
    if (h === undefined) {
      this.#beforeCompute?.();
      h = this.#compute(name, params.salt, params.iterations);
      this.computed++;
      this.#memo.set(id, h);
    }
    return h;
  }
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

/** Per-proof state: the usable NSEC3s of one zone and one parameter set, and the hashes. */
export class Ctx {
  readonly zone: Name;
  readonly records: readonly Usable[];
  readonly #hashes: Nsec3Hashes;

  constructor(zone: Name, records: readonly Usable[], hashes: Nsec3Hashes = new Nsec3Hashes()) {
    this.zone = zone;
    this.records = records;
    this.#hashes = hashes;
  }

  hash(name: Name, d: Nsec3Rdata): Uint8Array {
    return this.#hashes.hash(name, d);
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

function single(
  rr: Rr<Nsec3Rdata>,
  zone: Name | undefined,
  hashes: Nsec3Hashes | undefined,
): Ctx | undefined {
  const u = toUsable(rr);
  if (u === undefined || (zone !== undefined && !u.zone.equals(zone))) return undefined;
  return new Ctx(u.zone, [u], hashes);
}

/** True when hash(name) equals the NSEC3's owner hash and name lies in the NSEC3's zone. */
export function nsec3Matches(
  nsec3: Rr<Nsec3Rdata>,
  name: Name,
  zone?: Name,
  opts: { hashes?: Nsec3Hashes | undefined } = {},
): boolean {
  return single(nsec3, zone, opts.hashes)?.matching(name) !== undefined;
}

/** True when hash(name) falls strictly inside the NSEC3's span (with wrap-around), name in its zone. */
export function nsec3Covers(
  nsec3: Rr<Nsec3Rdata>,
  name: Name,
  zone?: Name,
  opts: { hashes?: Nsec3Hashes | undefined } = {},
): boolean {
  return single(nsec3, zone, opts.hashes)?.covering(name) !== undefined;
}

/** The parameter set of an NSEC3 as a key: hash algorithm, iterations and salt (RFC 5155 §3.1). */
function paramKey(d: Nsec3Rdata): string {
  return `${d.hashAlgorithm}/${d.iterations}/${toHex(d.salt)}`;
}

/**
 * NSEC3 records grouped by parameter set (hash algorithm, iterations, salt), in order of first
 * appearance. RFC 5155 §8.2: "A validator MAY treat a response as bogus if the response contains
 * NSEC3 RRs that contain different values for hash algorithm, iterations, or salt from each
 * other for that zone." A proof uses the records of one group only.
 */
export function groupByNsec3Params<T extends Rr<Nsec3Rdata>>(records: readonly T[]): T[][] {
  return groupBy(records, (rr) => paramKey(rr.data));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [item]);
    else g.push(item);
  }
  return [...groups.values()];
}

/** What `prepare` yields per parameter set: a context to prove with, or the set's own verdict. */
export type ParamSet = Ctx | DenialProof;

/**
 * Pick the zone and its usable NSEC3s, one context per parameter set. Without an explicit zone,
 * the closest zone above qname among the NSEC3 owners (for DS, strictly above: the DS answer
 * comes from the parent). Records shown by `opts.rrsigs` to be wildcard expansions are left out
 * (denial-input.ts). More parameter sets than `maxParamSets` → bogus before any hashing.
 */
export function prepare(
  qname: Name,
  nsec3s: readonly Rr<Nsec3Rdata>[],
  opts: { zone: Name | undefined; options: Nsec3Options | undefined; ds: boolean },
): ParamSet[] | DenialProof {
  const unexpanded = usableDenialRecords(nsec3s, { rrsigs: opts.options?.rrsigs });
  const all = unexpanded.map(toUsable).filter((u): u is Usable => u !== undefined);
  const zone = opts.zone ?? closestZone(qname, all, opts.ds);
  const records = zone === undefined ? [] : all.filter((u) => u.zone.equals(zone));
  if (zone === undefined || records.length === 0)
    return bogus(`no usable NSEC3 records for ${qname.toString()}`, Ede.NSEC_MISSING);
  const groups = groupBy(records, (u) => paramKey(u.rr.data));
  const max = opts.options?.maxParamSets ?? DEFAULT_NSEC3_LIMITS.maxParamSets;
  if (groups.length > max) {
    return bogus(
      `NSEC3 records of ${zone.toString()} with ${groups.length} parameter sets (at most ${max} are tried)`,
      Ede.DNSSEC_BOGUS,
    );
  }
  return groups.map((g) => withinLimits(zone, g, opts.options));
}

function closestZone(qname: Name, all: readonly Usable[], ds: boolean): Name | undefined {
  let zone: Name | undefined;
  for (const u of all) {
    if (!qname.isSubdomainOf(u.zone)) continue;
    if (ds && qname.equals(u.zone) && !qname.isRoot) continue;
    if (zone === undefined || u.zone.labelCount > zone.labelCount) zone = u.zone;
  }
  return zone;
}

/** One parameter set: its RFC 9276 iteration limits are checked before any hashing. */
function withinLimits(zone: Name, records: Usable[], limits: Nsec3Options | undefined): ParamSet {
  const iterations = (records[0] as Usable).rr.data.iterations;
  const insecureAbove = limits?.insecureAbove ?? DEFAULT_NSEC3_LIMITS.insecureAbove;
  if (iterations > insecureAbove) {
    const reason = `NSEC3 iterations ${iterations} above ${insecureAbove} (RFC 9276): insecure`;
    return {
      status: 'insecure',
      reason,
      ede: Ede.UNSUPPORTED_NSEC3_ITERATIONS,
      insecureKind: InsecureKind.NSEC3_ITERATIONS,
    };
  }
  return new Ctx(zone, records, limits?.hashes);
}

function bogus(reason: string, ede: number): DenialProof {
  return { status: 'bogus', reason, ede };
}
