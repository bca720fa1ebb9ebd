/**
 * The daemon's life as an operator sees it, through real `dane-mta serve` processes:
 * `serve --check`; start-up failures as one line with their sysexits code (a bad key → 78 with
 * file:line:column, a store schema from a newer dane-mta → 78, an address in use → 78, a store
 * that cannot be reached → 75); SIGHUP reloads a destination's TLS policy without a restart,
 * and a broken file on reload keeps the running configuration and says so; SIGTERM lets a
 * delivery in flight finish, stops taking mail in, and exits 0.
 * Lab 127.156.0.0/16; intake and the held MX on 127.156.200.x.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { SCENARIOS, startInternet, type Internet } from '../../src/lab/index.ts';
import { freePort } from '../interop/index.ts';
import {
  childIntake,
  daemonWorld,
  killServes,
  openWorldStore,
  queuedId,
  runDaneMta,
  spawnServe,
  startHeldMx,
  submit,
  type DaemonWorld,
  type LogLine,
  type ServeProcess,
} from './harness.ts';

let net: Internet;
const worlds: DaemonWorld[] = [];

before(async () => {
  const ids = ['ee-311', 'demo-unsigned'];
  net = await startInternet({
    baseAddress: '127.156.0.0',
    scenarios: SCENARIOS.filter((s) => ids.includes(s.id)),
  });
});

after(async () => {
  killServes();
  for (const w of worlds) await w.close();
  await net.close();
});

async function world(opts: Parameters<typeof daemonWorld>[1]): Promise<DaemonWorld> {
  const w = await daemonWorld(net, opts);
  worlds.push(w);
  return w;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Exactly one line on stderr, no stack trace. */
function assertOneLine(stderr: string): void {
  assert.match(stderr, /^dane-mta serve: [^\n]+\n$/, stderr);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

/** The 1-based line number of the first line of `file` containing `text`. */
function lineOf(file: string, text: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(text)) + 1
  );
}

test('serve --check: a good configuration is summarised (exit 0); a bad key is one line with file:line:column (exit 78)', async () => {
  const w = await world({ listen: '127.156.200.1' });
  const ok = await runDaneMta(['serve', '--check', '--config', w.configFile]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  assert.match(ok.stdout, new RegExp(`^${escape(w.configFile)}: configuration OK\n`));
  assert.match(ok.stdout, /\n {2}listen: {2}127\.156\.200\.1:0 \(relay\)\n/);
  // A relative sqlite: path is resolved against the configuration file's directory.
  assert.ok(ok.stdout.includes(`\n  queue:   sqlite:${join(w.dir, 'queue.db')}\n`), ok.stdout);
  assert.match(ok.stdout, /\n {2}tls: {5}dane \(insecure MX: dane\), 0 destination rule\(s\)\n/);

  await w.rewrite({ delivery: '  tlz: dane' });
  const line = lineOf(w.configFile, 'tlz:');
  for (const args of [['serve', '--check'], ['serve']]) {
    const bad = await runDaneMta([...args, '--config', w.configFile]);
    assert.equal(bad.code, 78, `${args.join(' ')}: ${bad.stderr}`);
    assertOneLine(bad.stderr);
    assert.equal(bad.stderr, `dane-mta serve: ${w.configFile}:${line}:3: delivery.tlz: unknown key\n`);
    assert.equal(bad.stdout, '');
  }
});

test('start-up: a store schema newer than this build → 78, one line', async () => {
  const w = await world({ listen: '127.156.200.1' });
  const store = await openWorldStore(w);
  await store.close();
  const db = new Database(join(w.dir, 'queue.db'));
  try {
    db.prepare('INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)').run(
      999,
      Date.now(),
      'from a newer dane-mta',
    );
  } finally {
    db.close();
  }
  const r = await runDaneMta(['serve', '--config', w.configFile]);
  assert.equal(r.code, 78, r.stderr);
  assertOneLine(r.stderr);
  assert.match(r.stderr, /schema.*999/i);
});

test('start-up: a listen address in use → 78, one line naming it', async () => {
  const port = await freePort('127.156.200.2');
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.156.200.2', resolve));
  try {
    const w = await world({ listen: '127.156.200.2', listenPort: port });
    const r = await runDaneMta(['serve', '--config', w.configFile]);
    assert.equal(r.code, 78, r.stderr);
    assertOneLine(r.stderr);
    assert.match(r.stderr, new RegExp(`127\\.156\\.200\\.2:${port}`));
    assert.match(r.stderr, /in use/i);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

test('start-up: a queue store that cannot be reached → 75, one line naming it (password hidden)', async () => {
  const port = await freePort('127.156.200.3');
  const w = await world({
    listen: '127.156.200.1',
    queueUrl: `postgres://dane:secret@127.156.200.3:${port}/queue`,
  });
  const r = await runDaneMta(['serve', '--config', w.configFile]);
  assert.equal(r.code, 75, r.stderr);
  assertOneLine(r.stderr);
  assert.match(r.stderr, new RegExp(`127\\.156\\.200\\.3:${port}`));
  assert.doesNotMatch(r.stderr, /secret/);
});

const isAttemptOf =
  (id: string) =>
  (e: LogLine): boolean =>
    e.event === 'attempt' && e['id'] === id;

/** The next attempt line of message `id` written after stdout line `from`. */
function attemptLine(p: ServeProcess, id: string, from: number): Promise<LogLine> {
  return p.logLine(isAttemptOf(id), `of an attempt of ${id}`, { from });
}

test('SIGHUP: a destination TLS change applies without restart; a broken file is refused and the running configuration stays', async () => {
  const strict = '  destinations:\n    unsigned.test: { tls: dane_require }';
  const w = await world({ listen: '127.156.200.4', retry: '1h', delivery: strict });
  const p = spawnServe(w);
  const intake = await childIntake(p);
  const body = (n: number) =>
    `Message-ID: <hup-${n}@client.daemon.test>\r\nSubject: hup ${n}\r\n\r\nhello\r\n`;
  const from = 'hup@client.daemon.test';

  // unsigned.test has no DANE: under dane_require its mail is deferred.
  let mark = p.stdout.length;
  const id1 = queuedId(await submit(intake, { from, to: ['user@unsigned.test'], body: body(1) }));
  const a1 = await attemptLine(p, id1, mark);
  assert.equal(a1['outcome'], 'deferred');

  // A broken file: refused, said on stderr, and dane_require still holds for new mail.
  await w.rewrite({ delivery: `${strict}\n  tls: [unclosed` });
  const stderrBefore = p.stderr().length;
  p.child.kill('SIGHUP');
  const id2 = queuedId(await submit(intake, { from, to: ['user@unsigned.test'], body: body(2) }));
  // unsigned.test is held back after its failure: a retry of both tries them under the policy
  // that runs now (`queue` reads the file too, so it gets a readable one; no SIGHUP).
  await w.rewrite({ delivery: strict });
  mark = p.stdout.length;
  const tried = [attemptLine(p, id1, mark), attemptLine(p, id2, mark)];
  const again = await runDaneMta(['queue', 'retry', '--all', '--config', w.configFile]);
  assert.equal(again.code, 0, again.stderr);
  for (const a of await Promise.all(tried)) {
    assert.equal(a['outcome'], 'deferred', 'the running configuration stays');
    assert.match(String(a['reason']), /DANE required/);
  }
  const said = p.stderr().slice(stderrBefore);
  assert.match(
    said,
    new RegExp(
      `^dane-mta serve: reload refused, the running configuration stays: ${escape(w.configFile)}:\\d+:\\d+: `,
    ),
  );
  assert.equal(said.split('\n').filter((l) => l !== '').length, 1, said);
  assert.equal(p.child.exitCode, null, 'still running');

  // The rule removed: after SIGHUP the same daemon delivers both with opportunistic TLS.
  await w.rewrite({ delivery: '' });
  mark = p.stdout.length;
  p.child.kill('SIGHUP');
  const reloaded = await p.logLine((e) => e.event === 'reloaded', 'of the reload', { from: mark });
  assert.equal(reloaded['destinations'], 0);
  const retried = [attemptLine(p, id1, p.stdout.length), attemptLine(p, id2, p.stdout.length)];
  const retry = await runDaneMta(['queue', 'retry', '--all', '--config', w.configFile]);
  assert.equal(retry.code, 0, retry.stderr);
  for (const a of await Promise.all(retried)) {
    assert.equal(a['outcome'], 'delivered');
    assert.equal(a['tls'], 'encrypted');
  }
  const rx = net.receivers.get('mx.unsigned.test');
  for (const n of [1, 2])
    assert.ok(rx?.messages.some((m) => m.messageId === `<hup-${n}@client.daemon.test>`));
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('SIGTERM: the delivery in flight finishes, intake stops taking mail, exit 0', async () => {
  const mx = await startHeldMx('127.156.200.9');
  try {
    // Every recipient is an address literal of the held MX: its port is the delivery port.
    const w = await world({ listen: '127.156.200.5', port: mx.port, grace: '30s' });
    const p = spawnServe(w);
    const intake = await childIntake(p);
    const r = await submit(intake, {
      from: 'drain@client.daemon.test',
      to: ['user@[127.156.200.9]'],
      body: 'Message-ID: <drain@client.daemon.test>\r\nSubject: drain\r\n\r\nin flight\r\n',
    });
    const id = queuedId(r);
    await mx.held;
    const mark = p.stdout.length;
    p.child.kill('SIGTERM');
    const stopping = await p.logLine((e) => e.event === 'stopping', 'of stopping', { from: mark });
    assert.equal(stopping['signal'], 'SIGTERM');
    assert.equal(stopping['in_flight'], 1);
    // Intake takes no more mail while the delivery is still held: the connection is refused or
    // reset, or the session is told 421 — never a 250 for the message.
    const late = await submit(intake, {
      from: 'late@client.daemon.test',
      to: ['user@[127.156.200.9]'],
      body: 'Message-ID: <late@client.daemon.test>\r\nSubject: late\r\n\r\ntoo late\r\n',
    });
    assert.equal(late.data, undefined, JSON.stringify(late.data));
    assert.ok(late.failure !== undefined);
    const replies = [late.greeting, late.hello, late.mail].flatMap((x) => (x === undefined ? [] : [x.code]));
    assert.ok(
      replies.every((c) => c === 220 || c === 250 || c === 421),
      JSON.stringify(late.failure),
    );
    assert.equal(p.child.exitCode, null, 'waits for the delivery in flight');
    mx.release();
    const attempt = await p.logLine(isAttemptOf(id), 'of the drained delivery', { from: mark });
    assert.equal(attempt['outcome'], 'delivered');
    assert.equal(await p.exited, 0, p.stderr());
    assert.ok(mx.lines.includes('QUIT'), 'the session ended politely');
    const store = await openWorldStore(w);
    try {
      assert.equal((await store.show(id))?.recipients[0]?.state, 'delivered');
      assert.deepEqual(
        (await store.list()).map((v) => v.message.id),
        [id],
        'nothing was taken in after SIGTERM',
      );
    } finally {
      await store.close();
    }
  } finally {
    await mx.close();
  }
});
