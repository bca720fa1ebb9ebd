/**
 * Issue #9 item 6: nothing of the tests ships, and the packed package works. `npm pack
 * --dry-run` lists no test, fixture or test-support file; the tarball, installed into an empty
 * folder, runs `npx dane-mta --help` and type-checks `import { createMta } from 'dane-mta'`.
 * Tests never reach the registry, so the install is laid out as npm lays it out: the tarball
 * unpacked into node_modules/dane-mta, its declared dependencies linked from this checkout's
 * node_modules (the same pinned versions) and the bin linked into node_modules/.bin.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackEntry {
  files: { path: string }[];
}

/** What must never be in the package: tests, fixtures, test-support modules, sources. */
const FORBIDDEN = /(\.test\.|fixtures?|[-/]test-|^test\/|^bench\/|^src\/|\.ts$(?<!\.d\.ts))/;

test('npm pack --dry-run lists no test, fixture or test-support file', async () => {
  const { stdout } = await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    maxBuffer: 32 << 20,
  });
  const [entry] = JSON.parse(stdout) as PackEntry[];
  assert.ok(entry !== undefined);
  const files = entry.files.map((f) => f.path);
  const bad = files.filter((f) => FORBIDDEN.test(f));
  assert.deepEqual(bad, [], 'files that must not ship');
  for (const needed of ['bin/dane-mta', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js']) {
    assert.ok(files.includes(needed), `${needed} is packed`);
  }
});

test('the packed tarball installs into an empty folder, runs --help and type-checks createMta', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dane-mta-pack-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await run(npm, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, maxBuffer: 32 << 20 });
  const tgz = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz !== undefined, 'npm pack wrote a tarball');
  const app = join(dir, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const modules = join(app, 'node_modules');
  await mkdir(join(modules, '.bin'), { recursive: true });
  await run('tar', ['-xzf', join(dir, tgz), '-C', modules]);
  await rename(join(modules, 'package'), join(modules, 'dane-mta'));
  const manifest = JSON.parse(await readFile(join(modules, 'dane-mta', 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    bin: Record<string, string>;
  };
  for (const dep of Object.keys(manifest.dependencies)) {
    await mkdir(dirname(join(modules, dep)), { recursive: true });
    await symlink(join(root, 'node_modules', dep), join(modules, dep));
  }
  for (const [name, file] of Object.entries(manifest.bin)) {
    await symlink(join('..', 'dane-mta', file), join(modules, '.bin', name));
  }
  const help = await run(npm, ['exec', '--offline', '--', 'dane-mta', '--help'], { cwd: app });
  assert.match(help.stdout, /^usage: dane-mta COMMAND/);
  assert.match(help.stdout, /\bsend\b/);
  await writeFile(
    join(app, 'check.ts'),
    [
      "import { createMta, type DeliveryResult, type Mta } from 'dane-mta';",
      "const mta: Mta = createMta({ dns: { resolvers: ['127.0.0.1:53'] }, transport: { helo: 'mta.example' } });",
      "const tls: DeliveryResult['tls'] = null;",
      'void tls;',
      'void mta.close();',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2023',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['check.ts'],
    }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app });
  // A wrong use is refused, so the check above really type-checked against the package.
  await writeFile(
    join(app, 'check.ts'),
    "import { createMta } from 'dane-mta';\ncreateMta({ dns: { mode: 'bogus-mode' } });\n",
  );
  await assert.rejects(
    run(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app }),
    (e: unknown) => {
      // tsc prints its diagnostics on stdout.
      assert.match(String((e as { stdout?: unknown }).stdout), /bogus-mode/);
      return true;
    },
  );
});
