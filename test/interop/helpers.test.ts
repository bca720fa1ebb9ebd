/**
 * Tests of the interop helpers themselves that need none of the external programs: the address
 * plan, the skip/fail rule, the DNS probe against a scripted loopback server, readiness
 * timeouts, dig and Maildir parsing, and argument checks of the config writers.
 * Test-file id 2: 127.53.2.x and 127.25.2.x (see README.md). Must never leave loopback.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import {
  InteropErrorCode,
  addressPlan,
  assertPortFree,
  decodeHeader,
  dnssecTime,
  encodeQuery,
  freePort,
  nsdConfig,
  parseDig,
  parseMaildirMessage,
  rawDnsQuery,
  requireTools,
  runCommand,
  startDaemon,
  swaksArgs,
  unboundConfig,
  waitForSmtpBanner,
  waitForTcp,
  waitUntilReady,
} from './index.ts';
import { isMtaError } from '../../src/util/index.ts';

const net = addressPlan(2);

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => isMtaError(err, code);
}

test('addressPlan: per-file /24s, bad numbers rejected', () => {
  const cases = [
    { id: 7, host: 1, want: { dns: '127.53.7.1', smtp: '127.25.7.1' } },
    { id: 254, host: 254, want: { dns: '127.53.254.254', smtp: '127.25.254.254' } },
  ];
  for (const c of cases) {
    const plan = addressPlan(c.id);
    assert.deepEqual({ dns: plan.dns(c.host), smtp: plan.smtp(c.host) }, c.want);
  }
  for (const bad of [0, 255, 1.5, -1]) {
    assert.throws(() => addressPlan(bad), hasCode(InteropErrorCode.BAD_ARGUMENT));
    assert.throws(() => net.dns(bad), hasCode(InteropErrorCode.BAD_ARGUMENT));
  }
});

test('requireTools: skips with the missing names, or fails under DANE_MTA_INTEROP=1', () => {
  const skipped: string[] = [];
  const fake = { skip: (m: string) => skipped.push(m) } as unknown as TestContext;
  const saved = process.env['DANE_MTA_INTEROP'];
  try {
    delete process.env['DANE_MTA_INTEROP'];
    assert.equal(requireTools(fake, ['no-such-tool-x1', 'node']), false);
    assert.deepEqual(skipped, ['no-such-tool-x1 not installed']);
    assert.equal(requireTools(fake, ['node']), true);
    process.env['DANE_MTA_INTEROP'] = '1';
    assert.throws(
      () => requireTools(fake, ['no-such-tool-x1']),
      (err: unknown) =>
        isMtaError(err, InteropErrorCode.TOOL_MISSING) && /no-such-tool-x1 not installed/.test(err.message),
    );
    assert.equal(skipped.length, 1);
  } finally {
    if (saved === undefined) delete process.env['DANE_MTA_INTEROP'];
    else process.env['DANE_MTA_INTEROP'] = saved;
  }
});

test('encodeQuery / decodeHeader: RFC 1035 header bits and the EDNS DO bit', () => {
  const q = encodeQuery(0x1234, {
    name: 'www.example.',
    type: 'TLSA',
    recursionDesired: true,
    dnssecOk: true,
  });
  assert.equal(q.toString('hex', 0, 12), '123401000001000000000001');
  assert.equal(q.toString('hex', 12, 12 + 13), '03777777076578616d706c6500');
  assert.equal(q.readUInt16BE(25), 52);
  assert.equal(q.toString('hex', q.length - 11), '00002904d0000080000000');
  const reply = Buffer.from('1234 85a3 0001 0002 0003 0004'.replace(/ /g, ''), 'hex');
  assert.deepEqual(decodeHeader(reply), {
    id: 0x1234,
    rcode: 'NXDOMAIN',
    aa: true,
    tc: false,
    rd: true,
    ra: true,
    ad: true,
    cd: false,
    qdcount: 1,
    ancount: 2,
    nscount: 3,
    arcount: 4,
  });
  assert.throws(() => decodeHeader(Buffer.alloc(5)), hasCode(InteropErrorCode.BAD_ARGUMENT));
  assert.throws(() => encodeQuery(1, { type: 'BOGUS' }), hasCode(InteropErrorCode.BAD_ARGUMENT));
  assert.throws(
    () => encodeQuery(1, { name: `${'a'.repeat(64)}.example.` }),
    hasCode(InteropErrorCode.BAD_ARGUMENT),
  );
});

test('rawDnsQuery: matches the reply by ID against a scripted UDP server; times out on silence', async (t) => {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, net.dns(1), resolve));
  t.after(() => sock.close());
  let silent = false;
  sock.on('message', (msg, rinfo) => {
    if (silent) return;
    const wrongId = Buffer.from(msg);
    wrongId.writeUInt16BE((msg.readUInt16BE(0) + 1) & 0xffff, 0);
    wrongId.writeUInt16BE(0x8182, 2);
    const right = Buffer.from(msg);
    right.writeUInt16BE(0x8480, 2); // QR AA RA, NOERROR
    sock.send(wrongId, rinfo.port, rinfo.address);
    sock.send(right, rinfo.port, rinfo.address);
  });
  const port = sock.address().port;
  const h = await rawDnsQuery(net.dns(1), port, { name: 'example.', type: 'SOA' });
  assert.deepEqual([h.rcode, h.aa, h.ra, h.ad], ['NOERROR', true, true, false]);
  silent = true;
  await assert.rejects(rawDnsQuery(net.dns(1), port, { timeoutMs: 200 }), hasCode(InteropErrorCode.TIMEOUT));
  await assert.rejects(rawDnsQuery('192.0.2.1', 53), hasCode(InteropErrorCode.BAD_ARGUMENT));
});

test('waitForTcp / waitForSmtpBanner: succeed when served, time out with a typed error when not', async (t) => {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.end('220-first line\r\n220 mx.example ESMTP ready\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, net.smtp(1), resolve));
  t.after(() => server.close());
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  await waitForTcp(net.smtp(1), port, { timeoutMs: 2000 });
  assert.equal(await waitForSmtpBanner(net.smtp(1), port), '220-first line\r\n220 mx.example ESMTP ready');
  await assert.rejects(assertPortFree(net.smtp(1), port), hasCode(InteropErrorCode.START_FAILED));
  await assertPortFree(net.smtp(3), port, { udp: true });
  const closed = await freePort(net.smtp(2));
  await assert.rejects(
    waitForTcp(net.smtp(2), closed, { timeoutMs: 300 }),
    hasCode(InteropErrorCode.TIMEOUT),
  );
  await assert.rejects(waitForTcp('10.0.0.1', 25), hasCode(InteropErrorCode.BAD_ARGUMENT));
});

test('runCommand and startDaemon: exit codes, timeouts, early exit of a daemon, stop kills the group', async () => {
  const ok = await runCommand(process.execPath, ['-e', 'process.stdout.write("hi")']);
  assert.deepEqual([ok.code, ok.stdout], [0, 'hi']);
  await assert.rejects(
    runCommand(process.execPath, ['-e', 'console.error("boom"); process.exit(3)']),
    (err: unknown) =>
      isMtaError(err, InteropErrorCode.COMMAND_FAILED) && /exited with 3: boom/.test(err.message),
  );
  const soft = await runCommand(process.execPath, ['-e', 'process.exit(4)'], { allowFailure: true });
  assert.equal(soft.code, 4);
  await assert.rejects(
    runCommand(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 200 }),
    hasCode(InteropErrorCode.TIMEOUT),
  );
  await assert.rejects(runCommand('no-such-tool-x1', []), hasCode(InteropErrorCode.TOOL_MISSING));

  const dying = startDaemon(process.execPath, ['-e', 'console.log("bad config"); process.exit(2)'], {
    name: 'dying',
  });
  await assert.rejects(
    waitUntilReady(dying, () => Promise.resolve(false), { timeoutMs: 5000 }),
    (err: unknown) =>
      isMtaError(err, InteropErrorCode.START_FAILED) && /dying exited with 2.*bad config/.test(err.message),
  );
  // A daemon that forks a grandchild: stop() must end both (the whole process group).
  const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' }); console.log('child', c.pid); setInterval(() => {}, 1000);`;
  const parent = startDaemon(process.execPath, ['-e', script], { name: 'parent' });
  await waitUntilReady(parent, () => Promise.resolve(/child \d+/.test(parent.output())), { timeoutMs: 5000 });
  const grandchild = Number(/child (\d+)/.exec(parent.output())?.[1]);
  await parent.stop(2000);
  assert.equal(parent.hasExited(), true);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(isRunning(grandchild), false);
});

/** True when `pid` exists and is not a zombie (an orphan may wait unreaped under PID 1). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

test('parseDig: RCODE, flags, answer lines and EDE', () => {
  const text = [
    ';; Got answer:',
    ';; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 4242',
    ';; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1',
    '',
    ';; OPT PSEUDOSECTION:',
    '; EDNS: version: 0, flags: do; udp: 1232',
    '; EDE: 7 (Signature Expired): (validation failure)',
    '',
  ].join('\n');
  const got = parseDig(text);
  assert.deepEqual([got.rcode, got.ad, got.flags, got.answer], ['SERVFAIL', false, ['qr', 'rd', 'ra'], []]);
  assert.match(got.ede ?? '', /Signature Expired/);
  const ok = parseDig(
    ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\n;; flags: qr rd ra ad; QUERY: 1\nwww.example.\t3600\tIN\tA\t192.0.2.1\n',
  );
  assert.deepEqual([ok.ad, ok.answer], [true, ['www.example. 3600 IN A 192.0.2.1']]);
  assert.throws(
    () => parseDig(';; connection timed out; no servers could be reached\n'),
    hasCode(InteropErrorCode.COMMAND_FAILED),
  );
});

test('parseMaildirMessage: unfolds the top Received field and reads the TLS protocol', () => {
  const raw = [
    'Return-Path: <a@sender.example>',
    'Delivered-To: b@dane.example',
    'Received: from helo (unknown [127.0.0.1])',
    '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))',
    '\tby mx1.dane.example (Postfix) with ESMTPS id ABC',
    'Received: from earlier (using TLSv1.2 ...)',
    'Subject: hi',
    '',
    'body line',
    '',
  ].join('\r\n');
  const m = parseMaildirMessage('/x', raw);
  assert.deepEqual(
    [m.overTls, m.tlsProtocol, m.deliveredTo, m.returnPath],
    [true, 'TLSv1.3', 'b@dane.example', '<a@sender.example>'],
  );
  assert.equal(m.headers.length, 5);
  assert.match(
    m.headers[2]?.value ?? '',
    /^from helo \(unknown \[127\.0\.0\.1\]\) \(using TLSv1\.3 .* by mx1/,
  );
  assert.equal(m.body, 'body line\n');
  const plain = parseMaildirMessage(
    '/y',
    'Received: from helo by mx1 with ESMTP id X\nReceived: (using TLSv1.3)\n\nx',
  );
  assert.deepEqual([plain.overTls, plain.tlsProtocol], [false, undefined]);
});

test('config writers and swaks arguments refuse values that would break out of their syntax', () => {
  const opts = { address: net.dns(1), port: 5300, dir: '/tmp/x' };
  assert.throws(
    () => nsdConfig({ ...opts, zones: [{ name: 'a"b.', file: '/f' }] }, '/w'),
    hasCode(InteropErrorCode.BAD_ARGUMENT),
  );
  assert.match(
    nsdConfig({ ...opts, zones: [{ name: 'example.', file: '/f' }] }, '/w'),
    /ip-address: 127\.53\.2\.1@5300/,
  );
  assert.throws(
    () => unboundConfig({ ...opts, trustAnchorFile: 'x"y' }, '/w'),
    hasCode(InteropErrorCode.BAD_ARGUMENT),
  );
  const conf = unboundConfig(
    { ...opts, stubZones: [{ name: 'example.', addrs: ['127.53.2.2@5301'] }] },
    '/w',
  );
  assert.match(conf, /stub-zone:\n {2}name: "example\."\n {2}stub-addr: 127\.53\.2\.2@5301/);
  assert.match(conf, /module-config: "validator iterator"/);
  const base = { server: net.smtp(1), port: 25, from: 'a@x.example', to: 'b@y.example', tls: true };
  assert.deepEqual(swaksArgs(base).slice(-3), ['--timeout', '15s', '--tls']);
  assert.throws(
    () => swaksArgs({ ...base, to: 'b@y.example\r\nRCPT TO:<c@z>' }),
    hasCode(InteropErrorCode.BAD_ARGUMENT),
  );
  assert.throws(() => swaksArgs({ ...base, server: '192.0.2.1' }), hasCode(InteropErrorCode.BAD_ARGUMENT));
  assert.equal(dnssecTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), '20260102030405');
  assert.throws(() => dnssecTime(new Date(Number.NaN)), hasCode(InteropErrorCode.BAD_ARGUMENT));
});
