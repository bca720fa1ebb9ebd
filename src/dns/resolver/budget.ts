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
  /** DNSKEYs tried per key tag and algorithm (key-tag collisions). */
  maxKeysPerTag: number;
  /** CNAME/DNAME links followed. */
  maxAliases: number;
  /** Referrals followed in recursive mode per question. */
  maxReferrals: number;
  /** NSEC3 iterations above which answers are insecure (RFC 9276 §3.2). */
  nsec3InsecureIterations: number;
  /** NSEC3 iterations above which answers are bogus. */
  nsec3BogusIterations: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxQueries: 64,
  maxSignatureChecks: 96,
  maxKeysPerTag: 4,
  maxAliases: 12,
  maxReferrals: 24,
  nsec3InsecureIterations: 150,
  nsec3BogusIterations: 500,
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

  /** Signature checks still allowed. */
  get signaturesLeft(): number {
    return Math.max(0, this.limits.maxSignatureChecks - this.signatureChecks);
  }

  spendAlias(): void {
    if (++this.aliases > this.limits.maxAliases)
      throw new BudgetExceeded(`alias chain longer than ${this.limits.maxAliases}`);
  }
}
