/**
 * Tests of zone-file text (RFC 1035 §5.1): tokens, quoting and escapes, `( … )` groups over
 * several lines, comments, `$ORIGIN`, `$TTL`, inherited owners, `@`, relative names, TTL and
 * class in either order, BIND TTL units, RFC 3597 `TYPEnnn` / `CLASSnnn` / `\#`, and errors that
 * name the line. Pure; no I/O.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../util/index.ts';
import { WireError } from './errors.ts';
import { Name } from './name.ts';
import { formatRr, parseRr, parseTtl, parseZone } from './presentation.ts';
import { logicalLines, quoteBytes, tokenize, unescapeBytes } from './text.ts';
import { classFromString, classToString, rcodeToString, typeFromString, typeToString } from './types.ts';

test('tokenize: fields, quotes, escapes, comments, blank owner', () => {
  const cases: { line: string; want: [string, boolean][]; blank: boolean }[] = [
    {
      line: 'a 60 IN A 1.2.3.4',
      want: [
        ['a', false],
        ['60', false],
        ['IN', false],
        ['A', false],
        ['1.2.3.4', false],
      ],
      blank: false,
    },
    {
      line: '\tIN TXT "x y" ; comment',
      want: [
        ['IN', false],
        ['TXT', false],
        ['x y', true],
      ],
      blank: true,
    },
    {
      line: ' TXT "a\\"b" c\\ d',
      want: [
        ['TXT', false],
        ['a\\"b', true],
        ['c\\ d', false],
      ],
      blank: true,
    },
    {
      line: 'x TXT ""',
      want: [
        ['x', false],
        ['TXT', false],
        ['', true],
      ],
      blank: false,
    },
    { line: '; only a comment', want: [], blank: false },
    {
      line: 'x ( 1 2 )',
      want: [
        ['x', false],
        ['1', false],
        ['2', false],
      ],
      blank: false,
    },
    {
      line: 'x TXT "a;b(c)"',
      want: [
        ['x', false],
        ['TXT', false],
        ['a;b(c)', true],
      ],
      blank: false,
    },
  ];
  for (const c of cases) {
    const { tokens, startsWithBlank } = tokenize(c.line);
    assert.deepEqual(
      tokens.map((t) => [t.text, t.quoted]),
      c.want,
      c.line,
    );
    assert.equal(startsWithBlank, c.blank, c.line);
  }
  assert.throws(() => tokenize('x TXT "open'), { code: 'DNS_ERR_BAD_TEXT' });
});

test('logicalLines: parentheses join lines; comments and quotes are respected', () => {
  const text = [
    'a SOA ns host ( 1 ; serial',
    '   2 3 ; refresh retry',
    '   4 5 )',
    'b TXT "has ( paren" ; and ) in a comment',
    '',
    '   ',
    'c TXT "semi;colon"',
  ].join('\n');
  const lines = logicalLines(text);
  assert.equal(lines.length, 3);
  assert.deepEqual(
    tokenize(lines[0]!).tokens.map((t) => t.text),
    ['a', 'SOA', 'ns', 'host', '1', '2', '3', '4', '5'],
  );
  assert.deepEqual(
    tokenize(lines[1]!).tokens.map((t) => t.text),
    ['b', 'TXT', 'has ( paren'],
  );
  assert.deepEqual(
    tokenize(lines[2]!).tokens.map((t) => t.text),
    ['c', 'TXT', 'semi;colon'],
  );
  assert.throws(() => logicalLines('a ( b'), { code: 'DNS_ERR_BAD_TEXT', message: /unbalanced '\('/ });
  assert.throws(() => logicalLines('a ) b'), { code: 'DNS_ERR_BAD_TEXT', message: /unbalanced '\)'/ });
  assert.throws(() => logicalLines('a "b'), { code: 'DNS_ERR_BAD_TEXT' });
});

test('unescapeBytes and quoteBytes are inverse for every octet', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const quoted = quoteBytes(all);
  assert.ok(quoted.startsWith('"\\000\\001'));
  assert.ok(quoted.includes('\\"') && quoted.includes('\\\\') && quoted.includes('\\255'));
  assert.deepEqual(unescapeBytes(quoted.slice(1, -1)), all);
  assert.equal(toHex(unescapeBytes('a\\065\\.\\\\')), '61412e5c');
  assert.throws(() => unescapeBytes('\\300'), { code: 'DNS_ERR_BAD_TEXT' });
  assert.throws(() => unescapeBytes('ab\\'), { code: 'DNS_ERR_BAD_TEXT' });
  assert.throws(() => unescapeBytes('\u2713'), { code: 'DNS_ERR_BAD_TEXT' });
});

test('parseTtl: seconds and BIND units', () => {
  const cases: { text: string; want: number | undefined }[] = [
    { text: '0', want: 0 },
    { text: '3600', want: 3600 },
    { text: '4294967295', want: 4294967295 },
    { text: '4294967296', want: undefined },
    { text: '1h30m', want: 5400 },
    { text: '1W2D3H4M5S', want: 788645 },
    { text: '1x', want: undefined },
    { text: '-1', want: undefined },
    { text: 'h', want: undefined },
  ];
  for (const c of cases) assert.equal(parseTtl(c.text), c.want, c.text);
});

test('parseZone: directives, inherited owner, @, relative names, TTL/class order', () => {
  const zone = [
    '$ORIGIN example.com.',
    '$TTL 1h',
    '@ IN SOA ns1 hostmaster (',
    '      2024010101 ; serial',
    '      7200 3600 1209600 300 )',
    '        NS ns1',
    '        NS ns2.example.net.',
    'mail 300 IN A 192.0.2.1',
    '     IN 600 AAAA 2001:db8::1',
    '$ORIGIN sub',
    'www CNAME @',
    '$TTL 60',
    'txt CH TXT "chaos"',
    '    TXT "inherits class"',
    'gen CLASS1 TYPE65280 \\# 2 ABCD',
  ].join('\n');
  const want = [
    'example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300',
    'example.com. 3600 IN NS ns1.example.com.',
    'example.com. 3600 IN NS ns2.example.net.',
    'mail.example.com. 300 IN A 192.0.2.1',
    'mail.example.com. 600 IN AAAA 2001:db8::1',
    'www.sub.example.com. 3600 IN CNAME sub.example.com.',
    'txt.sub.example.com. 60 CH TXT "chaos"',
    'txt.sub.example.com. 60 CH TXT "inherits class"',
    'gen.sub.example.com. 60 IN TYPE65280 \\# 2 ABCD',
  ];
  assert.deepEqual(parseZone(zone).map(formatRr), want);
  // Printing and re-parsing the output gives the same records.
  assert.deepEqual(parseZone(want.join('\n')).map(formatRr), want);
});

test('parseZone options: origin and default TTL', () => {
  const rrs = parseZone('host A 192.0.2.1', { origin: Name.parse('zone.test.'), defaultTtl: 42 });
  assert.deepEqual(rrs.map(formatRr), ['host.zone.test. 42 IN A 192.0.2.1']);
});

test('parseZone errors name the logical line', () => {
  const cases: { text: string; want: RegExp }[] = [
    { text: 'a A 192.0.2.1\nb A 192.0.2', want: /^line 2: bad IPv4 address/ },
    { text: ' A 192.0.2.1', want: /^line 1: first record has no owner name/ },
    { text: 'a 60 IN', want: /^line 1: record for a\. has no type/ },
    { text: '$TTL soon', want: /^line 1: bad \$TTL/ },
    { text: '$INCLUDE other.zone', want: /^line 1: unsupported directive \$INCLUDE/ },
    { text: 'a ( A\n192.0.2.1 )\nb..c A 192.0.2.1', want: /^line 2: empty label/ },
    { text: 'x A', want: /^line 1: missing IPv4 address/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => parseZone(c.text),
      (e: unknown) => e instanceof WireError && e.code === 'DNS_ERR_BAD_TEXT' && c.want.test(e.message),
      c.text,
    );
  }
  assert.throws(() => parseRr('a A 192.0.2.1\nb A 192.0.2.2'), { message: /expected one record, found 2/ });
  assert.throws(() => parseRr(''), { message: /expected one record, found 0/ });
});

test('type, class and rcode mnemonics with the RFC 3597 fallbacks', () => {
  const types: { text: string; want: number | undefined }[] = [
    { text: 'TLSA', want: 52 },
    { text: 'tlsa', want: 52 },
    { text: 'TYPE52', want: 52 },
    { text: 'type65535', want: 65535 },
    { text: 'TYPE65536', want: undefined },
    { text: 'TYPE', want: undefined },
    { text: 'NOPE', want: undefined },
  ];
  for (const c of types) assert.equal(typeFromString(c.text), c.want, c.text);
  assert.equal(typeToString(52), 'TLSA');
  assert.equal(typeToString(65534), 'TYPE65534');
  assert.equal(classFromString('ch'), 3);
  assert.equal(classFromString('CLASS42'), 42);
  assert.equal(classFromString('CLASS70000'), undefined);
  assert.equal(classToString(3), 'CH');
  assert.equal(classToString(42), 'CLASS42');
  assert.equal(rcodeToString(3), 'NXDOMAIN');
  assert.equal(rcodeToString(16), 'BADVERS');
  assert.equal(rcodeToString(23), 'RCODE23');
});
