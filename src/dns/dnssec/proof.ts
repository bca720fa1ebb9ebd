/**
 * Security status in the type (RFC 4033 §5, RFC 4035 §4.3): every answer the validator hands
 * out carries its records as a `Proven<T>` whose `proof` is secure, insecure, bogus or
 * indeterminate, with a reason and, where one applies, an Extended DNS Error code (RFC 8914 §4);
 * the value is read only by naming the weakest proof the reader accepts. Pure; no I/O.
 */
import type { Name } from '../wire/index.ts';
import { DnssecError } from './errors.ts';

/**
 * RFC 4035 §4.3: "Secure", "Insecure", "Bogus", "Indeterminate" — the four states a
 * security-aware resolver can assign to an answer.
 */
export type Proof = 'secure' | 'insecure' | 'bogus' | 'indeterminate';

/**
 * A value together with how well it is proven. The value is private: code reads it only through
 * `require(floor)` (or `requireSecure` / `requireProof`), which names the weakest proof the
 * reader accepts and throws for anything weaker — so every read site states its status, and
 * data of an insecure or bogus answer cannot be used by accident where only secure data may go.
 */
export class Proven<T> {
  readonly proof: Proof;
  // `declare`: no own property at all unless set, so an absent reason or EDE is absent.
  /** Why the proof is not `secure` (or how it was established), for logs and transcripts. */
  declare readonly reason?: string;
  /** RFC 8914 Extended DNS Error INFO-CODE, when one applies. */
  declare readonly ede?: number;
  readonly #value: T;

  constructor(value: T, proof: Proof, extra: { reason?: string | undefined; ede?: number | undefined } = {}) {
    this.#value = value;
    this.proof = proof;
    if (extra.reason !== undefined) this.reason = extra.reason;
    if (extra.ede !== undefined) this.ede = extra.ede;
  }

  /**
   * The value, when its proof is at least `floor` (`secure` ⊒ `insecure` ⊒ `indeterminate` ⊒
   * `bogus`); throws DNSSEC_ERR_NOT_SECURE otherwise — a programming error: callers are meant to
   * branch on `proof` first.
   */
  require(floor: Proof): T {
    if (!atLeast(this.proof, floor)) {
      const why = this.reason === undefined ? '' : `: ${this.reason}`;
      throw new DnssecError('DNSSEC_ERR_NOT_SECURE', `value is ${this.proof}, ${floor} required${why}`);
    }
    return this.#value;
  }

  /** The same proof over a value derived from this one (the value never leaves the wrapper). */
  map<U>(fn: (value: T) => U): Proven<U> {
    return new Proven(fn(this.#value), this.proof, { reason: this.reason, ede: this.ede });
  }
}

/** Extended DNS Error INFO-CODEs (RFC 8914 §4, RFC 9276 §3.2 / IANA registry). */
export const Ede = {
  OTHER: 0,
  UNSUPPORTED_DNSKEY_ALGORITHM: 1,
  UNSUPPORTED_DS_DIGEST: 2,
  STALE_ANSWER: 3,
  FORGED_ANSWER: 4,
  DNSSEC_INDETERMINATE: 5,
  DNSSEC_BOGUS: 6,
  SIGNATURE_EXPIRED: 7,
  SIGNATURE_NOT_YET_VALID: 8,
  DNSKEY_MISSING: 9,
  RRSIGS_MISSING: 10,
  NO_ZONE_KEY_BIT_SET: 11,
  NSEC_MISSING: 12,
  CACHED_ERROR: 13,
  NOT_READY: 14,
  BLOCKED: 15,
  CENSORED: 16,
  FILTERED: 17,
  PROHIBITED: 18,
  STALE_NXDOMAIN_ANSWER: 19,
  NOT_AUTHORITATIVE: 20,
  NOT_SUPPORTED: 21,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
  INVALID_DATA: 24,
  /** RFC 9276 §3.2 / IANA: "Unsupported NSEC3 Iterations Value". */
  UNSUPPORTED_NSEC3_ITERATIONS: 27,
} as const;
export type EdeCode = (typeof Ede)[keyof typeof Ede];

/**
 * Why a proof is insecure, where the why decides what a caller may do with it.
 * `nsec3-iterations`: only because NSEC3 iterations were above the limit (RFC 9276 §3.2) — the
 * zone's keys validate, but its denial was not checked, so it proves neither presence nor
 * absence. DANE must not rest a decision on it (a replayed high-iteration NSEC3 would strip TLS
 * or DANE): for MX, address, TLSA and DS purposes it is a lookup failure.
 */
export const InsecureKind = { NSEC3_ITERATIONS: 'nsec3-iterations' } as const;
export type InsecureKind = (typeof InsecureKind)[keyof typeof InsecureKind];

/**
 * How proofs combine along a chain (a CNAME chain, the links of a chain of trust): the result
 * is as weak as its weakest link. Order, strongest first: secure, insecure, indeterminate,
 * bogus — a bogus link makes everything bogus, an indeterminate one (no trust anchor, lookup
 * failure) beats a proven-insecure one, and only all-secure links give secure.
 */
const RANK: Readonly<Record<Proof, number>> = { secure: 0, insecure: 1, indeterminate: 2, bogus: 3 };

/** The weaker of two proofs (see the order above). */
export function weakest(a: Proof, b: Proof): Proof {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The weakest of several proofs; `secure` for none. */
export function weakestOf(proofs: Iterable<Proof>): Proof {
  let out: Proof = 'secure';
  for (const p of proofs) out = weakest(out, p);
  return out;
}

/** True when `proof` is at least as strong as `floor` (`secure` ⊒ `insecure` ⊒ …). */
export function atLeast(proof: Proof, floor: Proof): boolean {
  return RANK[proof] <= RANK[floor];
}

/** Build a `Proven` value; reason and EDE are omitted when undefined. */
export function proven<T>(value: T, proof: Proof, extra: { reason?: string; ede?: number } = {}): Proven<T> {
  return new Proven(value, proof, extra);
}

/** True when the value is proven secure (DANE code may use it). */
export function isSecure<T>(p: Proven<T>): boolean {
  return p.proof === 'secure';
}

/**
 * The guard DANE code calls before using a value: returns it when its proof is at least
 * `floor`, and throws DNSSEC_ERR_NOT_SECURE otherwise (a programming error: callers are meant
 * to branch on `proof` first).
 */
export function requireProof<T>(p: Proven<T>, floor: Proof = 'secure'): T {
  return p.require(floor);
}

/** `requireProof(p, 'secure')`. */
export function requireSecure<T>(p: Proven<T>): T {
  return p.require('secure');
}

/**
 * The outcome of an authenticated-denial proof over NSEC or NSEC3 records that were already
 * signature-verified: `secure` (proven), `insecure` (only an Opt-Out span or an insecure
 * delegation covers the name, or NSEC3 iterations above the insecure limit) or `bogus`.
 */
export interface DenialProof {
  status: 'secure' | 'insecure' | 'bogus';
  reason: string;
  ede?: number;
  /** The closest encloser the proof established (NXDOMAIN, wildcard NODATA, NSEC3 proofs). */
  closestEncloser?: Name;
  /** For DS denials: true when the name is a delegation point (a zone cut without DS). */
  zoneCut?: boolean;
  /** True when an NSEC3 Opt-Out span decided the result (RFC 5155 §9.2). */
  optOut?: boolean;
  /** Set on an insecure result that is insecure only for this reason (see InsecureKind). */
  insecureKind?: InsecureKind;
}
