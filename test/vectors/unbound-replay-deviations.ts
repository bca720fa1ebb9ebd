/**
 * The ONE list of Unbound replay scenarios whose expected result encodes Unbound policy rather
 * than an RFC requirement, with the reason and the RFC text that allows our behaviour. A bug is
 * never excused here: a scenario listed here must fail for exactly the stated reason, and the
 * replay test fails when a listed scenario starts to pass.
 */

export interface ReplayDeviation {
  /** Why our result differs from Unbound's, naming the RFC that allows it. */
  reason: string;
}

const NO_GOST =
  'ECC-GOST (algorithm 12) and GOST R 34.11-94 DS digests (type 3) are not implemented: RFC 8624 §3.1/§3.3 ' +
  'make their validation optional ("MAY"), and RFC 4035 §5.2 / RFC 6840 §5.2 treat a zone whose DS RRset ' +
  'lists only unsupported algorithms or digests as insecure — Unbound, built with GOST, says secure/bogus';

const NONRECURSIVE =
  'the checked query has RD=0 and Unbound answers it with a referral from its cache, which is how a ' +
  'recursive server serves non-recursive clients (RFC 1034 §4.3.1); our resolver is a library that always ' +
  'resolves, so the upstream has no entry for the question (the RD=1 checks of the file pass)';

const QTYPE_ALIAS =
  'queries of type CNAME/DNAME are answered by Unbound from RRsets its cache learned in answers to other ' +
  'questions (the scenario has no upstream entry for them) and from a co-hosted server speaking for a zone ' +
  'outside the one it was asked as; we cache per question and drop out-of-bailiwick data (RFC 2181 §5.4.1 ' +
  'ranks such data lowest, RFC 5452 §6 drops it); A/AAAA checks of the same file pass';

export const REPLAY_DEVIATIONS: Readonly<Record<string, ReplayDeviation>> = {
  'val_cnameqtype.rpl': { reason: QTYPE_ALIAS },
  'val_cnameqtype_qmin.rpl': { reason: QTYPE_ALIAS },
  'val_dnameqtype.rpl': { reason: QTYPE_ALIAS },
  'val_dnameqtype_qmin.rpl': { reason: QTYPE_ALIAS },
  'val_ds_gost.crpl': { reason: NO_GOST },
  'val_ds_gost_downgrade.crpl': { reason: NO_GOST },
  'val_ds_sha2_lenient.crpl': {
    reason:
      'the DS RRset has a SHA-256 digest that matches no key and a SHA-1 digest that does; with ' +
      'harden-algo-downgrade off Unbound accepts the SHA-1 one, but RFC 4509 §3 says validators "SHOULD ignore ' +
      'DS RRs containing SHA-1 digests if DS RRs with SHA-256 digests are present", so the chain is bogus',
  },
  'val_faildnskey_ok.rpl': {
    reason:
      'with harden-dnssec-stripped off (not its default) Unbound downgrades a trust anchor whose DNSKEY ' +
      "cannot be fetched to insecure; RFC 4035 §5 builds every chain from the anchor's keys, and a missing " +
      "DNSKEY RRset under an anchor is bogus (RFC 4035 §4.3), which is also Unbound's default",
  },
  'val_refer_unsignadd.rpl': { reason: NONRECURSIVE },
  'val_referd.rpl': { reason: NONRECURSIVE },
  'val_referglue.rpl': { reason: NONRECURSIVE },
  'val_ta_algo_missing.rpl': {
    reason:
      'the trust anchor lists algorithms 3, 5 and 7 but the DNSKEY RRset is signed with 3 and 5 only; ' +
      'Unbound insists on every anchored algorithm, while RFC 6840 §5.11 says validators "SHOULD accept any ' +
      'single valid path" and "SHOULD NOT insist that all algorithms signaled in the DS RRset work"',
  },
};
