import { assert, test } from '../../../test/helpers/test-kit.ts';
import { asciiBytes, seededRandom } from '../../util/index.ts';
import {
  ReplyParser,
  extractEnhanced,
  formatReply,
  isPositive,
  parseReplyLine,
  replyClass,
  type Reply,
  type ReplyLimits,
} from './reply.ts';

interface Case {
  name: string;
  input: string;
  limits?: Partial<ReplyLimits>;
  want: { replies: Reply[]; error?: RegExp; partial?: boolean };
}

const cases: Case[] = [
  {
    name: 'single line with enhanced code',
    input: '250 2.1.0 Ok\r\n',
    want: { replies: [{ code: 250, enhanced: '2.1.0', lines: ['2.1.0 Ok'], text: 'Ok' }] },
  },
  {
    name: 'multi-line EHLO',
    input: '250-mx.example Hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n',
    want: {
      replies: [
        {
          code: 250,
          lines: ['mx.example Hello', 'PIPELINING', 'SIZE 1000'],
          text: 'mx.example Hello PIPELINING SIZE 1000',
        },
      ],
    },
  },
  {
    name: 'multi-line with enhanced code on every line',
    input: '550-5.1.1 No such\r\n550 5.1.1 user\r\n',
    want: {
      replies: [
        { code: 550, enhanced: '5.1.1', lines: ['5.1.1 No such', '5.1.1 user'], text: 'No such user' },
      ],
    },
  },
  {
    name: 'bare code, bare LF and several replies in one chunk',
    input: '250\n354 go ahead\r\n221-\r\n221 bye\r\n',
    want: {
      replies: [
        { code: 250, lines: [''], text: '' },
        { code: 354, lines: ['go ahead'], text: 'go ahead' },
        { code: 221, lines: ['', 'bye'], text: 'bye' },
      ],
    },
  },
  {
    name: 'enhanced class must match the basic code',
    input: '550 2.0.0 nope\r\n',
    want: { replies: [{ code: 550, lines: ['2.0.0 nope'], text: '2.0.0 nope' }] },
  },
  {
    name: 'control characters are replaced',
    input: '220 hi\u001b[31m\u0000there\r\n',
    want: { replies: [{ code: 220, lines: ['hi?[31m?there'], text: 'hi?[31m?there' }] },
  },
  {
    name: 'incomplete reply is kept as partial',
    input: '250-first\r\n250 sec',
    want: { replies: [], partial: true },
  },
  { name: 'garbage', input: 'hello world\r\n', want: { replies: [], error: /malformed reply line/ } },
  { name: 'code 1xx is not SMTP', input: '150 ok\r\n', want: { replies: [], error: /malformed/ } },
  { name: 'code followed by junk', input: '250x ok\r\n', want: { replies: [], error: /malformed/ } },
  {
    name: 'inconsistent codes',
    input: '250-a\r\n251 b\r\n',
    want: { replies: [], error: /inconsistent codes/ },
  },
  {
    name: 'valid reply before garbage is still returned',
    input: '421 4.3.2 closing\r\n!!!\r\n',
    want: {
      replies: [{ code: 421, enhanced: '4.3.2', lines: ['4.3.2 closing'], text: 'closing' }],
      error: /malformed/,
    },
  },
  {
    name: 'line too long (no newline needed to notice)',
    input: `250 ${'x'.repeat(200)}`,
    limits: { maxLineLength: 100 },
    want: { replies: [], error: /exceeds 100 octets/ },
  },
  {
    name: 'line at exactly the limit is fine',
    input: `250 ${'x'.repeat(96)}\r\n`,
    limits: { maxLineLength: 100 },
    want: { replies: [{ code: 250, lines: ['x'.repeat(96)], text: 'x'.repeat(96) }] },
  },
  {
    name: 'too many lines',
    input: '250-a\r\n'.repeat(5),
    limits: { maxLines: 5 },
    want: { replies: [], error: /exceeds 5 lines/ },
  },
];

for (const c of cases) {
  test(`reply parser: ${c.name}`, () => {
    const p = new ReplyParser(c.limits);
    const got = p.push(asciiBytes(c.input));
    assert.deepEqual(got.replies, c.want.replies);
    if (c.want.error === undefined) assert.equal(got.error, undefined);
    else {
      assert.equal(got.error?.code, 'SMTP_ERR_PROTOCOL');
      assert.match(got.error.message, c.want.error);
      // Sticky: a broken parser keeps reporting the error and nothing else.
      const again = p.push(asciiBytes('250 ok\r\n'));
      assert.deepEqual(again.replies, []);
      assert.equal(again.error, got.error);
    }
    if (c.want.partial !== undefined) assert.equal(p.hasPartial, c.want.partial);
  });
}

test('reply parser: any chunking gives the same replies', () => {
  const input = asciiBytes(
    '220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n550-5.1.1 a\r\n550 5.1.1 b\r\n354 go\r\n',
  );
  const whole = new ReplyParser().push(input).replies;
  assert.equal(whole.length, 4);
  const random = seededRandom(7);
  for (let round = 0; round < 200; round++) {
    const p = new ReplyParser();
    const got: Reply[] = [];
    let off = 0;
    while (off < input.length) {
      const n = 1 + random.int(6);
      const r = p.push(input.subarray(off, off + n));
      assert.equal(r.error, undefined);
      got.push(...r.replies);
      off += n;
    }
    assert.deepEqual(got, whole);
    assert.equal(p.hasPartial, false);
  }
});

test('reply parser: UTF-8 split across chunks is decoded whole', () => {
  const bytes = new TextEncoder().encode('250 grüße\r\n');
  const p = new ReplyParser();
  assert.deepEqual(p.push(bytes.subarray(0, 7)).replies, []);
  assert.deepEqual(p.push(bytes.subarray(7)).replies[0]?.text, 'grüße');
});

test('parseReplyLine', () => {
  const table: [string, ReturnType<typeof parseReplyLine> | RegExp][] = [
    ['250 ok', { code: 250, final: true, text: 'ok' }],
    ['250-ok', { code: 250, final: false, text: 'ok' }],
    ['599', { code: 599, final: true, text: '' }],
    ['25', /malformed/],
    ['', /malformed/],
    ['650 x', /malformed/],
  ];
  for (const [line, want] of table) {
    if (want instanceof RegExp) assert.throws(() => parseReplyLine(line), want);
    else assert.deepEqual(parseReplyLine(line), want);
  }
});

test('extractEnhanced', () => {
  const table: [number, string, string | undefined][] = [
    [250, '2.1.0 Ok', '2.1.0'],
    [250, '2.1.0', '2.1.0'],
    [451, '4.7.1 try later', '4.7.1'],
    [550, '5.100.999 x', '5.100.999'],
    [550, '5.01.1 x', '5.1.1'],
    [550, '5.1000.1 x', undefined],
    [550, '5.1.1x', undefined],
    [354, '3.0.0 go', undefined],
    [250, '5.0.0 mismatch', undefined],
    [250, 'Ok', undefined],
  ];
  for (const [code, text, want] of table) assert.equal(extractEnhanced(code, text), want, `${code} ${text}`);
});

test('formatReply, replyClass and isPositive', () => {
  const r: Reply = { code: 250, lines: ['mx', 'SIZE 10'], text: 'mx SIZE 10' };
  assert.deepEqual(formatReply(r), ['250-mx', '250 SIZE 10']);
  assert.deepEqual(formatReply({ code: 221, lines: [''], text: '' }), ['221']);
  assert.equal(replyClass({ code: 451, lines: [], text: '' }), 4);
  assert.equal(isPositive(r), true);
  assert.equal(isPositive({ code: 354, lines: [], text: '' }), false);
});
