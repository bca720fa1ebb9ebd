import { assert, test } from '../../../test/helpers/test-kit.ts';
import { asciiBytes, concatBytes, seededRandom } from '../../util/index.ts';
import { DotStuffer, stuffMessage, unstuff } from './dot-stuff.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

interface Case {
  name: string;
  input: string;
  want: { wire: string; size: number; eightBit: boolean } | RegExp;
  maxLineLength?: number;
}

const cases: Case[] = [
  { name: 'empty message', input: '', want: { wire: '.\r\n', size: 0, eightBit: false } },
  { name: 'CRLF text', input: 'a\r\nb\r\n', want: { wire: 'a\r\nb\r\n.\r\n', size: 6, eightBit: false } },
  { name: 'no final newline', input: 'a\r\nb', want: { wire: 'a\r\nb\r\n.\r\n', size: 6, eightBit: false } },
  { name: 'bare LF', input: 'a\nb\n', want: { wire: 'a\r\nb\r\n.\r\n', size: 6, eightBit: false } },
  { name: 'bare CR', input: 'a\rb\r', want: { wire: 'a\r\nb\r\n.\r\n', size: 6, eightBit: false } },
  { name: 'CR CR LF', input: 'a\r\r\nb', want: { wire: 'a\r\n\r\nb\r\n.\r\n', size: 8, eightBit: false } },
  {
    name: 'dots at line starts are doubled, size does not count them',
    input: '.\r\n..x\r\nx.\r\n.',
    want: { wire: '..\r\n...x\r\nx.\r\n..\r\n.\r\n', size: 15, eightBit: false },
  },
  {
    name: 'leading dot of the message',
    input: '.hidden',
    want: { wire: '..hidden\r\n.\r\n', size: 9, eightBit: false },
  },
  {
    name: 'lone dot after LF',
    input: 'a\n.\nb',
    want: { wire: 'a\r\n..\r\nb\r\n.\r\n', size: 9, eightBit: false },
  },
  { name: '8-bit', input: 'caf\u00e9\r\n', want: { wire: 'caf\u00e9\r\n.\r\n', size: 6, eightBit: true } },
  {
    name: '998 octets is fine',
    input: `${'x'.repeat(998)}\r\n`,
    want: { wire: `${'x'.repeat(998)}\r\n.\r\n`, size: 1000, eightBit: false },
  },
  {
    name: 'a stuffed dot does not count toward 998',
    input: `.${'x'.repeat(997)}\r\n`,
    want: { wire: `..${'x'.repeat(997)}\r\n.\r\n`, size: 1000, eightBit: false },
  },
  { name: '999 octets is too long', input: `a\r\n${'x'.repeat(999)}\r\n`, want: /line 2 is longer than 998/ },
  { name: 'custom limit', input: 'abcdef', maxLineLength: 5, want: /longer than 5/ },
];

function runChunks(input: Uint8Array, sizes: () => number, max?: number): ReturnType<typeof stuffMessage> {
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < input.length;) {
    const n = sizes();
    chunks.push(input.subarray(off, off + n));
    off += n;
  }
  return stuffMessage(chunks, max === undefined ? {} : { maxLineLength: max });
}

for (const c of cases) {
  test(`dot-stuff: ${c.name}`, () => {
    const input = asciiBytes(c.input);
    const random = seededRandom(c.input.length + 1);
    const chunkings: (() => number)[] = [() => input.length || 1, () => 1, () => 1 + random.int(4)];
    for (const sizes of chunkings) {
      if (c.want instanceof RegExp) {
        assert.throws(
          () => runChunks(input, sizes, c.maxLineLength),
          (e: unknown) => {
            return (
              (e as { code?: string }).code === 'SMTP_ERR_LINE_TOO_LONG' && (c.want as RegExp).test(String(e))
            );
          },
        );
        continue;
      }
      const got = runChunks(input, sizes, c.maxLineLength);
      assert.deepEqual(
        { wire: text(concatBytes(got.chunks)), size: got.size, eightBit: got.eightBit },
        c.want,
      );
    }
  });
}

/** A reference implementation over the whole string, to compare random chunkings against. */
function reference(input: string): string {
  const lines = input.replace(/\r\n|\r|\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.startsWith('.') ? `.${l}\r\n` : `${l}\r\n`)).join('') + '.\r\n';
}

test('dot-stuff: random messages under random chunkings match the reference', () => {
  const random = seededRandom(42);
  const alphabet = ['\r', '\n', '.', 'a', 'b', '\r\n', '\n.', '\r\n.', '.\r\n', '\u00ff'];
  for (let round = 0; round < 300; round++) {
    let s = '';
    const len = random.int(60);
    for (let i = 0; i < len; i++) s += alphabet[random.int(alphabet.length)] ?? '';
    const input = asciiBytes(s);
    const got = runChunks(input, () => 1 + random.int(5));
    assert.equal(text(concatBytes(got.chunks)), reference(s), JSON.stringify(s));
    assert.equal(got.eightBit, s.includes('\u00ff'));
  }
});

test('dot-stuff: errors are sticky and push after end is refused', () => {
  const d = new DotStuffer({ maxLineLength: 2 });
  assert.throws(() => d.push(asciiBytes('abc')), /longer than 2/);
  assert.throws(() => d.push(asciiBytes('\r\n')), /longer than 2/);
  assert.throws(() => d.end(), /longer than 2/);
  const e = new DotStuffer();
  assert.equal(text(e.end()), '.\r\n');
  assert.throws(() => e.push(asciiBytes('x')), /after end/);
});

test('unstuff: gives back the normalised message BDAT sends (no added dots, no terminator)', () => {
  const random = seededRandom(7);
  const alphabet = ['\r', '\n', '.', 'a', 'b', '\r\n', '\n.', '\r\n.', '.\r\n', '..', '\u00ff'];
  for (let round = 0; round < 300; round++) {
    let s = '';
    const len = random.int(60);
    for (let i = 0; i < len; i++) s += alphabet[random.int(alphabet.length)] ?? '';
    const stuffed = runChunks(asciiBytes(s), () => 1 + random.int(5));
    const lines = s.replace(/\r\n|\r|\n/g, '\n').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const want = lines.map((l) => `${l}\r\n`).join('');
    const got = unstuff(stuffed.chunks);
    assert.equal(text(got), want, JSON.stringify(s));
  }
  assert.equal(unstuff([asciiBytes('.\r\n')]).length, 0, 'an empty message');
  assert.equal(text(unstuff([asciiBytes('..\r\n.'), asciiBytes('\r\n')])), '.\r\n', 'a lone dot line');
  assert.throws(() => unstuff([asciiBytes('abc\r\n')]), /does not end in \.CRLF/);
});
