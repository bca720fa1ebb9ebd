/**
 * `dane-mta passwd NAME`: the printed line verifies against the password; stdin from a pipe is
 * read to the first line end, a terminal is read twice without echo; bad input is one line,
 * exit 64.
 */
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { parseUsers } from '../../smtp/server/index.ts';
import { main } from '../main.ts';

async function run(argv: string[], stdin: NodeJS.ReadableStream) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    stdin,
    env: {},
  });
  return { code, out, err };
}

test('a piped password: NAME:HASH on stdout that the users file accepts', async () => {
  const r = await run(
    ['passwd', '--cost', '14', 'alice@example.org'],
    Readable.from([Buffer.from('s3cret pw\nignored\n')]),
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^alice@example\.org:\$scrypt\$ln=14,r=8,p=1\$\S+\n$/);
  const users = parseUsers(r.out, 'out');
  assert.equal(await users.verify('alice@example.org', 's3cret pw'), true);
  assert.equal(await users.verify('alice@example.org', 's3cret pw\nignored'), false);
  assert.doesNotMatch(r.out + r.err, /s3cret/);
});

/** A fake terminal: each time raw mode goes on, the next typed line (up to its CR) arrives. */
function fakeTty(typed: string): NodeJS.ReadableStream & { raw: boolean[] } {
  const lines = typed.split(/(?<=\r)/);
  const s = new PassThrough() as PassThrough & {
    isTTY: boolean;
    raw: boolean[];
    setRawMode(on: boolean): unknown;
  };
  s.isTTY = true;
  s.raw = [];
  s.setRawMode = (on: boolean) => {
    s.raw.push(on);
    const line = on ? lines.shift() : undefined;
    if (line !== undefined) {
      setImmediate(() => {
        s.write(line);
      });
    }
    return s;
  };
  return s;
}

test('a terminal: asked twice without echo, backspace edits, raw mode restored', async () => {
  const tty = fakeTty('pw\u007fW1\rpW1\r');
  const r = await run(['passwd', '--cost', '14', 'bob'], tty);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, 'Password: \nAgain: \n');
  assert.deepEqual(tty.raw, [true, false, true, false]);
  assert.equal(await parseUsers(r.out, 'out').verify('bob', 'pW1'), true);
});

test('a terminal: two different passwords are refused', async () => {
  const r = await run(['passwd', 'bob'], fakeTty('one\rtwo\r'));
  assert.equal(r.code, 64);
  assert.equal(
    r.err
      .split('\n')
      .filter((l) => l.startsWith('dane-mta'))
      .join('\n'),
    'dane-mta passwd: the two passwords differ',
  );
});

const BAD: [string[], string, string][] = [
  [['passwd', 'alice'], '', 'dane-mta passwd: empty password refused\n'],
  [['passwd', 'alice'], '\nsecond\n', 'dane-mta passwd: empty password refused\n'],
  [
    ['passwd', 'al:ice'],
    'pw\n',
    "dane-mta passwd: 'al:ice' is not a user name (1–255 characters, no colon, space or control character)\n",
  ],
  [
    ['passwd', 'a b'],
    'pw\n',
    "dane-mta passwd: 'a b' is not a user name (1–255 characters, no colon, space or control character)\n",
  ],
  [['passwd'], 'pw\n', 'dane-mta passwd: missing argument: usage: dane-mta passwd NAME\n'],
  [['passwd', 'alice', '--cost', '40'], 'pw\n', 'dane-mta passwd: --cost: 40 is out of range (14–20)\n'],
];

for (const [argv, stdin, err] of BAD) {
  test(`bad input: ${argv.join(' ')} <<< ${JSON.stringify(stdin)}`, async () => {
    const r = await run(argv, Readable.from([Buffer.from(stdin)]));
    assert.equal(r.code, 64);
    assert.equal(r.err, err);
    assert.equal(r.out, '');
  });
}
