/**
 * `dane-mta lab up`: prints the addresses, trust-anchor file, root hints, scenario domains and
 * example commands (as text, or one JSON object with --json), serves until told to stop, and
 * then closes cleanly and removes its files. An operator's client pointed at it with the printed
 * flags (`send` in both resolver modes) gets the catalogue's outcome. Also the real process:
 * SIGINT stops it with exit 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseCommandArgs } from '../../src/cli/command.ts';
import { labCommand, runLabUp } from '../../src/cli/commands/lab.ts';
import { main } from '../../src/cli/main.ts';
import type { DeliveryResult } from '../../src/delivery/index.ts';
import { SCENARIOS } from '../../src/lab/index.ts';
import { ExitCode } from '../../src/util/index.ts';
import { captureIo } from './cli-io.ts';

interface Facts {
  dns: {
    port: number;
    resolver: string;
    root: string;
    zones: { origin: string; address: string; signed: boolean }[];
  };
  smtp: { port: number; hosts: { name: string; address: string; starttls: boolean }[] };
  trustAnchor: string;
  rootHints: string;
  scenarios: {
    id: string;
    domain: string;
    recipient: string;
    expect: { outcome: string; tls: string | null };
  }[];
  examples: string[];
}

function stopper(): { until: Promise<void>; stop: () => void } {
  let stop = (): void => undefined;
  const until = new Promise<void>((resolve) => {
    stop = resolve;
  });
  return { until, stop };
}

test('lab up --json prints one object, serves a client using the printed flags, then stops cleanly', async () => {
  const cap = captureIo();
  const { until, stop } = stopper();
  const args = parseCommandArgs(labCommand, ['up', '--json', '--base-address', '127.86.0.0']);
  const running = runLabUp(args, cap.io, { until });
  let facts: Facts;
  try {
    facts = JSON.parse((await cap.waitFor('\n')).trim()) as Facts;
    assert.equal(facts.scenarios.length, SCENARIOS.length);
    assert.equal(facts.dns.resolver, `127.86.0.53:${facts.dns.port}`);
    assert.ok(facts.dns.zones.some((z) => z.origin === '.' && z.signed));
    assert.ok(facts.dns.zones.some((z) => z.origin === 'unsigned.test.' && !z.signed));
    assert.match(readFileSync(facts.trustAnchor, 'utf8'), /^\. \d+ IN DS \d+ 13 2 [0-9A-F]{64}$/m);
    assert.match(readFileSync(facts.rootHints, 'utf8'), /^a\.root-servers\.lab\. \d+ IN A 127\.86\.0\.1$/m);
    assert.ok(facts.examples.some((e) => e.includes(`--resolver ${facts.dns.resolver}`)));
    // An operator's client, configured only from the printed facts.
    const ee = facts.scenarios.find((s) => s.id === 'ee-311');
    assert.ok(ee !== undefined);
    const smtp = [
      '--port',
      String(facts.smtp.port),
      '--from',
      'op@client.lab',
      '--to',
      ee.recipient,
      '--json',
    ];
    for (const dns of [
      ['--resolver', facts.dns.resolver, '--trust-anchor', facts.trustAnchor],
      [
        '--dns-mode',
        'recursive',
        '--root-hints',
        facts.rootHints,
        '--dns-port',
        String(facts.dns.port),
        '--trust-anchor',
        facts.trustAnchor,
      ],
    ]) {
      const client = captureIo('Subject: from an operator\r\n\r\nhi\r\n');
      const code = await main(['send', ...dns, ...smtp], client.io);
      const result = JSON.parse(client.stdout()) as DeliveryResult;
      assert.deepEqual([code, result.outcome, result.tls], [0, 'delivered', 'dane'], client.stderr());
    }
  } finally {
    stop();
  }
  assert.equal(await running, 0);
  assert.equal(existsSync(facts.trustAnchor), false, 'the trust-anchor file is removed on close');
});

test('lab up prints addresses, files, every scenario domain and ready-to-paste commands', async () => {
  const cap = captureIo();
  const { until, stop } = stopper();
  const args = parseCommandArgs(labCommand, ['up', '--base-address', '127.87.0.0']);
  const running = runLabUp(args, cap.io, { until });
  try {
    const out = await cap.waitFor('Try:');
    await cap.waitFor('dane-mta resolve');
    assert.match(out, /^DNS +all zones \(for --resolver\) +127\.87\.0\.53:\d+$/m);
    assert.match(out, /trust anchor \(root DS\) +\/.+root-anchor\.ds$/m);
    assert.match(out, /root hints +\/.+root\.hints$/m);
    for (const s of SCENARIOS) assert.ok(out.includes(s.domain), `listing lacks ${s.domain}`);
    assert.match(
      out,
      /^ {2}printf .* \| dane-mta send --resolver 127\.87\.0\.53:\d+ --trust-anchor \S+ --port \d+ --from \S+ --to user@ee-311\.test$/m,
    );
    assert.match(
      out,
      /^ {2}.*dane-mta send --dns-mode recursive --root-hints \S+ --dns-port \d+ --trust-anchor \S+ /m,
    );
  } finally {
    stop();
  }
  assert.equal(await running, 0);
  assert.match(cap.stdout(), /lab stopped\n$/);
});

test('lab with an unknown action or a bad port is a usage error (exit 64)', async () => {
  for (const argv of [
    ['lab', 'down'],
    ['lab', 'up', '--dns-port', '53'],
    ['lab', 'up', '--base-address', '10.0.0.0'],
  ]) {
    const cap = captureIo();
    assert.equal(await main(argv, cap.io), ExitCode.USAGE, argv.join(' '));
    assert.equal(cap.stderr().trimEnd().split('\n').length, 1);
  }
});

test('lab up on an SMTP port that is taken is a one-line configuration error (exit 78)', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.91.20.1', resolve));
  const address = blocker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    const cap = captureIo();
    const code = await main(
      ['lab', 'up', '--base-address', '127.91.0.0', '--smtp-port', String(port)],
      cap.io,
    );
    assert.equal(code, ExitCode.CONFIG, cap.stderr());
    assert.match(cap.stderr(), /^dane-mta lab: cannot start the MX hosts: .*127\.91\.20\.1.*\n$/);
    assert.equal(cap.stdout(), '');
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('the real process: lab up runs in the foreground and SIGINT stops it with exit 0', async () => {
  const mainJs = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [mainJs, 'lab', 'up', '--json', '--base-address', '127.88.0.0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  const facts = await new Promise<Facts>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`lab up printed nothing: ${err}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(out.split('\n')[0] ?? '') as Facts);
      }
    });
  });
  assert.ok(existsSync(facts.trustAnchor));
  child.kill('SIGINT');
  assert.equal(await exited, 0, err);
  assert.equal(err, '');
  assert.equal(existsSync(facts.trustAnchor), false);
});
