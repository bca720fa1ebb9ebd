/**
 * Where our DNSSEC primitives knowingly disagree with an external vector, and why. Each entry
 * names the corpus, the case (exact id or pattern), what the vector expects, what we answer
 * instead and the RFC text that makes our answer the right one. The vector tests assert OUR
 * answer for these cases (they are run, not skipped) and count them as deviations.
 */

/** A verdict of a signature or digest check, as the vector tests compare them. */
export type Outcome = 'secure' | 'bogus' | 'unsupported' | 'match' | 'no-match';

export interface Deviation {
  corpus: 'dnspython' | 'miekg' | 'rfc-examples' | 'unbound-unit';
  /** Case id, or a pattern over case ids. */
  id: string | RegExp;
  vectorSays: Outcome;
  weSay: Outcome;
  reason: string;
}

const RFC8624_DSA =
  'RFC 8624 §3.1: DSA (3) and DSA-NSEC3-SHA1 (6) are "MUST NOT" for signing and "MAY" for ' +
  'validation; we do not implement them, so a DSA signature is "unsupported" (an insecure zone ' +
  'in full validation, RFC 4035 §5.2), never "valid".';

/*
 * Checked and NOT deviations: test_sigs.hinfo (its comment says entry 3 fails in old Unbound
 * because HINFO used to be lower-cased; RFC 6840 §5.1's list has no HINFO, so the upper-case
 * HINFO signed as such is secure and the mixed entry 4 is bogus — exactly the file's
 * expectations), and test_sigs.revoked (the REVOKEd key's signatures over the SOA and over a
 * child's DNSKEY RRset verify cryptographically but are refused by RFC 5011 §2.1, while its
 * self-signature over its own DNSKEY RRset is accepted — again the file's expectations).
 */
export const DEVIATIONS: readonly Deviation[] = [
  {
    corpus: 'dnspython',
    id: 'dsa-soa-good',
    vectorSays: 'secure',
    weSay: 'unsupported',
    reason: RFC8624_DSA,
  },
  {
    corpus: 'dnspython',
    id: 'rsamd5-ns-good-if-allowed',
    vectorSays: 'secure',
    weSay: 'unsupported',
    reason:
      'RFC 8624 §3.1: RSAMD5 (1) "MUST NOT" be used for DNSSEC validation (RFC 6725 deprecated ' +
      'it); dnspython itself refuses it under its default policy.',
  },
  {
    corpus: 'unbound-unit',
    id: /^test_signatures\.[2-7]#/,
    vectorSays: 'secure',
    weSay: 'unsupported',
    reason: RFC8624_DSA,
  },
  {
    corpus: 'unbound-unit',
    id: /^test_sigs\.gost#/,
    vectorSays: 'secure',
    weSay: 'unsupported',
    reason:
      'RFC 8624 §3.1: ECC-GOST (12) "MUST NOT" be used for signing and "MAY" for validation; ' +
      'we do not implement it (nor does Node\'s OpenSSL), so it is "unsupported".',
  },
  {
    corpus: 'unbound-unit',
    id: /^test_sigs\.sha1_and_256#[23]:/,
    vectorSays: 'bogus',
    weSay: 'secure',
    reason:
      "The RRset carries one valid RSASHA256 (or RSASHA1) signature and one invalid one. Unbound's " +
      'unit test requires every DNSKEY algorithm to verify; RFC 6840 §5.11 says validators ' +
      '"SHOULD accept any single valid path" and "MUST NOT insist that all algorithms signaled ' +
      'in the DS RRset work", so one valid signature makes the RRset secure.',
  },
];

function idMatches(pattern: string | RegExp, id: string): boolean {
  return typeof pattern === 'string' ? pattern === id : pattern.test(id);
}

/** The deviation recorded for a case, if any. */
export function deviationFor(corpus: Deviation['corpus'], id: string): Deviation | undefined {
  return DEVIATIONS.find((d) => d.corpus === corpus && idMatches(d.id, id));
}

/** Tally of one corpus run; `report()` prints the line every vector test ends with. */
export class Tally {
  readonly corpus: string;
  ran = 0;
  passed = 0;
  deviations = 0;
  failed = 0;
  readonly failures: string[] = [];

  constructor(corpus: string) {
    this.corpus = corpus;
  }

  /**
   * Record one case: `want` is the vector's expectation, `got` ours. A recorded deviation turns
   * the expectation into `dev.weSay`.
   */
  check(corpusKey: Deviation['corpus'], id: string, want: Outcome, got: Outcome, detail = ''): void {
    this.ran++;
    const dev = deviationFor(corpusKey, id);
    if (dev !== undefined && dev.vectorSays === want) {
      if (got === dev.weSay) this.deviations++;
      else this.fail(id, `${dev.weSay} (deviation from ${want})`, got, detail);
      return;
    }
    if (got === want) this.passed++;
    else this.fail(id, want, got, detail);
  }

  private fail(id: string, want: string, got: string, detail: string): void {
    this.failed++;
    this.failures.push(`${id}: want ${want}, got ${got}${detail === '' ? '' : ` (${detail})`}`);
  }

  /** `corpus: ran N, passed P, deviations D, failed F` */
  report(): string {
    return `${this.corpus}: ran ${this.ran}, passed ${this.passed}, deviations ${this.deviations}, failed ${this.failed}`;
  }
}
