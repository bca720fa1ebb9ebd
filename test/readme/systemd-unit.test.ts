/**
 * contrib/dane-mta.service, as README "Run it as a daemon" describes it: its ExecStartPre and
 * ExecStart lines are dane-mta command lines that work (the check passes on a good
 * configuration and exits 78 on a broken one), systemd does not restart on the exit codes that
 * a restart cannot fix (configuration, usage) but does on a store that cannot be reached, it
 * waits longer than the default shutdown grace, and the npm package ships the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { ExitCode } from '../../src/util/index.ts';
import { cli } from '../daemon/queue-cli.ts';

const root = new URL('../../../', import.meta.url).pathname;
const unit = readFileSync(join(root, 'contrib/dane-mta.service'), 'utf8');

function directive(name: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${name}=`))
    .map((l) => l.slice(name.length + 1));
}

/** The dane-mta arguments of an Exec line, with the configuration path replaced. */
function argsOf(line: string, config: string): string[] {
  const [bin, ...args] = line.split(/\s+/);
  assert.match(bin ?? '', /\/dane-mta$/);
  return args.map((a) => (a === '/etc/dane-mta/dane-mta.yaml' ? config : a));
}

test('the unit runs serve --check before serve, and both command lines work', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dane-mta-unit-'));
  try {
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'hostname: mta.unit.test\nlisten:\n  - { address: "127.0.0.1:2525", mode: relay }\nqueue:\n  url: sqlite:queue.db\n',
    );
    const [pre] = directive('ExecStartPre');
    const [start] = directive('ExecStart');
    assert.ok(pre !== undefined && start !== undefined, 'ExecStartPre and ExecStart');
    const checked = await cli(...argsOf(pre, good));
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /configuration OK/);
    // ExecStart is the same command line without --check (not started here: it would run).
    assert.deepEqual(
      argsOf(start, good),
      argsOf(pre, good).filter((a) => a !== '--check'),
    );
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'listen:\n  - { address: "127.0.0.1:2525", mode: relay }\nqueue: { retry: 5 }\n');
    const refused = await cli(...argsOf(pre, broken));
    assert.equal(refused.code, ExitCode.CONFIG);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no restart loop on a bad configuration or usage; a restart when the store is unreachable', () => {
  assert.deepEqual(directive('Restart'), ['on-failure']);
  const prevent = (directive('RestartPreventExitStatus')[0] ?? '').split(/\s+/).map(Number);
  assert.ok(prevent.includes(ExitCode.CONFIG) && prevent.includes(ExitCode.USAGE), String(prevent));
  assert.ok(!prevent.includes(ExitCode.TEMPFAIL));
  assert.deepEqual(directive('ExecReload'), ['/bin/kill -HUP $MAINPID']);
});

test('systemd waits longer than the default shutdown grace before SIGKILL', () => {
  const { config } = parseConfig('listen:\n  - { address: "127.0.0.1:2525", mode: relay }\n', {
    file: 'x.yaml',
    now: Date.now(),
  });
  const stop = /^(\d+)s$/.exec(directive('TimeoutStopSec')[0] ?? '');
  assert.ok(stop !== null);
  assert.ok(Number(stop[1]) * 1000 > config.shutdown.grace);
});

test('the package ships contrib/', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('contrib'));
});
