/**
 * `dane-mta tlsa` against independent implementations, for RSA, ECDSA P-256 and Ed25519 server
 * keys: every DANE-EE selector and matching type equals what `openssl` pipelines compute (from
 * the certificate and from the private key) and what ldnsutils' `ldns-dane -c CERT create`
 * prints; the --chain DANE-TA record equals `ldns-dane -o 0 create … 2 s m` on the full chain;
 * and `ldns-dane verify` accepts each printed record for the chain it was made for — the rollover
 * pair's next record for the next certificate only. No network: ldns-dane reads the files.
 * Runs the CLI in-process; openssl and ldns-dane as child processes (skip/fail rule of README).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { caExt, leafExt, OpensslPki, type KeyType, type PkiCert } from '../helpers/openssl-pki.ts';
import { captureIo } from '../e2e/cli-io.ts';
import { requireTools, runCommand, testScope } from './index.ts';

const HOST = 'mx.interop.example';

async function tlsa(args: string[]): Promise<string[]> {
  const cap = captureIo();
  const code = await main(['tlsa', ...args], cap.io);
  assert.equal(code, 0, cap.stderr());
  return cap
    .stdout()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith(';'));
}

/** `u s m hex` of a zone-file line (ours or ldns-dane's, which has a TTL and tabs). */
function rdata(line: string): string {
  const m = /\bTLSA\s+(\d+\s+\d+\s+\d+\s+[0-9a-fA-F]+)\s*$/.exec(line);
  assert.ok(m !== null, `not a TLSA line: ${line}`);
  return (m[1] ?? '').replace(/\s+/g, ' ').toLowerCase();
}

/** An openssl pipeline: `sh -c SCRIPT` with the file as $1; the digest's hex. */
async function pipeline(script: string, file: string): Promise<string> {
  const r = await runCommand('/bin/sh', ['-c', script, 'sh', file]);
  return (r.stdout.trim().split(/\s+/)[0] ?? '').toLowerCase();
}

const FROM_CERT: Readonly<Record<string, string>> = {
  '1 1': 'openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r',
  '1 2': 'openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha512 -r',
  '0 1': 'openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -r',
  '0 2': 'openssl x509 -in "$1" -outform DER | openssl dgst -sha512 -r',
  '1 0':
    'openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | od -An -v -tx1 | tr -d " \\n"',
};
const FROM_KEY = 'openssl pkey -in "$1" -pubout -outform DER | openssl dgst -sha256 -r';

async function ldnsCreate(file: string, params: string, extra: string[] = []): Promise<string> {
  const r = await runCommand('ldns-dane', ['-c', file, ...extra, 'create', HOST, '25', ...params.split(' ')]);
  return rdata(r.stdout.trim());
}

async function ldnsVerifies(chainFile: string, line: string, dir: string): Promise<boolean> {
  const file = join(dir, `tlsa-${Math.abs(hash(line + chainFile))}.txt`);
  await writeFile(file, `${line}\n`);
  // Name and port given: from the owner name alone, ldns-dane's DANE-TA name check fails.
  const r = await runCommand('ldns-dane', ['-c', chainFile, '-t', file, 'verify', HOST, '25'], {
    allowFailure: true,
  });
  return r.code === 0;
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

async function setup(
  t: TestContext,
  keyType: KeyType,
): Promise<
  { leaf: PkiCert; next: PkiCert; ca: PkiCert; full: string; nextFull: string; dir: string } | undefined
> {
  if (!requireTools(t, ['openssl', 'ldns-dane'])) return undefined;
  const scope = await testScope(t, `tlsa-${keyType}`);
  const pki = new OpensslPki();
  scope.defer(() => {
    pki.cleanup();
  });
  const ca = pki.selfSigned('ca', { subject: '/CN=Interop CA', ext: caExt() });
  const leaf = pki.issue('leaf', ca, { subject: `/CN=${HOST}`, ext: leafExt([HOST]), keyType });
  const next = pki.issue('next', ca, { subject: `/CN=${HOST}`, ext: leafExt([HOST]), keyType });
  const full = join(scope.dir, 'full.pem');
  const nextFull = join(scope.dir, 'next-full.pem');
  await writeFile(full, leaf.pem + ca.pem);
  await writeFile(nextFull, next.pem + ca.pem);
  return { leaf, next, ca, full, nextFull, dir: scope.dir };
}

for (const keyType of ['rsa', 'ec', 'ed25519'] as const) {
  test(`tlsa equals openssl and ldns-dane for a ${keyType} key`, async (t) => {
    const s = await setup(t, keyType);
    if (s === undefined) return;
    for (const [sm, script] of Object.entries(FROM_CERT)) {
      const ours = rdata(
        (await tlsa([s.leaf.certFile, '--selector', sm[0] ?? '', '--mtype', sm[2] ?? '']))[0] ?? '',
      );
      assert.equal(ours, `3 ${sm} ${await pipeline(script, s.leaf.certFile)}`, `3 ${sm} vs openssl`);
      assert.equal(ours, await ldnsCreate(s.leaf.certFile, `3 ${sm}`), `3 ${sm} vs ldns-dane`);
    }
    const fromKey = rdata((await tlsa([s.leaf.keyFile, '--host', HOST]))[0] ?? '');
    assert.equal(fromKey, `3 1 1 ${await pipeline(FROM_KEY, s.leaf.keyFile)}`, 'private key vs openssl');
    assert.equal(
      fromKey,
      await ldnsCreate(s.leaf.certFile, '3 1 1'),
      'private key vs ldns-dane on the certificate',
    );
  });

  test(`tlsa --chain and --next agree with ldns-dane for a ${keyType} key`, async (t) => {
    const s = await setup(t, keyType);
    if (s === undefined) return;
    for (const sm of ['1 1', '0 1', '1 2']) {
      const [sel = '', mt = ''] = sm.split(' ');
      const lines = await tlsa([s.leaf.certFile, '--chain', s.full, '--selector', sel, '--mtype', mt]);
      assert.equal(lines.length, 2);
      assert.equal(
        rdata(lines[1] ?? ''),
        await ldnsCreate(s.full, `2 ${sm}`, ['-o', '0']),
        `2 ${sm} vs ldns-dane`,
      );
      assert.ok(await ldnsVerifies(s.full, lines[1] ?? '', s.dir), `ldns-dane accepts ${lines[1] ?? ''}`);
    }
    const [current = '', next = ''] = await tlsa([s.leaf.certFile, '--next', s.next.keyFile]);
    assert.ok(await ldnsVerifies(s.full, current, s.dir), 'current record: current chain');
    assert.ok(await ldnsVerifies(s.nextFull, next, s.dir), 'next record: next chain');
    assert.ok(!(await ldnsVerifies(s.full, next, s.dir)), 'next record: not the current chain');
    assert.ok(!(await ldnsVerifies(s.nextFull, current, s.dir)), 'current record: not the next chain');
  });
}
