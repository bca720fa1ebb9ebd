/**
 * The resolver's named defaults: how long anything may be cached, how long a bogus verdict is
 * kept, the negative TTL when a response carries no SOA, and the cache sizes — plus the TTL
 * policy every part of one resolver shares (the answer cache, the key walk, the response
 * validator and the iterator's delegation, glue and referral-proof caches), so an operator's
 * `maxTtl` / `bogusTtl` reach them all. Pure constants.
 */

/** Upper bound on any cached TTL, in seconds (one day, as Unbound's cache-max-ttl default). */
export const DEFAULT_MAX_TTL = 86_400;

/**
 * Seconds a bogus verdict is cached, so a broken zone is not asked again for every message
 * (Unbound's val-bogus-ttl default, 60).
 */
export const DEFAULT_BOGUS_TTL = 60;

/**
 * Negative-caching TTL for a negative answer without an SOA record (RFC 2308 §5 takes the SOA's;
 * a response without one gets a short fixed time).
 */
export const DEFAULT_NEGATIVE_TTL = 60;

/** Answers (and validated key facts) the resolver keeps, by default. */
export const DEFAULT_CACHE_ENTRIES = 20_000;

/** The aggressive-NSEC cache keeps zones in proportion to the answer cache: 1 per 16 entries… */
export const NSEC_ZONES_PER_ENTRIES = 16;
/** … and at least this many zones. */
export const MIN_NSEC_CACHE_ZONES = 16;

/** Delegations, glue addresses and referral proofs the iterator keeps, by default. */
export const DEFAULT_ITERATOR_CACHE_ENTRIES = 10_000;

/** How long one resolver lets things live in its caches, in seconds. */
export interface TtlPolicy {
  /** Upper bound on any cached TTL. */
  readonly maxTtl: number;
  /** How long bogus verdicts — and data not validated yet — are kept. */
  readonly bogusTtl: number;
}

export const DEFAULT_TTL_POLICY: TtlPolicy = { maxTtl: DEFAULT_MAX_TTL, bogusTtl: DEFAULT_BOGUS_TTL };
