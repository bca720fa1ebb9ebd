/**
 * The command line's contract (DESIGN.md): a command table with --help for each command, and
 * every bad invocation answered by one line on stderr with exit 64 — never a stack trace.
 * None of these cases reaches the network.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { COMMANDS } from '../../src/cli/commands/index.ts';

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    stdin: Readable.from([Buffer.from(stdin)]),
    env: {},
  });
  return { code, out, err };
}

function assertOneLineError(err: string, re: RegExp): void {
  assert.match(err, re);
  assert.equal(err.trimEnd().split('\n').length, 1, `more than one line: ${JSON.stringify(err)}`);
  assert.doesNotMatch(err, /\n\s+at /, 'stack trace');
}

test('no command: usage and exit 64; --help lists every command and exits 0', async () => {
  const none = await run([]);
  assert.equal(none.code, 64);
  assert.match(none.out, /usage: dane-mta COMMAND/);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const c of COMMANDS) assert.match(help.out, new RegExp(`^  ${c.name} `, 'm'));
  for (const name of ['resolve', 'send', 'lookup-rcpt', 'lab', 'demo']) {
    assert.ok(
      COMMANDS.some((c) => c.name === name),
      `${name} is in the command table`,
    );
  }
});

test('--version', async () => {
  const r = await run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^dane-mta \d+\.\d+\.\d+\n$/);
});

test('an unknown command is one line, exit 64', async () => {
  const r = await run(['frobnicate']);
  assert.equal(r.code, 64);
  assertOneLineError(r.err, /unknown command 'frobnicate'/);
});

for (const c of COMMANDS) {
  test(`${c.name} --help documents every option`, async () => {
    const r = await run([c.name, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`^usage: dane-mta ${c.name} `));
    for (const name of Object.keys(c.options))
      assert.match(r.out, new RegExp(`--${name}\\b`), `--${name} in help`);
  });

  test(`${c.name} with an unknown option is one line, exit 64`, async () => {
    const r = await run([c.name, '--no-such-option']);
    assert.equal(r.code, 64);
    assertOneLineError(r.err, /unknown option '--no-such-option'/i);
  });
}

const BAD: [string[], RegExp][] = [
  [['resolve'], /missing argument/],
  [['resolve', 'a.example', 'A', 'extra'], /unexpected argument 'extra'/],
  [['send', '--to', 'a@example.org'], /missing --from/],
  [['send', '--from', 'a@example.org'], /missing --to/],
  [['send', '--from', 'a@example.org', '--to', 'not an address'], /invalid address/],
  [
    ['send', '--from', 'a@example.org', '--to', 'b@example.org', '--tls', 'sometimes'],
    /--tls: unknown mode 'sometimes'/,
  ],
  [['send', '--from', 'a@example.org', '--to', 'b@example.org', '--dsn-ret', 'ALL'], /--dsn-ret/],
  [['send', '--from', 'a@example.org', '--to', 'b@example.org', '--dsn-notify', 'NEVER,DELAY'], /NEVER/],
  [
    ['send', '--from', 'a@example.org', '--to', 'b@example.org', '--port', '70000'],
    /--port: 70000 is out of range/,
  ],
  [
    ['send', '--from', 'a@example.org', '--to', 'b@example.org', '/no/such/file.eml'],
    /cannot read message file/,
  ],
  [['lookup-rcpt'], /missing argument/],
  [['lookup-rcpt', 'no-at-sign'], /invalid address/],
  [['lookup-rcpt', 'a@example.org', '--insecure-mx', 'sure'], /--insecure-mx: unknown policy 'sure'/],
  [['lab', 'up', '--base-address', '127.300.0.0'], /--base-address: '127\.300\.0\.0'/],
  [['demo', '--base-address', '10.0.0.0'], /--base-address: '10\.0\.0\.0'/],
];

for (const [argv, re] of BAD) {
  test(`bad usage: dane-mta ${argv.join(' ')}`, async () => {
    const r = await run(argv, 'Subject: x\r\n\r\nbody\r\n');
    assert.equal(r.code, 64, r.err);
    assertOneLineError(r.err, re);
  });
}

test('send refuses an empty message', async () => {
  const r = await run(['send', '--from', 'a@example.org', '--to', 'b@example.org', '-'], '');
  assert.equal(r.code, 64);
  assertOneLineError(r.err, /message is empty/);
});

test('send to a general address literal bounces (69) with one line; nothing is looked up', async () => {
  const r = await run(
    ['send', '--from', 'a@example.org', '--to', 'b@[x-tag:whatever]', '--resolver', '127.0.0.1:9', '-'],
    'Subject: x\r\n\r\nbody\r\n',
  );
  assert.equal(r.code, 69, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /^bounced: address literal \[x-tag:whatever\] is not an IPv4 or IPv6 address/m);
});

test('README.md documents every option of every command', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  for (const c of COMMANDS) {
    for (const name of Object.keys(c.options)) {
      assert.match(readme, new RegExp(`\`--${name}\\b`), `README lacks --${name} (${c.name})`);
    }
  }
});
