/**
 * miekg/dns vectors (dnssec_test.go, nsecx_test.go; ../../shared/vectors/miekg-dns/): the RFC
 * 6605 ECDSA and RFC 8080 Ed25519 signature examples with their DS records, a key tag, NSEC3
 * hashes and NSEC3 match / cover edge cases (case, empty salt, wrap-around, single-NSEC3
 * chains, names outside the zone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  dsMatchesKey,
  keyTag,
  makeDs,
  nsec3Covers,
  nsec3Hash,
  nsec3Matches,
  verifyRrset,
} from '../../src/dns/dnssec/index.ts';
import {
  Name,
  parseRr,
  parseZone,
  toBase32Hex,
  type DnskeyRdata,
  type DsRdata,
  type Nsec3Rdata,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { fromHex, toHex } from '../../src/util/index.ts';
import { Tally, type Outcome } from './deviations.ts';
import { vectorPath } from '../helpers/vectors.ts';

interface SigCase {
  id: string;
  dnskey: string;
  ds: string;
  rrset: string[];
  rrsig: string;
  now: number;
  expect: 'valid';
  expect_ds_matches_dnskey: boolean;
}
interface Corpus {
  signature_cases: SigCase[];
  key_tag: { dnskey: string; expect_key_tag: number; expect_ds_sha1_digest: string }[];
  nsec3_hash: {
    name: string;
    algorithm: number;
    iterations: number;
    salt_hex: string;
    hash_base32hex: string;
  }[];
  nsec3_match: { nsec3: string; name: string; matches: boolean }[];
  nsec3_cover: { nsec3: string; name: string; covers: boolean }[];
}

const corpus = JSON.parse(readFileSync(vectorPath('miekg-dns/miekg-dns-vectors.json'), 'utf8')) as Corpus;

test('miekg signature_cases: RFC 6605 / RFC 8080 examples and their DS records', () => {
  const tally = new Tally('miekg signature_cases');
  for (const c of corpus.signature_cases) {
    const key = parseRr(c.dnskey) as Rr<DnskeyRdata>;
    const v = verifyRrset(parseZone(c.rrset.join('\n')), parseRr(c.rrsig) as Rr<RrsigRdata>, [key], {
      now: c.now,
    });
    tally.check('miekg', c.id, 'secure', v.ok ? 'secure' : 'bogus', v.ok ? '' : v.reason);
    const ds = parseRr(c.ds) as Rr<DsRdata>;
    const m = dsMatchesKey(ds.data, key.name, key.data);
    tally.check(
      'miekg',
      `${c.id}/ds`,
      c.expect_ds_matches_dnskey ? 'match' : 'no-match',
      m === true ? 'match' : 'no-match',
    );
    // A day after expiration the same signature must fail.
    const late = verifyRrset(parseZone(c.rrset.join('\n')), parseRr(c.rrsig) as Rr<RrsigRdata>, [key], {
      now: (parseRr(c.rrsig) as Rr<RrsigRdata>).data.expiration + 86400,
    });
    tally.check('miekg', `${c.id}/expired`, 'bogus', late.ok ? 'secure' : 'bogus');
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 12);
});

test('miekg key_tag: key tag and SHA-1 DS digest', () => {
  const tally = new Tally('miekg key_tag');
  for (const c of corpus.key_tag) {
    const key = parseRr(c.dnskey) as Rr<DnskeyRdata>;
    tally.check('miekg', 'keytag', 'match', keyTag(key.data) === c.expect_key_tag ? 'match' : 'no-match');
    const ds = makeDs(key.name, key.data, 1);
    const got = ds === undefined ? '' : toHex(ds.digest).toUpperCase();
    tally.check('miekg', 'keytag/ds', 'match', got === c.expect_ds_sha1_digest ? 'match' : 'no-match', got);
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
});

test('miekg nsec3_hash, nsec3_match, nsec3_cover', () => {
  const tally = new Tally('miekg nsec3');
  for (const c of corpus.nsec3_hash) {
    const h = nsec3Hash(Name.parse(c.name), {
      salt: fromHex(c.salt_hex),
      iterations: c.iterations,
      hashAlgorithm: c.algorithm,
    });
    const ok = h !== undefined && toBase32Hex(h) === c.hash_base32hex.toLowerCase();
    tally.check('miekg', `hash:${c.name}`, 'match', ok ? 'match' : 'no-match');
  }
  for (const c of corpus.nsec3_match) {
    const got = nsec3Matches(parseRr(c.nsec3) as Rr<Nsec3Rdata>, Name.parse(c.name));
    const want: Outcome = c.matches ? 'match' : 'no-match';
    tally.check('miekg', `match:${c.nsec3} ${c.name}`, want, got ? 'match' : 'no-match');
  }
  for (const c of corpus.nsec3_cover) {
    const got = nsec3Covers(parseRr(c.nsec3) as Rr<Nsec3Rdata>, Name.parse(c.name));
    const want: Outcome = c.covers ? 'match' : 'no-match';
    tally.check('miekg', `cover:${c.nsec3} ${c.name}`, want, got ? 'match' : 'no-match');
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 16);
});
