/**
 * The CLI path end to end: `dane-mta send` and `dane-mta lookup-rcpt` called through `main()`
 * with the lab's trust-anchor file, its all-zones resolver (mode validate) or its root hints and
 * DNS port (mode recursive), against scenarios of the catalogue. Asserts exit codes (sysexits),
 * the JSON result of DESIGN.md's CLI contract and the human transcript, and one-line errors for
 * broken input files.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { DeliveryResult } from '../../src/delivery/index.ts';
import {
  recipientOf,
  scenarioById,
  startInternet,
  type Internet,
  type Scenario,
} from '../../src/lab/index.ts';
import { ExitCode } from '../../src/util/index.ts';
import { captureIo } from './cli-io.ts';
import { beforeRun, checkRun } from './harness.ts';

const IDS = [
  'ee-311',
  'ta-211',
  'wrong-digest',
  'demo-unsigned',
  'cname-tlsa-alias',
  'rcpt-rejected',
  'null-mx',
  'bogus-tlsa',
];
const MESSAGE = 'From: cli@client.lab\r\nSubject: cli e2e\r\n\r\nhello\r\n';
let net: Internet;

before(async () => {
  const scenarios = IDS.map((id) => scenarioById(id) as Scenario);
  net = await startInternet({ scenarios, baseAddress: '127.82.0.0' });
});

after(async () => {
  await net.close();
});

function dnsArgs(mode: 'validate' | 'recursive'): string[] {
  const anchor = ['--trust-anchor', net.files.trustAnchor];
  if (mode === 'validate') return ['--resolver', `${net.allZonesAddress}:${net.dnsPort}`, ...anchor];
  return [
    '--dns-mode',
    'recursive',
    '--root-hints',
    net.files.rootHints,
    '--dns-port',
    String(net.dnsPort),
    ...anchor,
  ];
}

function common(mode: 'validate' | 'recursive'): string[] {
  return [...dnsArgs(mode), '--port', String(net.smtpPort), '--helo', 'client.lab', '--timeout', '5'];
}

const EXIT = {
  delivered: 0,
  accepted: 0,
  deferred: ExitCode.TEMPFAIL,
  bounced: ExitCode.UNAVAILABLE,
  rejected: ExitCode.UNAVAILABLE,
};

async function cliJson(s: Scenario, mode: 'validate' | 'recursive', verify: boolean): Promise<void> {
  const snap = beforeRun(net, s);
  const cap = captureIo(MESSAGE);
  const argv = verify
    ? ['lookup-rcpt', ...common(mode), '--from', 'cli@client.lab', '--json', recipientOf(s)]
    : ['send', ...common(mode), '--from', 'cli@client.lab', '--to', recipientOf(s), '--json'];
  const code = await main(argv, cap.io);
  assert.equal(cap.stderr(), '', 'nothing on stderr');
  const result = JSON.parse(cap.stdout()) as DeliveryResult;
  const problems = checkRun(net, s, { result, ...snap, verify });
  assert.deepEqual(
    problems,
    [],
    `${s.id} via the CLI (${mode}): ${problems.join('; ')}\n${result.log.join('\n')}`,
  );
  assert.equal(code, EXIT[result.outcome], `exit code for ${result.outcome}`);
}

for (const id of IDS) {
  for (const mode of ['validate', 'recursive'] as const) {
    test(`dane-mta send --json: ${id} (${mode})`, async () => {
      await cliJson(scenarioById(id) as Scenario, mode, false);
    });
  }
  test(`dane-mta lookup-rcpt --json: ${id} (validate)`, async () => {
    await cliJson(scenarioById(id) as Scenario, 'validate', true);
  });
}

test('dane-mta send without --json prints the transcript live and a result line', async () => {
  const s = scenarioById('demo-unsigned') as Scenario;
  const cap = captureIo(MESSAGE);
  const code = await main(
    ['send', ...common('recursive'), '--from', 'cli@client.lab', '--to', recipientOf(s)],
    cap.io,
  );
  assert.equal(code, 0, cap.stderr());
  const out = cap.stdout();
  assert.match(out, /^Connecting to \[127\.82\.20\.\d+\]:\d+$/m);
  assert.match(out, /^DANE: insecure name unsigned\.test \(falling back to optional TLS\)$/m);
  assert.match(out, /^X\.509 error: .+$/m);
  assert.match(out, /^delivered: 250 .*\(mx\.unsigned\.test \[127\.82\.20\.\d+\], TLS: encrypted\)$/m);
});

test('dane-mta send reads the message from a file', async () => {
  const s = scenarioById('ee-311') as Scenario;
  const file = join(net.files.dir, 'message.eml');
  await writeFile(file, MESSAGE);
  const cap = captureIo();
  const code = await main(
    ['send', ...common('validate'), '--from', 'cli@client.lab', '--to', recipientOf(s), file],
    cap.io,
  );
  assert.equal(code, 0, cap.stderr());
  const r = net.receivers.get('mx.ee-311.test');
  const last = r?.messages.at(-1);
  assert.ok(last !== undefined && new TextDecoder().decode(last.data).includes('Subject: cli e2e'));
});

test('a broken trust-anchor file is a one-line configuration error (exit 78)', async () => {
  const file = join(net.files.dir, 'broken.ds');
  await writeFile(file, '. IN DS this is not a DS record\n');
  const cap = captureIo(MESSAGE);
  const argv = ['send', '--resolver', `${net.allZonesAddress}:${net.dnsPort}`, '--trust-anchor', file];
  const code = await main(
    [...argv, '--port', String(net.smtpPort), '--from', 'a@client.lab', '--to', 'user@ee-311.test'],
    cap.io,
  );
  assert.equal(code, ExitCode.CONFIG);
  assert.equal(cap.stderr().trimEnd().split('\n').length, 1, cap.stderr());
  assert.doesNotMatch(cap.stderr(), /\n\s+at /);
});

test('a wrong trust anchor makes every answer bogus: the message is deferred, never sent', async () => {
  const file = join(net.files.dir, 'other-root.ds');
  // A well-formed root DS that matches no key of the lab's root.
  await writeFile(file, `. 3600 IN DS 12345 13 2 ${'AB'.repeat(32)}\n`);
  const cap = captureIo(MESSAGE);
  const before = net.receivers.get('mx.ee-311.test')?.messages.length ?? 0;
  const argv = [
    'send',
    '--resolver',
    `${net.allZonesAddress}:${net.dnsPort}`,
    '--trust-anchor',
    file,
    '--json',
  ];
  const code = await main(
    [...argv, '--port', String(net.smtpPort), '--from', 'a@client.lab', '--to', 'user@ee-311.test'],
    cap.io,
  );
  assert.equal(code, ExitCode.TEMPFAIL, cap.stderr());
  const result = JSON.parse(cap.stdout()) as DeliveryResult;
  assert.equal(result.outcome, 'deferred');
  assert.equal(net.receivers.get('mx.ee-311.test')?.messages.length, before);
});
