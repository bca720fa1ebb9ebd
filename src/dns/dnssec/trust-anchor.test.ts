/** Trust anchor parsing and the built-in IANA root anchors, recomputed from the published root KSKs. */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { isMtaError, toHex } from '../../util/index.ts';
import { parseRr, type DnskeyRdata, type Rr } from '../wire/index.ts';
import { dsMatchesKey } from './ds.ts';
import { keyTag } from './keytag.ts';
import { groupTrustAnchors, parseTrustAnchors, rootTrustAnchors } from './trust-anchor.ts';

/** The published root KSKs (IANA root-anchors.xml), to recompute the built-in DS digests. */
const ROOT_KSKS = [
  '. 172800 IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=',
  '. 172800 IN DNSKEY 257 3 8 AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=',
];

test('built-in root anchors: KSK-2017 (20326) and KSK-2024 (38696), RSASHA256, SHA-256', () => {
  const anchors = rootTrustAnchors();
  assert.deepEqual(
    anchors.map((a) => [a.name.toString(), a.data.keyTag, a.data.algorithm, a.data.digestType]),
    [
      ['.', 20326, 8, 2],
      ['.', 38696, 8, 2],
    ],
  );
  assert.equal(
    toHex(anchors[0]!.data.digest).toUpperCase(),
    'E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D',
  );
});

test('built-in root DS digests are recomputed from the published root KSKs', () => {
  const anchors = rootTrustAnchors();
  const keys = ROOT_KSKS.map((t) => parseRr(t) as Rr<DnskeyRdata>);
  assert.deepEqual(
    keys.map((k) => keyTag(k.data)),
    [20326, 38696],
  );
  for (const [i, k] of keys.entries()) {
    assert.equal(dsMatchesKey(anchors[i]!.data, k.name, k.data), true, `key ${keyTag(k.data)}`);
  }
  assert.equal(dsMatchesKey(anchors[0]!.data, keys[1]!.name, keys[1]!.data), false);
});

test('parseTrustAnchors: zone text and Unbound trust-anchor strings', () => {
  const fromFile = parseTrustAnchors(`
$ORIGIN example.
@   3600 IN DS 2854 3 1 46e4ffc6e9a4793b488954bd3f0cc6af0dfb201b
sub 3600 IN DS 30899 RSASHA1 1 f7ed618f24d5e5202927e1d27bc2e84a141cb4b3 ; a comment
`);
  assert.deepEqual(
    fromFile.map((r) => r.name.toString()),
    ['example.', 'sub.example.'],
  );
  const strings = parseTrustAnchors([
    'example. DNSKEY  257 3 7 AwEAAcUlFV1vhmqx6NSOUOq2R/dsR7Xm3upJ ( j7IommWSpJABVfW8Q0rOvXdM6kzt+TAu92L9 AbsUdblMFin8CVF3n4s= )',
    'example.com.    3600    IN      DS      2854 3 1 46e4ffc6e9a4793b488954bd3f0cc6af0dfb201b ;{id = 2854 (ksk), size = 1688b}',
  ]);
  assert.equal(strings.length, 2);
  assert.equal(strings[0]!.type, 48);
  const groups = groupTrustAnchors([...fromFile, ...strings]);
  assert.deepEqual(
    groups.map((g) => [g.zone.toString(), g.ds.length, g.dnskeys.length]),
    [
      ['example.', 1, 1],
      ['sub.example.', 1, 0],
      ['example.com.', 1, 0],
    ],
  );
});

test('parseTrustAnchors: bad input is a one-line DNSSEC_ERR_BAD_ANCHOR', () => {
  const cases: { input: string | string[]; want: RegExp }[] = [
    { input: 'example. 3600 IN A 192.0.2.1', want: /example\. is not a DS or DNSKEY record/ },
    { input: 'example. 3600 IN DS 1 8 2 zz', want: /trust anchor text: line 1: DS digest is not valid hex/ },
    { input: ['example. DS 1 8 2 00', 'bogus line'], want: /trust anchor 2: / },
    { input: '; only a comment\n', want: /no DS or DNSKEY records/ },
    { input: [], want: /no DS or DNSKEY records/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => parseTrustAnchors(c.input),
      (e: unknown) =>
        isMtaError(e, 'DNSSEC_ERR_BAD_ANCHOR') && c.want.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(c.input),
    );
  }
});
