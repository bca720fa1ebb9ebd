/**
 * RFC examples (../../shared/vectors/rfc-examples/): RFC 4034 §5.4 and RFC 4509 §2.3 DS records
 * of `dskey.example.com`, and the RFC 5702 §6.1 / §6.2 RSA/SHA-256 and RSA/SHA-512 RRSIGs with
 * a negative variant each (the A record changed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dsMatchesKey, keyTag, makeDs, verifyRrset } from '../../src/dns/dnssec/index.ts';
import {
  parseRr,
  parseZone,
  type DnskeyRdata,
  type DsRdata,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { equalBytes } from '../../src/util/index.ts';
import { Tally } from './deviations.ts';
import { vectorPath } from '../helpers/vectors.ts';

interface Corpus {
  ds_cases: { source: string; dnskey: string; expect_key_tag: number; ds: string }[];
  rrsig_cases: {
    source: string;
    dnskey: string;
    expect_key_tag: number;
    rrset: string[];
    rrsig: string;
    now: number;
    expect: 'valid' | 'invalid';
  }[];
}

const corpus = JSON.parse(
  readFileSync(vectorPath('rfc-examples/rfc-ds-and-rsasha2-examples.json'), 'utf8'),
) as Corpus;

test('RFC 4034 §5.4 and RFC 4509 §2.3 DS examples', () => {
  const tally = new Tally('rfc-examples ds_cases');
  for (const c of corpus.ds_cases) {
    const key = parseRr(c.dnskey) as Rr<DnskeyRdata>;
    const ds = parseRr(c.ds) as Rr<DsRdata>;
    tally.check(
      'rfc-examples',
      `${c.source}/tag`,
      'match',
      keyTag(key.data) === c.expect_key_tag ? 'match' : 'no-match',
    );
    tally.check(
      'rfc-examples',
      `${c.source}/ds`,
      'match',
      dsMatchesKey(ds.data, key.name, key.data) === true ? 'match' : 'no-match',
    );
    const made = makeDs(key.name, key.data, ds.data.digestType);
    tally.check(
      'rfc-examples',
      `${c.source}/make`,
      'match',
      made !== undefined && equalBytes(made.digest, ds.data.digest) ? 'match' : 'no-match',
    );
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 6);
});

test('RFC 5702 §6.1 / §6.2 RSA/SHA-2 RRSIG examples', () => {
  const tally = new Tally('rfc-examples rrsig_cases');
  for (const c of corpus.rrsig_cases) {
    const key = parseRr(c.dnskey) as Rr<DnskeyRdata>;
    tally.check(
      'rfc-examples',
      `${c.source}/tag`,
      'match',
      keyTag(key.data) === c.expect_key_tag ? 'match' : 'no-match',
    );
    const v = verifyRrset(parseZone(c.rrset.join('\n')), parseRr(c.rrsig) as Rr<RrsigRdata>, [key], {
      now: c.now,
    });
    tally.check(
      'rfc-examples',
      c.source,
      c.expect === 'valid' ? 'secure' : 'bogus',
      v.ok ? 'secure' : 'bogus',
      v.ok ? '' : v.reason,
    );
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 8);
});
