import { assert, test } from '../../../test/helpers/test-kit.ts';
import {
  isIpv4Literal,
  isIpv6Literal,
  isValidMailbox,
  needsSmtpUtf8,
  parseMailbox,
  parsePath,
  withAsciiDomain,
  type Mailbox,
} from './address.ts';

const ok: [string, Mailbox][] = [
  ['user@example.com', { localPart: 'user', domain: 'example.com', domainKind: 'name', ascii: true }],
  [
    'first.last+tag@sub.example.org',
    { localPart: 'first.last+tag', domain: 'sub.example.org', domainKind: 'name', ascii: true },
  ],
  [
    '"john doe"@example.com',
    { localPart: '"john doe"', domain: 'example.com', domainKind: 'name', ascii: true },
  ],
  [
    '"a@b\\"c"@example.com',
    { localPart: '"a@b\\"c"', domain: 'example.com', domainKind: 'name', ascii: true },
  ],
  [
    'u@[192.0.2.1]',
    { localPart: 'u', domain: '[192.0.2.1]', domainKind: 'ipv4', literal: '192.0.2.1', ascii: true },
  ],
  [
    'u@[IPv6:2001:db8::1]',
    { localPart: 'u', domain: '[IPv6:2001:db8::1]', domainKind: 'ipv6', literal: '2001:db8::1', ascii: true },
  ],
  [
    'u@[ipv6:::ffff:192.0.2.1]',
    {
      localPart: 'u',
      domain: '[ipv6:::ffff:192.0.2.1]',
      domainKind: 'ipv6',
      literal: '::ffff:192.0.2.1',
      ascii: true,
    },
  ],
  [
    'u@[x-tag:abc]',
    { localPart: 'u', domain: '[x-tag:abc]', domainKind: 'general', literal: 'x-tag:abc', ascii: true },
  ],
  ['jörg@bücher.example', { localPart: 'jörg', domain: 'bücher.example', domainKind: 'name', ascii: false }],
  ['用户@例子.广告', { localPart: '用户', domain: '例子.广告', domainKind: 'name', ascii: false }],
  ['x@a-b.c0', { localPart: 'x', domain: 'a-b.c0', domainKind: 'name', ascii: true }],
];

const bad: [string, RegExp][] = [
  ['', /missing @/],
  ['nobody', /missing @/],
  ['@example.com', /empty local part/],
  ['user@', /empty domain/],
  ['a..b@example.com', /bad local part/],
  ['.a@example.com', /bad local part/],
  ['a b@example.com', /bad local part/],
  ['a<b@example.com', /bad local part/],
  ['"unterminated@example.com', /unterminated/],
  ['"q"x@example.com', /expected @/],
  ['u@-bad.example', /bad domain label/],
  ['u@bad-.example', /bad domain label/],
  ['u@a..example', /bad domain label/],
  ['u@example.com.', /bad domain label/],
  ['u@under_score.example', /bad domain label/],
  [`u@${'a'.repeat(64)}.example`, /longer than 63/],
  [`u@${'abcdefghi.'.repeat(26)}com`, /longer than 253/],
  ['u@[192.0.2.256]', /bad address literal/],
  ['u@[IPv6:2001:db8::1::2]', /bad IPv6/],
  ['u@[192.0.2.1', /unterminated address literal/],
  ['u@exa\r\nmple.com', /control character/],
];

test('parseMailbox accepts valid mailboxes', () => {
  for (const [text, want] of ok) assert.deepEqual(parseMailbox(text), want, text);
});

test('parseMailbox rejects invalid mailboxes with a reason', () => {
  for (const [text, want] of bad) {
    assert.throws(
      () => parseMailbox(text),
      (e: unknown) =>
        (e as { code?: string }).code === 'SMTP_ERR_ARGUMENT' && want.test((e as Error).message),
      text,
    );
    assert.equal(isValidMailbox(text), false);
  }
});

test('parsePath: null reverse path only where allowed', () => {
  assert.equal(parsePath('', { allowNull: true }), null);
  assert.throws(() => parsePath(''), /empty path/);
  assert.equal(parsePath('a@b.example')?.domain, 'b.example');
});

test('IP literal grammar', () => {
  const v4: [string, boolean][] = [
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['1.2.3', false],
    ['1.2.3.4.5', false],
    ['01.2.3.4', true],
    ['a.b.c.d', false],
  ];
  for (const [t, want] of v4) assert.equal(isIpv4Literal(t), want, t);
  const v6: [string, boolean][] = [
    ['2001:db8:0:0:0:0:0:1', true],
    ['2001:db8::1', true],
    ['::', true],
    ['::1', true],
    ['1::', true],
    ['1:2:3:4:5:6:7::', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1:2:3:4:5:6:7', false],
    ['::ffff:192.0.2.1', true],
    ['1:2:3:4:5:6:192.0.2.1', true],
    ['1:2:3:4:5:6:7:192.0.2.1', false],
    ['1:192.0.2.1::', false],
    ['12345::', false],
    ['g::1', false],
  ];
  for (const [t, want] of v6) assert.equal(isIpv6Literal(t), want, t);
});

test('needsSmtpUtf8 and withAsciiDomain', () => {
  assert.equal(needsSmtpUtf8('a@b.example'), false);
  assert.equal(needsSmtpUtf8('a@bücher.example'), true);
  const toAscii = (d: string): string => (d === 'bücher.example' ? 'xn--bcher-kva.example' : '');
  assert.equal(withAsciiDomain(parseMailbox('a@bücher.example'), toAscii), 'a@xn--bcher-kva.example');
  assert.equal(withAsciiDomain(parseMailbox('a@[192.0.2.1]'), toAscii), 'a@[192.0.2.1]');
  assert.throws(() => withAsciiDomain(parseMailbox('a@ü.example'), toAscii), /no valid A-label/);
});
