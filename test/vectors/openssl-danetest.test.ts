/**
 * OpenSSL's DANE test vectors (test/danetest.in, test/dane-cross.in; Apache-2.0, see
 * ../shared/vectors/README.md §1) run against our RFC 7672 verifier. OpenSSL's expected result
 * is the truth except where RFC 7672 differs for SMTP; each such case names the RFC section,
 * checks the RFC 7672 result, and — to keep the case a test of our matching and chain
 * primitives — also re-derives OpenSSL's own PKIX answer (verify result and match depth) with
 * match.ts and x509's path search. Nothing is edited: the JSON is read as shipped.
 * "now" is pinned to 2026-06-01 (the chain certificates are valid 2015/2016/2021–3015/2116/2121).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vectorPath } from '../helpers/vectors.ts';
import {
  matchesTlsa,
  SecureTlsa,
  verifyDanePeer,
  type DaneVerdict,
  type TlsaRecord,
} from '../../src/dane/index.ts';
import { proven } from '../../src/dns/dnssec/index.ts';
import {
  decodePemCertificates,
  findTrustedPath,
  matchCertificateName,
  parseCertificate,
  type Certificate,
} from '../../src/x509/index.ts';

const NOW = Date.UTC(2026, 5, 1);

interface VectorTest {
  testno: number;
  comment: string;
  nonamechecks: boolean;
  want_verify_result: number;
  want_match_depth: number;
  tlsa: { usage: number; selector: number; mtype: number; data: string }[];
  chain_der_b64: string[];
}
interface Suite {
  file: string;
  base_domain: string;
  pkix_trust_anchor_file: string;
  tests: VectorTest[];
}

const DIR = vectorPath('openssl-danetest');
const suites: Suite[] = (
  JSON.parse(readFileSync(join(DIR, 'danetest.cases.json'), 'utf8')) as { suites: Suite[] }
).suites;

/** OpenSSL verify results → our RFC 7672 failure codes. */
const OPENSSL_TO_OURS: Readonly<Record<number, string>> = {
  65: 'DANE_ERR_NO_MATCH',
  62: 'DANE_ERR_NAME_MISMATCH',
};

const tally = { ran: 0, matchedOpenssl: 0, matchedRfcDeviation: 0, failed: 0 };
const deviations: string[] = [];

const der = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));
const records = (t: VectorTest): TlsaRecord[] =>
  t.tlsa.map((r) => ({
    usage: r.usage,
    selector: r.selector,
    matchingType: r.mtype,
    data: new Uint8Array(Buffer.from(r.data, 'hex')),
  }));

/**
 * OpenSSL's answer for PKIX-TA(0)/PKIX-EE(1) records, re-derived with our primitives: a PKIX
 * path from the leaf to the suite's trust store (with `x 0 0` certificates from the records as
 * extra untrusted intermediates), PKIX-EE matched at depth 0, PKIX-TA at depth ≥ 1 of that path,
 * then the name check. Returns OpenSSL's (verify result, match depth).
 */
function emulateOpensslPkix(
  t: VectorTest,
  suite: Suite,
  trust: Certificate[],
): { result: number; depth: number } {
  const recs = records(t);
  const chain = t.chain_der_b64.map((b) => parseCertificate(der(b)));
  const leaf = chain[0]!;
  const fromDns = recs
    .filter((r) => (r.usage === 0 || r.usage === 2) && r.selector === 0 && r.matchingType === 0)
    .map((r) => parseCertificate(r.data));
  const isTrusted = (c: Certificate): true | undefined =>
    trust.some((a) => Buffer.from(a.der).equals(Buffer.from(c.der))) ? true : undefined;
  const path = findTrustedPath(leaf, [...chain.slice(1), ...fromDns, ...trust], {
    isAnchor: isTrusted,
    now: NOW,
  });
  const eeMatch = recs.some((r) => r.usage === 1 && matchesTlsa(r, leaf));
  let depth = eeMatch ? 0 : -1;
  if (!eeMatch && path.ok) {
    const at = path.path.findIndex((c, i) => i >= 1 && recs.some((r) => r.usage === 0 && matchesTlsa(r, c)));
    depth = at;
  }
  if (depth < 0) return { result: 65, depth: -1 };
  if (!path.ok) return { result: 20, depth };
  const names = t.nonamechecks ? { ok: true } : matchCertificateName(leaf, [suite.base_domain]);
  return { result: names.ok ? 0 : 62, depth };
}

function checkAgainstOpenssl(v: DaneVerdict, t: VectorTest, label: string): void {
  if (t.want_verify_result === 0) {
    assert.equal(v.ok, true, `${label}: ${v.reason}`);
  } else {
    assert.equal(v.ok, false, label);
    assert.equal(v.code, OPENSSL_TO_OURS[t.want_verify_result], `${label}: ${v.reason}`);
  }
  // OpenSSL reports the match depth even when verification fails later (e.g. 52, 53).
  assert.equal(v.depth ?? -1, t.want_match_depth, `${label}: depth`);
}

type Expectation =
  | { kind: 'openssl' }
  | { kind: 'deviation'; rfc: string; check: (v: DaneVerdict) => void; alsoPkix: boolean };

/** Where RFC 7672 (SMTP) differs from OpenSSL's defaults, and what it requires instead. */
function expectationFor(t: VectorTest): Expectation {
  const usages = new Set(t.tlsa.map((r) => r.usage));
  if ([...usages].every((u) => u === 0 || u === 1)) {
    return {
      kind: 'deviation',
      rfc: 'RFC 7672 §3.1.3: PKIX-TA(0)/PKIX-EE(1) are treated as unusable by SMTP clients',
      check: (v) => {
        assert.ok(!v.ok && v.code === 'DANE_ERR_NO_USABLE_TLSA', v.reason);
      },
      alsoPkix: true,
    };
  }
  if (!t.nonamechecks && t.want_verify_result === 62 && [...usages].every((u) => u === 3)) {
    return {
      kind: 'deviation',
      rfc: 'RFC 7672 §3.1.1 / RFC 7671 §5.1: DANE-EE(3) has no name checks, so a mismatched name still authenticates',
      check: (v) => {
        assert.ok(v.ok && v.usage === 3 && v.depth === t.want_match_depth, v.reason);
      },
      alsoPkix: false,
    };
  }
  return { kind: 'openssl' };
}

for (const suite of suites) {
  const trust = decodePemCertificates(readFileSync(join(DIR, suite.pkix_trust_anchor_file), 'utf8')).map(
    parseCertificate,
  );
  for (const t of suite.tests) {
    const label = `${suite.file} #${t.testno}${t.comment === '' ? '' : ` (${t.comment})`}`;
    test(label, () => {
      tally.ran++;
      const exp = expectationFor(t);
      try {
        const chain = t.chain_der_b64.map(der);
        // The vector's TLSA records stand for an RRset proven secure (what the resolver would hand over).
        const tlsa = SecureTlsa.fromProven(proven(records(t), 'secure'));
        const v = verifyDanePeer(chain, tlsa, { referenceNames: [suite.base_domain], now: NOW });
        if (exp.kind === 'openssl') {
          checkAgainstOpenssl(v, t, label);
          tally.matchedOpenssl++;
        } else {
          exp.check(v);
          if (exp.alsoPkix) {
            const pkix = emulateOpensslPkix(t, suite, trust);
            assert.deepEqual(
              pkix,
              { result: t.want_verify_result, depth: t.want_match_depth },
              `${label}: PKIX primitives`,
            );
          }
          tally.matchedRfcDeviation++;
          deviations.push(`${suite.file} #${t.testno}: ${exp.rfc}`);
        }
      } catch (err) {
        tally.failed++;
        throw err;
      }
    });
  }
}

test('summary: every OpenSSL DANE vector is accounted for', () => {
  const total = suites.reduce((n, s) => n + s.tests.length, 0);
  assert.equal(total, 55, 'danetest.in has 54 cases and dane-cross.in 1');
  assert.equal(tally.ran, total);
  assert.equal(tally.failed, 0);
  assert.equal(tally.matchedOpenssl + tally.matchedRfcDeviation, total);
});

after(() => {
  console.log(
    `# openssl-danetest: ${tally.ran} cases ran, ${tally.matchedOpenssl} matched OpenSSL, ` +
      `${tally.matchedRfcDeviation} matched the RFC 7672 deviation, ${tally.failed} failed`,
  );
  const bySection = new Map<string, number>();
  for (const d of deviations) {
    const section = d.slice(d.indexOf(': ') + 2);
    bySection.set(section, (bySection.get(section) ?? 0) + 1);
  }
  for (const [section, n] of bySection) console.log(`#   ${n} × ${section}`);
});
