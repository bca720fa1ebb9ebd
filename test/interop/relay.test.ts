/**
 * The Postfix DANE relay (postfix-relay.ts) that the relay benchmark uses as its reference is
 * really doing DANE (RFC 7672): through a chrooted smtp(8) whose resolv.conf names our Unbound,
 * a message to a domain whose MX host publishes a matching DANE-EE (3 1 1) record is delivered
 * over TLS and Postfix logs the connection as Verified; a message to a host whose TLSA digest
 * matches nothing is deferred and never reaches the receiver (§3.1: authentication failure →
 * no delivery). Also smtp-source's arguments and the /proc accounting the benchmark reads.
 * Test-file id 21: 127.53.21.x and 127.25.21.x (see README.md).
 * Must never reach anything but loopback addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  InteropErrorCode,
  addressPlan,
  parseProcStat,
  requireTools,
  runSmtpSource,
  smtpSourceArgs,
  startHierarchy,
  startPostfixReceiver,
  startPostfixRelay,
  startUnbound,
  testScope,
  treeCpuSeconds,
  treeTicks,
  statusKb,
  chrootResolvConf,
  relayMainCf,
  type PostfixRelay,
} from './index.ts';
import { makePki, tlsaOf, wrongDigest, writeChain } from './delivery/pki.ts';
import { sleep } from './process.ts';
import { isMtaError } from '../../src/util/index.ts';

const net = addressPlan(21);
const TOOLS = [
  'nsd',
  'dnssec-keygen',
  'dnssec-signzone',
  'dnssec-dsfromkey',
  'ldns-keygen',
  'ldns-signzone',
  'ldns-key2ds',
  'unbound',
  'unbound-checkconf',
  'postfix',
  'smtp-source',
  'openssl',
];

/** Polls the relay's log until `pattern` appears (deadline 30 s); returns the log. */
async function waitForLog(relay: PostfixRelay, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const log = await relay.log();
    if (pattern.test(log)) return log;
    if (Date.now() > deadline) assert.fail(`relay log never matched ${String(pattern)}:\n${log}`);
    await sleep(100);
  }
}

test('the Postfix relay delivers with DANE-EE (Verified) and defers a host whose TLSA does not match', async (t) => {
  if (!requireTools(t, TOOLS, { root: 'port 53 and a Postfix master' })) return;
  const scope = await testScope(t, 'relay');
  const pki = makePki(Date.now());
  const good = tlsaOf(pki.good, { usage: 3, selector: 1, matchingType: 1 });
  const records = [
    'ok.relay.example. 3600 IN MX 10 mx.ok.relay.example.',
    `mx.ok.relay.example. 3600 IN A ${net.smtp(1)}`,
    `_25._tcp.mx.ok.relay.example. 3600 IN TLSA ${good}`,
    'bad.relay.example. 3600 IN MX 10 mx.bad.relay.example.',
    `mx.bad.relay.example. 3600 IN A ${net.smtp(1)}`,
    `_25._tcp.mx.bad.relay.example. 3600 IN TLSA ${wrongDigest(good)}`,
  ].join('\n');
  const tree = await startHierarchy({
    dir: scope.dir,
    port: 53,
    zones: [
      { name: '.', address: net.dns(1), signer: 'ldns', algorithm: 13 },
      { name: 'example.', address: net.dns(2), signer: 'bind', algorithm: 13 },
      { name: 'relay.example.', address: net.dns(3), signer: 'bind', algorithm: 13, records },
    ],
  });
  scope.defer(() => tree.stop());
  const unbound = await startUnbound({
    address: net.dns(53),
    port: 53,
    trustAnchorFile: tree.trustAnchorFile ?? '',
    rootHintsFile: tree.rootHintsFile,
    dir: scope.dir,
  });
  scope.defer(() => unbound.stop());
  const chain = await writeChain(pki.good, { dir: scope.dir, label: 'relay', include: 'full' });
  const rx = await startPostfixReceiver({
    address: net.smtp(1),
    port: 25,
    hostname: 'mx.ok.relay.example',
    dir: scope.dir,
    ...chain,
  });
  scope.defer(() => rx.stop());
  const relay = await startPostfixRelay({
    address: net.smtp(2),
    port: 25,
    hostname: 'relay.sender.example',
    resolver: unbound.address,
    dir: scope.dir,
  });
  scope.defer(() => relay.stop());

  const base = { server: relay.address, port: relay.port, from: 'alice@sender.example', messages: 1 };
  await runSmtpSource({ ...base, to: 'bob@bad.relay.example' });
  await runSmtpSource({ ...base, to: 'bob@ok.relay.example' });
  const [msg] = await rx.waitForMessages(1);
  assert.equal(msg?.deliveredTo, 'bob@ok.relay.example', msg?.raw);
  assert.equal(msg.overTls, true, msg.raw);
  const log = await waitForLog(relay, /to=<bob@bad\.relay\.example>.*status=deferred/);
  assert.match(log, /Verified TLS connection established to mx\.ok\.relay\.example\[/);
  assert.match(log, /mx\.bad\.relay\.example\[[\d.]+\]:25: num=\d+:no matching DANE TLSA records/);
  assert.match(log, /to=<bob@bad\.relay\.example>.*dsn=4\.7\.5, status=deferred/);
  assert.match(log, /to=<bob@ok\.relay\.example>.*status=sent/);
  assert.doesNotMatch(log, /to=<bob@bad\.relay\.example>.*status=sent/);
  assert.equal(await relay.queued(), 1, 'the deferred message stays in the relay queue');
  // Nothing for the host that failed authentication ever reached the receiver.
  const all = await rx.readMessages();
  assert.deepEqual(
    all.map((m) => m.deliveredTo),
    ['bob@ok.relay.example'],
  );
  const pid = relay.masterPid();
  assert.ok(pid !== undefined);
  assert.ok(treeCpuSeconds(pid) > 0, 'smtpd, cleanup, qmgr and smtp used some CPU');
});

test('relay configuration: DNSSEC and DANE on, the chroot resolver trusts the AD bit', () => {
  const cf = relayMainCf(
    { hostname: 'relay.sender.example', mainCf: { smtp_tls_loglevel: '2' } },
    { queue: '/q', data: '/d', log: '/l', work: '/w' },
  );
  assert.match(cf, /^smtp_dns_support_level = dnssec$/m);
  assert.match(cf, /^smtp_tls_security_level = dane$/m);
  // Parameters given by the caller come last, so they win (Postfix keeps the last one).
  assert.ok(cf.lastIndexOf('smtp_tls_loglevel = 2') > cf.indexOf('smtp_tls_loglevel = 1'));
  assert.equal(chrootResolvConf('127.53.21.53').split('\n')[0], 'nameserver 127.53.21.53');
  assert.match(chrootResolvConf('127.53.21.53'), /^options .*trust-ad/m);
  assert.throws(
    () =>
      relayMainCf(
        { hostname: 'x', mainCf: { myhostname: 'a\nrelayhost = evil' } },
        { queue: '', data: '', log: '', work: '' },
      ),
    (e: unknown) => isMtaError(e, InteropErrorCode.BAD_ARGUMENT),
  );
});

test('smtp-source arguments: one connection per session (-d), loopback only, plain addresses', () => {
  const args = smtpSourceArgs({
    server: '127.25.21.2',
    port: 2525,
    from: 'a@b.example',
    to: 'c@d.example',
    messages: 2000,
    sessions: 20,
  });
  assert.deepEqual(args, [
    '-d',
    '-m',
    '2000',
    '-s',
    '20',
    '-l',
    '2048',
    '-M',
    'source.interop.example',
    '-f',
    'a@b.example',
    '-t',
    'c@d.example',
    'inet:127.25.21.2:2525',
  ]);
  const bad = { server: '127.25.21.2', port: 25, from: 'a@b.example', to: 'c@d.example', messages: 1 };
  const badArgument = (e: unknown): boolean => isMtaError(e, InteropErrorCode.BAD_ARGUMENT);
  assert.throws(() => smtpSourceArgs({ ...bad, server: '192.0.2.1' }), badArgument);
  assert.throws(() => smtpSourceArgs({ ...bad, to: 'x@y -v' }), badArgument);
  assert.throws(() => smtpSourceArgs({ ...bad, messages: 0 }), badArgument);
  assert.equal(smtpSourceArgs({ ...bad, reuseConnection: false }).includes('-d'), false);
});

test('/proc accounting: stat lines with odd command names; reaped children count in the tree', () => {
  const line = '4242 (smtp (x) y) S 1 4242 4242 0 -1 4194560 10 0 0 0 31 7 5 2 20 0 1 0 1 1 1';
  assert.deepEqual(parseProcStat(line), {
    pid: 4242,
    ppid: 1,
    state: 'S',
    utime: 31,
    stime: 7,
    cutime: 5,
    cstime: 2,
  });
  assert.equal(parseProcStat('garbage'), undefined);
  const stats = [
    { pid: 10, ppid: 1, state: 'S', utime: 1, stime: 1, cutime: 100, cstime: 0 },
    { pid: 11, ppid: 10, state: 'S', utime: 5, stime: 0, cutime: 0, cstime: 0 },
    { pid: 12, ppid: 11, state: 'Z', utime: 3, stime: 0, cutime: 0, cstime: 0 },
    { pid: 13, ppid: 1, state: 'R', utime: 999, stime: 0, cutime: 0, cstime: 0 },
  ];
  assert.equal(treeTicks(10, stats), 110);
  assert.equal(treeTicks(99, stats), 0);
  // A child that burns CPU and is reaped: its time moves into this process's cutime.
  const before = treeCpuSeconds(process.pid);
  const child = spawnSync(process.execPath, [
    '-e',
    'const t=process.cpuUsage();while(process.cpuUsage(t).user<300000);console.log(process.cpuUsage().user/1e6)',
  ]);
  const childCpu = Number(child.stdout.toString());
  assert.ok(childCpu >= 0.3, child.stderr.toString());
  const after = treeCpuSeconds(process.pid);
  assert.ok(after - before >= childCpu - 0.05, `tree grew by ${after - before} s, child used ${childCpu} s`);
  // This process has touched at least its heap: some megabytes of peak resident memory.
  assert.ok((statusKb(process.pid, 'VmHWM') ?? 0) > 1024);
  assert.equal(statusKb(child.pid, 'VmHWM'), undefined, 'a reaped process has no status');
});
