/**
 * dnspython's DNSSEC vectors (tests/test_dnssec.py, tests/test_nsec3_hash.py, transcribed in
 * ../../shared/vectors/dnspython/): every RRSIG case at its own fixed "now", every DS case and
 * every NSEC3 hash case. "valid" = at least one RRSIG verifies with a DNSKEY whose tag,
 * algorithm and owner match. Deviations (DSA, RSAMD5): ./deviations.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAlgorithmSupported, makeDs, nsec3Hash, verifyRrsetAny } from '../../src/dns/dnssec/index.ts';
import {
  isType,
  Name,
  parseRr,
  parseZone,
  RRType,
  toBase32Hex,
  type DnskeyRdata,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { fromHex, toHex } from '../../src/util/index.ts';
import { Tally, type Outcome } from './deviations.ts';
import { vectorPath } from '../helpers/vectors.ts';

interface RrsigCase {
  id: string;
  now: number;
  rrset: string[];
  rrsig: string[];
  dnskeys: string[];
  expect: 'valid' | 'invalid';
}
interface DsCase {
  owner: string;
  dnskey: string;
  digest_type: number;
  expect_ds: string;
}
interface HashCase {
  name: string;
  salt_hex: string;
  iterations: number;
  algorithm: number;
  hash_base32hex: string;
}
interface Corpus {
  rrsig_cases: RrsigCase[];
  ds_cases: DsCase[];
  nsec3_hash_cases: HashCase[];
}

const corpus = JSON.parse(
  readFileSync(vectorPath('dnspython/dnspython-dnssec-vectors.json'), 'utf8'),
) as Corpus;

test('dnspython rrsig_cases: signatures, wildcards, time bounds, algorithms', () => {
  const tally = new Tally('dnspython rrsig_cases');
  for (const c of corpus.rrsig_cases) {
    const rrset = parseZone(c.rrset.join('\n'));
    const sigs = parseZone(c.rrsig.join('\n')).filter((rr): rr is Rr<RrsigRdata> => isType(rr, RRType.RRSIG));
    const keys = parseZone(c.dnskeys.join('\n')).filter((rr): rr is Rr<DnskeyRdata> =>
      isType(rr, RRType.DNSKEY),
    );
    const v = verifyRrsetAny(rrset, sigs, keys, { now: c.now });
    const got: Outcome = v.ok ? 'secure' : v.unsupported === true ? 'unsupported' : 'bogus';
    // "invalid" means the RRSIG cannot be validated: bogus, or — for algorithms we do not
    // implement (100, GOST, DSA) — unsupported.
    const known = sigs.some((s) => isAlgorithmSupported(s.data.algorithm));
    const want: Outcome = c.expect === 'valid' ? 'secure' : known ? 'bogus' : 'unsupported';
    tally.check('dnspython', c.id, want, got, v.ok ? '' : v.reason);
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 30);
});

test('dnspython rrsig_cases: the wildcard expansions report their source of synthesis', () => {
  for (const id of ['wildcard-txt-expanded-a', 'wildcard-txt-expanded-abc']) {
    const c = corpus.rrsig_cases.find((x) => x.id === id) as RrsigCase;
    const v = verifyRrsetAny(
      parseZone(c.rrset.join('\n')),
      parseZone(c.rrsig.join('\n')) as Rr<RrsigRdata>[],
      parseZone(c.dnskeys.join('\n')) as Rr<DnskeyRdata>[],
      { now: c.now },
    );
    assert.ok(v.ok, id);
    assert.equal(v.wildcard?.toString(), '*.example.com.');
  }
});

test('dnspython ds_cases: DS records made from DNSKEYs', () => {
  const tally = new Tally('dnspython ds_cases');
  for (const c of corpus.ds_cases) {
    const key = parseRr(`${c.owner} 3600 IN DNSKEY ${c.dnskey}`) as Rr<DnskeyRdata>;
    const ds = makeDs(Name.parse(c.owner), key.data, c.digest_type);
    const got = ds === undefined ? '' : `${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${toHex(ds.digest)}`;
    tally.check(
      'dnspython',
      `ds:${c.expect_ds}`,
      'match',
      got === c.expect_ds.toLowerCase() ? 'match' : 'no-match',
      got,
    );
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 4);
});

test('dnspython nsec3_hash_cases', () => {
  const tally = new Tally('dnspython nsec3_hash_cases');
  for (const c of corpus.nsec3_hash_cases) {
    const params = { salt: fromHex(c.salt_hex), iterations: c.iterations, hashAlgorithm: c.algorithm };
    const h = nsec3Hash(Name.parse(c.name), params);
    const got = h === undefined ? '' : toBase32Hex(h);
    tally.check(
      'dnspython',
      `nsec3:${c.name}/${c.iterations}`,
      'match',
      got === c.hash_base32hex ? 'match' : 'no-match',
      got,
    );
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 21);
});
