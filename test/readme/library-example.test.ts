/**
 * Issue #9 item 4: the README's library example is a complete program, and it works. The test
 * takes the ```js block of the "Library" section as written, points its settings at the
 * simulated Internet (the resolver address, the lab's trust anchor, the SMTP port and a DANE
 * domain of the lab — each replacement must find its text, so an edit of the README that breaks
 * the example breaks this test) and runs it with node against the built package entry point.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { DEMO_SCENARIOS, startInternet } from '../../src/lab/index.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;

function replaceOnce(code: string, from: string, to: string): string {
  assert.ok(code.includes(from), `the README example contains ${JSON.stringify(from)}`);
  return code.replace(from, () => to);
}

test("the README's library example delivers with DANE over the simulated Internet", async (t) => {
  const readme = await readFile(`${root}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Library\n'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, 'the Library section has a ```js block');
  const dane = DEMO_SCENARIOS[0];
  assert.ok(dane !== undefined && dane.expect.tls === 'dane');
  const net = await startInternet({ scenarios: [dane], baseAddress: '127.152.0.0' });
  t.after(() => net.close());
  const dns = net.dnsSettings('validate');
  assert.ok(dns.mode === 'validate');
  let code = replaceOnce(block, "from 'dane-mta'", `from ${JSON.stringify(`${root}dist/src/index.js`)}`);
  code = replaceOnce(
    code,
    "dns: { resolvers: ['127.0.0.1:53'] }",
    `dns: { resolvers: ${JSON.stringify(dns.resolvers)}, trustAnchors: ${JSON.stringify(dns.trustAnchors)} }`,
  );
  code = replaceOnce(
    code,
    "transport: { helo: 'mta.example.net' }",
    `transport: { helo: 'mta.example.net', port: ${net.smtpPort} }`,
  );
  code = code.replaceAll('you@example.org', `user@${dane.domain}`);
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { timeout: 60_000 });
  const lines = stdout.trim().split('\n');
  assert.ok(lines.includes('DANE: validated successfully'), stdout);
  assert.equal(lines.at(-1), `delivered dane ${dane.expect.landsOn ?? ''}`);
  const rx = net.receivers.get((dane.expect.landsOn ?? '').toLowerCase());
  assert.equal(rx?.messages.length, 1, 'the message reached the DANE host');
});
