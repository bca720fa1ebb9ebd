/**
 * Work limits for one top-level lookup, against hostile zones (KeyTrap CVE-2023-50387, NSEC3
 * hash floods CVE-2023-50868, CNAME/referral loops). Every upstream query, signature check,
 * referral and alias link draws from the budget; running out ends the lookup as `bogus` or
 * `indeterminate` with a reason — never a hang or unbounded CPU.
 */

export interface Limits {
  /** Upstream queries per lookup (including DS/DNSKEY fetches and glue lookups). */
  maxQueries: number;
  /** RRSIG verifications per lookup. */
  maxSignatureChecks: number;
  /**
   * NSEC3 hashes computed per lookup (each name once per parameter set; CVE-2023-50868). At the
   * insecure limit of 150 iterations one costs about 0.2–0.4 ms of CPU.
   */
  maxNsec3Hashes: number;
  /** DNSKEYs tried per key tag and algorithm (key-tag collisions). */
  maxKeysPerTag: number;
  /** CNAME/DNAME links followed. */
  maxAliases: number;
  /**
   * Labels one key walk may descend without a cached answer (a DS question or a known proof at
   * each): the signer name comes from the response, so its depth is the attacker's choice.
   */
  maxKeyWalkSteps: number;
  /** Referrals followed in recursive mode per question. */
  maxReferrals: number;
  /**
   * NSEC3 iterations above which denials are insecure (RFC 9276 §3.2), unproven: a DANE lookup
   * counts such an answer as failed (see InsecureKind).
   */
  nsec3InsecureIterations: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxQueries: 64,
  maxSignatureChecks: 96,
  maxNsec3Hashes: 100,
  maxKeysPerTag: 4,
  maxAliases: 12,
  maxKeyWalkSteps: 24,
  maxReferrals: 24,
  nsec3InsecureIterations: 150,
};

/** Raised (and caught inside the resolver) when a budget is exhausted. */
export class BudgetExceeded extends Error {
  readonly what: string;
  constructor(what: string) {
    super(`work limit reached: ${what}`);
    this.name = 'BudgetExceeded';
    this.what = what;
  }
}

/** The remaining allowance of one lookup. */
export class Budget {
  readonly limits: Limits;
  queries = 0;
  signatureChecks = 0;
  nsec3Hashes = 0;
  aliases = 0;

  constructor(limits: Limits) {
    this.limits = limits;
  }

  spendQuery(): void {
    if (++this.queries > this.limits.maxQueries)
      throw new BudgetExceeded(`more than ${this.limits.maxQueries} upstream queries`);
  }

  spendSignatures(n: number): void {
    this.signatureChecks += n;
    if (this.signatureChecks > this.limits.maxSignatureChecks) {
      throw new BudgetExceeded(`more than ${this.limits.maxSignatureChecks} signature checks`);
    }
  }

  spendNsec3Hash(): void {
    if (++this.nsec3Hashes > this.limits.maxNsec3Hashes)
      throw new BudgetExceeded(`more than ${this.limits.maxNsec3Hashes} NSEC3 hashes`);
  }

  /** Signature checks still allowed. */
  get signaturesLeft(): number {
    return Math.max(0, this.limits.maxSignatureChecks - this.signatureChecks);
  }

  /** One uncached step of one key walk (`steps` so far in that walk). */
  checkWalkStep(steps: number): void {
    if (steps > this.limits.maxKeyWalkSteps)
      throw new BudgetExceeded(`a key walk deeper than ${this.limits.maxKeyWalkSteps} labels`);
  }

  spendAlias(): void {
    if (++this.aliases > this.limits.maxAliases)
      throw new BudgetExceeded(`alias chain longer than ${this.limits.maxAliases}`);
  }
}
