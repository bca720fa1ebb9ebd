/**
 * `dane-mta resolve` end to end through `main()` with a captured io: a signed tree (root,
 * `test.`, `example.test.`) served over real UDP/TCP by the lab's authoritative server on
 * loopback addresses, resolved in modes recursive, validate and trust-ad; JSON and text output,
 * `--trace`, exit codes (0 / 75 / 64 / 78) and one-line errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { formatRr, RRType } from '../../dns/wire/index.ts';
import { breakRrset, startAuthority, type Authority } from '../../lab/index.ts';
import { basicWorld } from '../../../test/resolver/world.ts';
import type { CommandIo } from '../command.ts';
import { main } from '../main.ts';

let authority: Authority;
let dir: string;
let anchorFile: string;
let hintsFile: string;
const ALL_ZONES = '127.10.200.1';
let resolverSpec: string;
let port: number;

before(async () => {
  // Signatures valid around the real time: the CLI reads the system clock.
  const now = Math.floor(Date.now() / 1000);
  const window = { inception: now - 3600, expiration: now + 86_400 };
  const world = basicWorld({
    root: { window },
    tld: { window },
    example: {
      window,
      records: 'www IN A 192.0.2.1\nalias IN CNAME www\nbroken IN A 192.0.2.66\n',
      mutate: (z) => breakRrset(z, 'broken.example.test.', RRType.A, 'expired'),
    },
  });
  const zones = [...world.zones.values()];
  const views: Record<string, string[]> = {};
  for (const [address, list] of world.byAddress) views[address] = list.map((z) => z.origin.toString());
  authority = await startAuthority({
    listen: [...world.byAddress.keys(), ALL_ZONES].map((address) => ({ address })),
    zones,
    views,
  });
  port = authority.port;
  resolverSpec = `${ALL_ZONES}:${port}`;
  dir = await mkdtemp(join(tmpdir(), 'dane-mta-resolve-'));
  anchorFile = join(dir, 'anchor.ds');
  hintsFile = join(dir, 'root.hints');
  await writeFile(anchorFile, world.rootDs.map(formatRr).join('\n') + '\n');
  await writeFile(
    hintsFile,
    `. 3600 IN NS a.root-servers.test.\na.root-servers.test. 3600 IN A ${world.rootAddress}\n`,
  );
});

after(async () => {
  await authority.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    stdin: Readable.from([]),
    env: {},
  };
  const code = await main(['resolve', ...argv], io);
  return { code, out, err };
}

const recursive = (): string[] => [
  '--dns-mode',
  'recursive',
  '--root-hints',
  hintsFile,
  '--trust-anchor',
  anchorFile,
  '--dns-port',
  String(port),
  '--timeout',
  '2',
];

test('recursive mode: a secure answer as JSON, exit 0', async () => {
  const r = await run('www.example.test', 'A', '--json', ...recursive());
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.name, 'www.example.test.');
  assert.equal(j.type, 'A');
  assert.equal(j.status, 'secure');
  assert.equal(j.rcode, 'NOERROR');
  assert.equal(j.kind, 'answer');
  assert.equal(j.reason, null);
  assert.equal(j.records.length, 1);
  assert.match(j.records[0], /^www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.1$/);
});

test('validate mode through one server with all zones: secure, with the CNAME link', async () => {
  const r = await run(
    'alias.example.test',
    '--json',
    '--resolver',
    resolverSpec,
    '--trust-anchor',
    anchorFile,
  );
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.status, 'secure');
  assert.deepEqual(j.aliases, [
    { kind: 'cname', from: 'alias.example.test.', to: 'www.example.test.', status: 'secure' },
  ]);
  assert.equal(j.canonicalName, 'www.example.test.');
});

test('NXDOMAIN and NODATA complete the lookup: exit 0, no records', async () => {
  const nx = JSON.parse((await run('nope.example.test', 'A', '--json', ...recursive())).out);
  assert.deepEqual([nx.kind, nx.status, nx.rcode, nx.records], ['nxdomain', 'secure', 'NXDOMAIN', []]);
  const r = await run('www.example.test', 'TXT', '--json', ...recursive());
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out).kind, 'nodata');
});

test('a bogus answer: exit 75, status bogus, a reason and an EDE, no records', async () => {
  const r = await run('broken.example.test', 'A', '--json', ...recursive());
  assert.equal(r.code, 75);
  const j = JSON.parse(r.out);
  assert.deepEqual([j.kind, j.status, j.rcode, j.records, j.ede], ['failed', 'bogus', 'SERVFAIL', [], 7]);
  assert.match(j.reason, /expired/);
});

test('text output with --trace shows the chain of trust link by link', async () => {
  const r = await run('www.example.test', 'A', '--trace', ...recursive());
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /; trust anchor \. /);
  assert.match(r.out, /; DS example\.test\. secure/);
  assert.match(r.out, /; DNSKEY example\.test\. secure/);
  assert.match(r.out, /; secure: www\.example\.test\. A: answer \(NOERROR\)/);
  assert.match(r.out, /IN\s+A\s+192\.0\.2\.1/);
});

test('trust-ad: refused for a resolver off loopback (exit 64, one line); accepted on loopback', async () => {
  const bad = await run('www.example.test', '--dns-mode', 'trust-ad', '--resolver', '192.0.2.53');
  assert.equal(bad.code, 64);
  assert.match(
    bad.err,
    /^dane-mta resolve: mode trust-ad believes the AD bit only from a resolver on loopback.*192\.0\.2\.53/,
  );
  assert.equal(bad.err.trim().split('\n').length, 1);
  const ok = await run('www.example.test', '--json', '--dns-mode', 'trust-ad', '--resolver', resolverSpec);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(JSON.parse(ok.out).status, 'insecure', 'an authoritative server sets no AD bit');
});

test('usage errors exit 64 with one line', async () => {
  const cases: [string[], RegExp][] = [
    [['www.example.test', 'NOTATYPE'], /not a record type/],
    [['www.example.test', '--dns-mode', 'magic'], /--dns-mode: 'magic' is not one of/],
    [['www.example.test', '--root-hints', 'x'], /--root-hints applies only to --dns-mode recursive/],
    [['www.example.test', '--resolver', 'not-an-address'], /--resolver: bad DNS server/],
    [['www.example.test', '--timeout', 'soon'], /--timeout/],
    [[], /missing argument/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 64, argv.join(' '));
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});

test('unreadable or invalid trust-anchor and root-hints files exit 78 with one line', async () => {
  const junk = join(dir, 'junk.txt');
  await writeFile(junk, 'this is not a zone file\n');
  const notAnchor = join(dir, 'a-record.txt');
  await writeFile(notAnchor, 'example. 60 IN A 192.0.2.1\n');
  const cases: [string[], RegExp][] = [
    [['--trust-anchor', join(dir, 'missing.ds')], /cannot read the trust anchor file/],
    [['--trust-anchor', junk], /invalid trust anchor file/],
    [['--trust-anchor', notAnchor], /not a DS or DNSKEY record/],
    [
      ['--dns-mode', 'recursive', '--root-hints', join(dir, 'missing.hints')],
      /cannot read the root hints file/,
    ],
    [['--dns-mode', 'recursive', '--root-hints', notAnchor], /invalid root hints file/],
  ];
  for (const [flags, re] of cases) {
    const r = await run('www.example.test', ...flags);
    assert.equal(r.code, 78, flags.join(' '));
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});

test('--help lists the shared DNS flags', async () => {
  const r = await run('--help');
  assert.equal(r.code, 0);
  for (const flag of [
    '--trust-anchor FILE',
    '--resolver ADDR[:PORT]',
    '--dns-mode MODE',
    '--root-hints FILE',
    '--dns-port N',
    '--timeout SECONDS',
    '--trace',
    '--json',
  ])
    assert.ok(r.out.includes(flag), flag);
});
