/** Key tags (RFC 4034 Appendix B and B.1) on RFC, dnspython and IANA root keys. */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { parseRr, type DnskeyRdata, type Rr } from '../wire/index.ts';
import { keyTag, keyTagOfRdata } from './keytag.ts';

const cases: { name: string; key: string; want: number }[] = [
  {
    name: 'RFC 4034 §5.4 dskey.example.com (RSASHA1)',
    key: 'dskey.example.com. 86400 IN DNSKEY 256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==',
    want: 60485,
  },
  {
    name: 'RFC 5702 §6.1 (RSASHA256)',
    key: 'example.net. 3600 IN DNSKEY 256 3 8 AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=',
    want: 9033,
  },
  {
    name: 'RFC 8080 §6.1 (Ed25519)',
    key: 'example.com. 3600 IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=',
    want: 3613,
  },
  {
    name: 'RSAMD5 (Appendix B.1 rule) from dnspython testRSAMD5Keyid, KSK',
    key: 'example. 3600 IN DNSKEY 257 3 1 AwEAAewnoEWe+AVEnQzcZTwpl8K/QKuScYIX9xHOhejAL1enMjE0j97Gq3XXJJPWF7eQQGHs1De4Srv2UT0zRCLkH9r36lOR/ggANvthO/UbEs0hlD3A58LumEPudgIDwEkxGvQAXMFTMw0x1d/a82UtzmNoPVzFOl2r+OCXx9Jbdh/L',
    want: 30239,
  },
  {
    name: 'RSAMD5 (Appendix B.1 rule), ZSK',
    key: 'example. 3600 IN DNSKEY 256 3 1 AwEAAb8OJM5YcqaYG0fenUdRlrhBQ6LuwCvr5BRlrVbVzadSDBpq+yIiklfdGNBg3WZztDy1du62NWC/olMfc6uRe/SjqTa7IJ3MdEuZQXQwMedGdNSF73zbokx8wg7zBBr74xHczJcEpQhrZLzwCDmIPu0yoVi3Yqdl4dm4vNBj9hAD',
    want: 62992,
  },
  {
    name: 'IANA root KSK-2017',
    key: '. 172800 IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=',
    want: 20326,
  },
];

test('keyTag: RFC 4034 Appendix B, including the algorithm-1 special case', () => {
  for (const c of cases) {
    const rr = parseRr(c.key) as Rr<DnskeyRdata>;
    assert.equal(keyTag(rr.data), c.want, c.name);
    assert.equal(keyTagOfRdata(rr.rdata), c.want, `${c.name} (raw rdata)`);
  }
});

test('keyTag: the REVOKE bit changes the tag by 128 (RFC 5011 §7)', () => {
  const rr = parseRr(cases[0]!.key) as Rr<DnskeyRdata>;
  assert.equal(keyTag({ ...rr.data, flags: rr.data.flags | 0x80 }), (60485 + 128) & 0xffff);
});

test('keyTagOfRdata tolerates short rdata', () => {
  assert.equal(keyTagOfRdata(new Uint8Array(2)), 0);
  assert.equal(keyTag({ flags: 256, protocol: 3, algorithm: 1, publicKey: new Uint8Array(1) }), 0);
});
