/** Tests of TLSA usability (RFC 7672 §3.1.3, RFC 6698 §4.1) and digest agility (RFC 7671 §9). */
import { assert, test } from '../../test/helpers/test-kit.ts';
import { formatTlsa } from './generate.ts';
import type { TlsaRecord } from './types.ts';
import { classifyTlsa, unusableReason } from './usable.ts';

const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);
const rec = (usage: number, selector: number, matchingType: number, data: Uint8Array): TlsaRecord => ({
  usage,
  selector,
  matchingType,
  data,
});
/** A minimal well-formed DER SEQUENCE of `n` content octets. */
const seq = (n: number): Uint8Array => {
  const body = bytes(n, 0x01);
  if (n < 128) return new Uint8Array([0x30, n, ...body]);
  return new Uint8Array([0x30, 0x82, n >> 8, n & 0xff, ...body]);
};

test('unusableReason: usable and unusable records', () => {
  const table = [
    { name: '3 1 1', rec: rec(3, 1, 1, bytes(32)), want: undefined },
    { name: '3 0 2', rec: rec(3, 0, 2, bytes(64)), want: undefined },
    { name: '2 0 1', rec: rec(2, 0, 1, bytes(32)), want: undefined },
    { name: '2 1 2', rec: rec(2, 1, 2, bytes(64)), want: undefined },
    { name: '3 0 0 full cert', rec: rec(3, 0, 0, seq(300)), want: undefined },
    { name: '2 1 0 full spki', rec: rec(2, 1, 0, seq(89)), want: undefined },
    { name: 'PKIX-TA(0)', rec: rec(0, 0, 1, bytes(32)), want: /PKIX-TA\(0\).*RFC 7672 §3.1.3/ },
    { name: 'PKIX-EE(1)', rec: rec(1, 1, 1, bytes(32)), want: /PKIX-EE\(1\)/ },
    { name: 'usage 4', rec: rec(4, 1, 1, bytes(32)), want: /unsupported certificate usage 4/ },
    { name: 'PrivCert 255', rec: rec(255, 1, 1, bytes(32)), want: /unsupported certificate usage 255/ },
    { name: 'selector 2', rec: rec(3, 2, 1, bytes(32)), want: /unsupported selector 2/ },
    { name: 'matching 3', rec: rec(3, 1, 3, bytes(32)), want: /unsupported matching type 3/ },
    {
      name: 'SHA2-256 too short',
      rec: rec(3, 1, 1, bytes(31)),
      want: /SHA2-256\(1\) digest has 31 octets, not 32/,
    },
    { name: 'SHA2-256 too long', rec: rec(3, 1, 1, bytes(33)), want: /33 octets/ },
    {
      name: 'SHA2-512 given 32 octets',
      rec: rec(3, 1, 2, bytes(32)),
      want: /SHA2-512\(2\) digest has 32 octets, not 64/,
    },
    { name: 'empty digest', rec: rec(2, 0, 1, bytes(0)), want: /0 octets/ },
    { name: 'empty full', rec: rec(3, 0, 0, bytes(0)), want: /empty Full\(0\)/ },
    { name: 'full not DER', rec: rec(3, 1, 0, bytes(40)), want: /not a DER SubjectPublicKeyInfo/ },
    {
      name: 'full with trailing octet',
      rec: rec(2, 0, 0, new Uint8Array([...seq(10), 0])),
      want: /not a DER certificate/,
    },
  ];
  for (const t of table) {
    const got = unusableReason(t.rec);
    if (t.want === undefined) assert.equal(got, undefined, t.name);
    else assert.match(got ?? '(usable)', t.want, t.name);
  }
});

test('classifyTlsa: digest agility keeps Full(0) and the strongest digest per (usage, selector)', () => {
  const table: {
    name: string;
    records: TlsaRecord[];
    want: { usable: string[]; superseded: string[]; unusable: number };
  }[] = [
    {
      name: 'RFC 7671 §9 example: 3 1 0, 3 1 1, 3 1 2',
      records: [rec(3, 1, 0, seq(20)), rec(3, 1, 1, bytes(32, 1)), rec(3, 1, 2, bytes(64, 2))],
      want: { usable: ['3 1 0', '3 1 2'], superseded: ['3 1 1'], unusable: 0 },
    },
    {
      name: 'only SHA2-256',
      records: [rec(3, 1, 1, bytes(32, 1)), rec(3, 1, 1, bytes(32, 2))],
      want: { usable: ['3 1 1', '3 1 1'], superseded: [], unusable: 0 },
    },
    {
      name: 'agility is per (usage, selector)',
      records: [
        rec(3, 1, 1, bytes(32)),
        rec(3, 0, 2, bytes(64)),
        rec(2, 0, 1, bytes(32)),
        rec(2, 0, 2, bytes(64)),
      ],
      want: { usable: ['3 1 1', '3 0 2', '2 0 2'], superseded: ['2 0 1'], unusable: 0 },
    },
    {
      name: 'a malformed SHA2-512 does not supersede SHA2-256',
      records: [rec(3, 1, 1, bytes(32)), rec(3, 1, 2, bytes(10))],
      want: { usable: ['3 1 1'], superseded: [], unusable: 1 },
    },
    {
      name: 'PKIX records never supersede DANE ones',
      records: [rec(3, 1, 1, bytes(32)), rec(1, 1, 2, bytes(64))],
      want: { usable: ['3 1 1'], superseded: [], unusable: 1 },
    },
    { name: 'empty RRset', records: [], want: { usable: [], superseded: [], unusable: 0 } },
    {
      name: 'all unusable',
      records: [rec(0, 0, 1, bytes(32)), rec(1, 1, 1, bytes(32)), rec(3, 1, 9, bytes(32))],
      want: { usable: [], superseded: [], unusable: 3 },
    },
  ];
  const params = (r: TlsaRecord): string => formatTlsa(r).split(' ').slice(0, 3).join(' ');
  for (const t of table) {
    const got = classifyTlsa(t.records);
    assert.deepEqual(got.usable.map(params), t.want.usable, t.name);
    assert.deepEqual(
      got.superseded.map((s) => params(s.record)),
      t.want.superseded,
      t.name,
    );
    assert.equal(got.unusable.length, t.want.unusable, t.name);
    for (const s of got.superseded) assert.match(s.reason, /RFC 7671 §9/);
  }
});
