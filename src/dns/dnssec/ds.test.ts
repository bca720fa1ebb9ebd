/** DS digests and DS ↔ DNSKEY matching (RFC 4034 §5.1.4, RFC 4509, RFC 6840 §5.2). */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { toHex } from '../../util/index.ts';
import { Name, parseRr, type DnskeyRdata, type DsRdata, type Rr } from '../wire/index.ts';
import { dsDigest, dsMatchesKey, makeDs } from './ds.ts';

const KEY = parseRr(
  'dskey.example.com. 86400 IN DNSKEY 256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==',
) as Rr<DnskeyRdata>;
const SHA1 = (
  parseRr('dskey.example.com. 86400 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118') as Rr<DsRdata>
).data;

test('dsMatchesKey: tag, algorithm, length and digest must all match', () => {
  const cases: { name: string; ds: DsRdata; owner?: string; want: boolean | 'unsupported-digest' }[] = [
    { name: 'RFC 4034 §5.4', ds: SHA1, want: true },
    {
      name: 'owner case does not matter (canonical form)',
      ds: SHA1,
      owner: 'DSKEY.Example.COM.',
      want: true,
    },
    { name: 'other owner', ds: SHA1, owner: 'other.example.com.', want: false },
    { name: 'wrong key tag', ds: { ...SHA1, keyTag: 60486 }, want: false },
    { name: 'wrong algorithm', ds: { ...SHA1, algorithm: 8 }, want: false },
    { name: 'truncated digest', ds: { ...SHA1, digest: SHA1.digest.subarray(0, 19) }, want: false },
    { name: 'SHA-1 digest labelled SHA-256', ds: { ...SHA1, digestType: 2 }, want: false },
    { name: 'GOST (3) is unsupported', ds: { ...SHA1, digestType: 3 }, want: 'unsupported-digest' },
    { name: 'unknown digest type', ds: { ...SHA1, digestType: 99 }, want: 'unsupported-digest' },
  ];
  for (const c of cases) {
    const owner = c.owner === undefined ? KEY.name : Name.parse(c.owner);
    assert.equal(dsMatchesKey(c.ds, owner, KEY.data), c.want, c.name);
  }
});

test('makeDs / dsDigest for SHA-1, SHA-256, SHA-384; undefined for GOST', () => {
  assert.equal(
    toHex(makeDs(KEY.name, KEY.data, 2)!.digest),
    'd4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a',
  );
  assert.equal(makeDs(KEY.name, KEY.data, 4)!.digest.length, 48);
  assert.equal(makeDs(KEY.name, KEY.data, 1)!.keyTag, 60485);
  assert.equal(dsDigest(KEY.name, KEY.data, 3), undefined);
  assert.equal(makeDs(KEY.name, KEY.data, 0), undefined);
});
