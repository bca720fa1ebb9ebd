/**
 * Detection of the real programs the interop tests drive (NSD, Unbound, BIND and ldns tools,
 * Postfix, swaks, openssl, iproute2) and the skip/fail rule of test/interop/README.md:
 * a missing tool (or missing root where a daemon truly needs it) skips the test with a message
 * naming it, unless `DANE_MTA_INTEROP=1`, where it fails the test instead.
 * Must never install anything or look outside PATH and the sbin directories.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import { InteropError, InteropErrorCode } from './errors.ts';

/** Every program an interop test may need, with the Debian package that ships it. */
export const TOOL_PACKAGES = {
  nsd: 'nsd',
  'nsd-checkconf': 'nsd',
  unbound: 'unbound',
  'unbound-checkconf': 'unbound',
  'dnssec-keygen': 'bind9-utils',
  'dnssec-signzone': 'bind9-utils',
  'dnssec-verify': 'bind9-utils',
  'dnssec-dsfromkey': 'bind9-utils',
  dig: 'bind9-dnsutils',
  'ldns-keygen': 'ldnsutils',
  'ldns-signzone': 'ldnsutils',
  'ldns-verify-zone': 'ldnsutils',
  'ldns-key2ds': 'ldnsutils',
  'ldns-dane': 'ldnsutils',
  postfix: 'postfix',
  postconf: 'postfix',
  'smtp-source': 'postfix',
  swaks: 'swaks',
  openssl: 'openssl',
  ip: 'iproute2',
  script: 'bsdutils',
  chromium: 'chromium',
} as const;
export type ToolName = keyof typeof TOOL_PACKAGES;

/** Directories searched after PATH: daemons live in sbin, which a non-root PATH often lacks. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

const found = new Map<string, string | undefined>();

/** Absolute path of an executable named `name` (PATH, then the sbin directories), or undefined. */
export function findTool(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d.length > 0);
  let hit: string | undefined;
  for (const dir of [...pathDirs, ...EXTRA_DIRS]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      hit = candidate;
      break;
    } catch {
      // not here; keep looking
    }
  }
  found.set(name, hit);
  return hit;
}

/** Absolute path of `name`, or an INTEROP_ERR_TOOL_MISSING error naming the package to install. */
export function toolPath(name: string): string {
  const path = findTool(name);
  if (path === undefined) {
    const pkg = (TOOL_PACKAGES as Record<string, string>)[name];
    const hint = pkg === undefined ? '' : ` (Debian package ${pkg})`;
    throw new InteropError(InteropErrorCode.TOOL_MISSING, `${name} not installed${hint}`, {
      details: { tool: name },
    });
  }
  return path;
}

/** The tools of `names` that are not installed. */
export function missingTools(names: readonly string[]): string[] {
  return names.filter((n) => findTool(n) === undefined);
}

/** True when this process runs as root (uid 0). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** True when `DANE_MTA_INTEROP=1`: missing tools or privileges then fail the interop tests. */
export function interopRequired(): boolean {
  return process.env['DANE_MTA_INTEROP'] === '1';
}

/** Options of {@link requireTools}. */
export interface RequireOptions {
  /** The test also needs root (binding port 53 or 25, running Postfix); say why. */
  readonly root?: string;
}

/**
 * Applies the skip/fail rule: returns true when every tool (and root, if asked) is there.
 * Otherwise, with `DANE_MTA_INTEROP=1` it throws (failing the test, naming what is missing);
 * without it it calls `t.skip('nsd not installed')` and returns false — the caller returns.
 */
export function requireTools(
  t: TestContext,
  names: readonly string[],
  options: RequireOptions = {},
): boolean {
  const missing = missingTools(names);
  let reason: string | undefined;
  let code: InteropErrorCode = InteropErrorCode.TOOL_MISSING;
  if (missing.length > 0) {
    reason = `${missing.join(', ')} not installed`;
  } else if (options.root !== undefined && !isRoot()) {
    reason = `needs root (${options.root})`;
    code = InteropErrorCode.NOT_ROOT;
  }
  if (reason === undefined) return true;
  if (interopRequired()) {
    throw new InteropError(code, `${reason}; DANE_MTA_INTEROP=1 requires it`, { details: { missing } });
  }
  t.skip(reason);
  return false;
}
