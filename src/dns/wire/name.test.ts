/**
 * Tests of domain names (RFC 1035 §2.3.4, §3.1, §5.1; RFC 4034 §6.1–6.2): presentation parse and
 * print with `\.` / `\DDD` escapes, case preservation, ASCII-only canonical lower-casing, the
 * 63/255-octet limits, relations (subdomain, parent, suffix) and canonical ordering with the
 * RFC 4034 §6.1 example list. Pure; no I/O.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom, shuffle, toHex } from '../../util/index.ts';
import { WireError } from './errors.ts';
import { compareLabels, compareNames, Name } from './name.ts';

function label(n: number, ch = 'a'): string {
  return ch.repeat(n);
}

/** A name of exactly `octets` wire octets built from 63-octet labels and one remainder label. */
function nameOfWireLength(octets: number): string {
  const parts: string[] = [];
  let left = octets - 1; // the root label
  while (left > 0) {
    const take = Math.min(64, left); // a label costs its length + 1
    parts.push(label(take - 1, String.fromCharCode(0x61 + (parts.length % 26))));
    left -= take;
  }
  return parts.join('.') + '.';
}

test('Name.parse then toString: escapes, case and origin', () => {
  const cases: { text: string; origin?: string; want: string; wantLabels: string[] }[] = [
    { text: '.', want: '.', wantLabels: [] },
    { text: 'example.', want: 'example.', wantLabels: ['6578616d706c65'] },
    {
      text: 'Mail.Example.COM.',
      want: 'Mail.Example.COM.',
      wantLabels: ['4d61696c', '4578616d706c65', '434f4d'],
    },
    { text: 'a\\.b.example.', want: 'a\\.b.example.', wantLabels: ['612e62', '6578616d706c65'] },
    { text: '\\200.z.example.', want: '\\200.z.example.', wantLabels: ['c8', '7a', '6578616d706c65'] },
    { text: '\\001.z.', want: '\\001.z.', wantLabels: ['01', '7a'] },
    { text: '\\065b.', want: 'Ab.', wantLabels: ['4162'] },
    { text: 'sp\\032ace.', want: 'sp\\032ace.', wantLabels: ['737020616365'] },
    { text: 'q\\"\\;\\(\\)\\\\\\@\\$.', want: 'q\\"\\;\\(\\)\\\\\\@\\$.', wantLabels: ['71223b28295c4024'] },
    { text: '*.wild.', want: '*.wild.', wantLabels: ['2a', '77696c64'] },
    {
      text: 'host',
      origin: 'example.org.',
      want: 'host.example.org.',
      wantLabels: ['686f7374', '6578616d706c65', '6f7267'],
    },
    { text: '@', origin: 'example.org.', want: 'example.org.', wantLabels: ['6578616d706c65', '6f7267'] },
    { text: 'x\\127.', want: 'x\\127.', wantLabels: ['787f'] },
  ];
  for (const c of cases) {
    const origin = c.origin === undefined ? Name.ROOT : Name.parse(c.origin);
    const name = Name.parse(c.text, origin);
    assert.equal(name.toString(), c.want, c.text);
    assert.deepEqual(name.labels.map(toHex), c.wantLabels, c.text);
    assert.equal(Name.parse(name.toString()).toString(), c.want, `re-parse of ${c.text}`);
  }
});

test('Name.parse rejects malformed text with DNS_ERR_BAD_TEXT or a limit code', () => {
  const cases: { text: string; want: string }[] = [
    { text: '', want: 'DNS_ERR_BAD_TEXT' },
    { text: 'a..b.', want: 'DNS_ERR_BAD_TEXT' },
    { text: '.a.', want: 'DNS_ERR_BAD_TEXT' },
    { text: 'a\\', want: 'DNS_ERR_BAD_TEXT' },
    { text: 'a\\256.', want: 'DNS_ERR_BAD_TEXT' },
    { text: 'caf\u00e9\u4e00.', want: 'DNS_ERR_BAD_TEXT' },
    { text: label(64) + '.', want: 'DNS_ERR_LABEL_TOO_LONG' },
    { text: nameOfWireLength(256), want: 'DNS_ERR_NAME_TOO_LONG' },
  ];
  for (const c of cases) {
    assert.throws(
      () => Name.parse(c.text),
      (e: unknown) => e instanceof WireError && e.code === c.want,
      JSON.stringify(c.text),
    );
  }
});

test('label and name limits: 63 and 255 octets are accepted, 64 and 256 are not', () => {
  assert.equal(Name.parse(label(63) + '.').labels[0]?.length, 63);
  const n255 = Name.parse(nameOfWireLength(255));
  assert.equal(n255.wireLength, 255);
  assert.equal(n255.toWire().length, 255);
  assert.throws(() => new Name([new Uint8Array(64)]), { code: 'DNS_ERR_LABEL_TOO_LONG' });
  assert.throws(() => new Name([new Uint8Array(0)]), { code: 'DNS_ERR_BAD_TEXT' });
  assert.throws(() => n255.prepend('a'), { code: 'DNS_ERR_NAME_TOO_LONG' });
});

test('toWire keeps case; canonical() lowers ASCII A-Z only (RFC 4034 §6.2)', () => {
  const n = Name.parse('MiXeD.\\196\\214x.Example.');
  assert.equal(toHex(n.toWire()), '054d6958654403c4d678074578616d706c6500');
  const c = n.canonical();
  assert.equal(toHex(c.toWire()), '056d6978656403c4d678076578616d706c6500');
  assert.equal(c.toString(), 'mixed.\\196\\214x.example.');
  const lower = Name.parse('already.lower.');
  assert.equal(lower.canonical(), lower, 'no copy when nothing changes');
  assert.equal(n.toString(), 'MiXeD.\\196\\214x.Example.', 'the original is unchanged');
});

test('equals, key and relations are case-insensitive', () => {
  const a = Name.parse('WWW.Example.ORG.');
  const b = Name.parse('www.example.org.');
  assert.ok(a.equals(b));
  assert.equal(a.key(), b.key());
  assert.equal(a.key(), 'www.example.org.');
  assert.ok(!a.equals(Name.parse('www.example.org.uk.')));
  assert.ok(!Name.parse('\\196.').equals(Name.parse('\\228.')), 'non-ASCII octets are not folded');
  const cases: { name: string; ancestor: string; want: boolean }[] = [
    { name: 'a.b.example.', ancestor: 'EXAMPLE.', want: true },
    { name: 'example.', ancestor: 'example.', want: true },
    { name: 'example.', ancestor: '.', want: true },
    { name: 'badexample.', ancestor: 'example.', want: false },
    { name: 'example.', ancestor: 'a.example.', want: false },
  ];
  for (const c of cases) {
    assert.equal(
      Name.parse(c.name).isSubdomainOf(Name.parse(c.ancestor)),
      c.want,
      `${c.name} under ${c.ancestor}`,
    );
  }
});

test('label helpers: parent, stripLeft, suffix, prepend, commonSuffixLength, wildcard', () => {
  const n = Name.parse('a.b.Example.');
  assert.equal(n.labelCount, 3);
  assert.equal(n.parent()?.toString(), 'b.Example.');
  assert.equal(Name.ROOT.parent(), undefined);
  assert.ok(Name.ROOT.isRoot);
  assert.equal(n.stripLeft(0), n);
  assert.equal(n.stripLeft(2).toString(), 'Example.');
  assert.equal(n.stripLeft(9).toString(), '.');
  assert.equal(n.suffix(0).toString(), '.');
  assert.equal(n.suffix(2).toString(), 'b.Example.');
  assert.equal(n.prepend('*').toString(), '*.a.b.Example.');
  assert.ok(n.prepend('*').isWildcard);
  assert.ok(!n.isWildcard);
  assert.equal(n.prepend(Uint8Array.of(0x2e)).toString(), '\\..a.b.Example.');
  assert.equal(n.commonSuffixLength(Name.parse('x.B.example.')), 2);
  assert.equal(n.commonSuffixLength(Name.parse('org.')), 0);
  assert.equal(Name.parse('\\*.x.').isWildcard, true, '\\* is the same octet as *');
});

test('compareLabels: lower-cased octets, shorter first on a tie', () => {
  const cases: { a: string; b: string; want: number }[] = [
    { a: 'abc', b: 'ABC', want: 0 },
    { a: 'ab', b: 'abc', want: -1 },
    { a: 'b', b: 'abc', want: 1 },
    { a: 'Z', b: 'a', want: 1 },
    { a: '_', b: 'a', want: -1 }, // 0x5f < 0x61, although 'A' (0x41) < '_'
  ];
  const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
  for (const c of cases) assert.equal(compareLabels(enc(c.a), enc(c.b)), c.want, `${c.a} vs ${c.b}`);
});

// RFC 4034 §6.1: "the following names are sorted in canonical DNS name order".
const RFC4034_ORDER = [
  'example.',
  'a.example.',
  'yljkjljk.a.example.',
  'Z.a.example.',
  'zABC.a.EXAMPLE.',
  'z.example.',
  '\\001.z.example.',
  '*.z.example.',
  '\\200.z.example.',
];

test('compareNames sorts the RFC 4034 §6.1 example list into the RFC order', () => {
  const want = RFC4034_ORDER;
  const names = want.map((t) => Name.parse(t));
  for (let i = 0; i < names.length; i++) {
    for (let j = 0; j < names.length; j++) {
      const got = compareNames(names[i] as Name, names[j] as Name);
      assert.equal(Math.sign(got), Math.sign(i - j), `${want[i]} vs ${want[j]}`);
    }
  }
  const random = seededRandom(4034);
  for (let round = 0; round < 20; round++) {
    const sorted = shuffle(names, random).sort(compareNames);
    assert.deepEqual(
      sorted.map((n) => n.toString()),
      want,
    );
  }
});

test('compareNames: root first, case-insensitive equality, more labels later', () => {
  assert.equal(compareNames(Name.ROOT, Name.parse('a.')), -1);
  assert.equal(compareNames(Name.parse('A.B.'), Name.parse('a.b.')), 0);
  assert.equal(compareNames(Name.parse('b.'), Name.parse('a.b.')), -1);
  assert.equal(compareNames(Name.parse('a.b.'), Name.parse('b.')), 1);
  assert.equal(compareNames(Name.parse('z.a.'), Name.parse('a.b.')), -1, 'rightmost label decides first');
});
