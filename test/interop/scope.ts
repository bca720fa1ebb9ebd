/**
 * A test's private working area: its own temporary directory under os.tmpdir() named
 * `dane-mta-<label>-…`, and a stack of clean-up actions (stop a daemon, …) run last-in-first-out
 * when the test ends — also when it fails — before the directory is removed.
 * Must never remove anything outside the directory it created.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { describeError } from '../../src/util/index.ts';

/** A temporary directory plus deferred clean-up actions. */
export interface Scope {
  /** Absolute path of the scope's own directory (mode 0755, so daemons' users can enter it). */
  readonly dir: string;
  /** Registers `action` to run at close, after every action registered later. */
  defer(action: () => unknown): void;
  /** Runs the deferred actions (LIFO), then removes the directory; rethrows the first failure. */
  close(): Promise<void>;
}

/**
 * Creates a scope without binding it to a test (for `before`/`after` hooks of a suite).
 * Set `DANE_MTA_INTEROP_KEEP=1` to keep the directory for debugging (its path is printed).
 */
export async function createScope(label: string): Promise<Scope> {
  const safe = label.replace(/[^A-Za-z0-9_-]/g, '-');
  const dir = await mkdtemp(join(tmpdir(), `dane-mta-${safe}-`));
  await chmod(dir, 0o755);
  const actions: (() => unknown)[] = [];
  let closed = false;
  return {
    dir,
    defer: (action) => {
      actions.push(action);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const errors: unknown[] = [];
      for (const action of actions.reverse()) {
        try {
          await action();
        } catch (err) {
          errors.push(err);
        }
      }
      if (process.env['DANE_MTA_INTEROP_KEEP'] === '1') {
        process.stderr.write(`interop: kept ${dir}\n`);
      } else {
        await rm(dir, { recursive: true, force: true });
      }
      if (errors.length > 0) {
        throw new Error(`clean-up failed: ${errors.map(describeError).join('; ')}`, { cause: errors[0] });
      }
    },
  };
}

/** Creates a scope whose clean-up runs in `t.after`, whatever the test's outcome. */
export async function testScope(t: TestContext, label: string): Promise<Scope> {
  const scope = await createScope(label);
  t.after(() => scope.close());
  return scope;
}
