/**
 * What every isolated Postfix instance of the interop tests and benchmarks shares, whatever its
 * role (receiving MX in postfix.ts, sending DANE relay in postfix-relay.ts): the postfix
 * account, a private layout (config_directory, queue_directory, data_directory, log file) under
 * the test's directory, `postfix check` with readable diagnostics, and a master run in the
 * foreground (`postfix -c DIR start-fg`) that is stopped — or killed with its process group if
 * the test process dies first. Needs root, like any Postfix master.
 * Must never touch /etc/postfix or /var/spool/postfix, or leave a master running.
 */
import { readFileSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError, InteropErrorCode, tailLines } from './errors.ts';
import { assertPortFree, waitForSmtpBanner } from './net.ts';
import {
  isRunning,
  killProcessGroup,
  onEmergencyExit,
  processName,
  runCommand,
  sleep,
  startDaemon,
  waitUntilReady,
} from './process.ts';
import type { Daemon } from './process.ts';
import { findTool } from './tools.ts';

/** The postfix user's ids (mail_owner; virtual(8) delivers as this user). */
export interface PostfixAccount {
  readonly uid: number;
  readonly gid: number;
}

/** Reads the postfix user's uid and gid from /etc/passwd. */
export async function postfixAccount(): Promise<PostfixAccount> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postfix:'));
  const fields = line?.split(':') ?? [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (line === undefined || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new InteropError(
      InteropErrorCode.START_FAILED,
      'no "postfix" user in /etc/passwd (is postfix installed?)',
    );
  }
  return { uid, gid };
}

/** A main.cf value; a line break would inject a parameter. */
export function cfValue(value: string): string {
  if (/[\n\r]/.test(value))
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `bad main.cf value: ${value}`);
  return value;
}

/** Renders main.cf from (name, value) pairs, later pairs overriding earlier ones as Postfix does. */
export function renderMainCf(params: readonly (readonly [string, string])[]): string {
  return params.map(([k, v]) => `${k} = ${cfValue(v)}`).join('\n') + '\n';
}

/** The directories and files of one instance. */
/** Services every instance runs, beside the role's own (chrooted `smtp`, `virtual` …). */
const COMMON_SERVICES = [
  'pickup unix n - n 60 1 pickup',
  'cleanup unix n - n - 0 cleanup',
  'qmgr unix n - n 300 1 qmgr',
  'tlsmgr unix - - n 1000? 1 tlsmgr',
  'rewrite unix - - n - - trivial-rewrite',
  'bounce unix - - n - 0 bounce',
  'defer unix - - n - 0 bounce',
  'trace unix - - n - 0 bounce',
  'verify unix - - n - 1 verify',
  'flush unix n - n 1000? 0 flush',
  'proxymap unix - - n - - proxymap',
  'showq unix n - n - - showq',
  'error unix - - n - - error',
  'retry unix - - n - - error',
  'discard unix - - n - - discard',
  'anvil unix - - n - 1 anvil',
  'scache unix - - n - 1 scache',
  'postlog unix-dgram n - n - 1 postlogd',
];

/** master.cf: smtpd only on address:port, the common services, then the role's own. */
export function renderMasterCf(address: string, port: number, roleServices: readonly string[]): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return [`${host}:${String(port)} inet n - n - - smtpd`, ...COMMON_SERVICES, ...roleServices, ''].join('\n');
}

export interface PostfixLayout {
  readonly work: string;
  readonly conf: string;
  readonly queue: string;
  readonly data: string;
  readonly mail: string;
  readonly log: string;
}

/** Makes `<dir>/<prefix>-<address>-<port>/{conf,queue,data,mail}`; data and mail belong to postfix. */
export async function prepareLayout(
  options: { readonly dir: string; readonly address: string; readonly port: number; readonly prefix: string },
  account: PostfixAccount,
): Promise<PostfixLayout> {
  const work = join(options.dir, `${options.prefix}-${options.address}-${options.port}`);
  const layout = {
    work,
    conf: join(work, 'conf'),
    queue: join(work, 'queue'),
    data: join(work, 'data'),
    mail: join(work, 'mail'),
    log: join(work, 'postfix.log'),
  };
  for (const d of [layout.conf, layout.queue, layout.data, layout.mail])
    await mkdir(d, { recursive: true, mode: 0o755 });
  await chown(layout.data, account.uid, account.gid);
  await chown(layout.mail, account.uid, account.gid);
  return layout;
}

/**
 * Postfix prints its diagnostics only to a terminal (or syslog); when a command fails, run it
 * again under script(1) to get the message for the error.
 */
async function postfixDiagnostics(args: readonly string[]): Promise<string> {
  const postfix = findTool('postfix');
  if (findTool('script') === undefined || postfix === undefined) return '';
  const res = await runCommand('script', ['-qec', [postfix, ...args].join(' '), '/dev/null'], {
    allowFailure: true,
    timeoutMs: 30_000,
  });
  return tailLines(res.stdout + res.stderr);
}

async function checkConfig(conf: string): Promise<void> {
  const check = await runCommand('postfix', ['-c', conf, 'check'], { allowFailure: true });
  if (check.code !== 0) {
    const why = await postfixDiagnostics(['-c', conf, 'check']);
    throw new InteropError(
      InteropErrorCode.START_FAILED,
      `postfix check failed: ${why || tailLines(check.stderr)}`,
    );
  }
}

/** The PID of the instance's master (from queue/pid/master.pid), if it is running. */
export function masterPid(queue: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(queue, 'pid', 'master.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 && isRunning(pid) && processName(pid) === 'master'
      ? pid
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts `postfix start-fg`. The master calls setsid(), leaving the daemon's process group, so
 * stopping also waits for the master itself (and kills its group if `postfix stop` did not).
 */
function runMaster(layout: PostfixLayout, name: string): { daemon: Daemon; stop: () => Promise<void> } {
  const daemon = startDaemon('postfix', ['-c', layout.conf, 'start-fg'], { name, cwd: layout.work });
  const killMaster = (): void => {
    const pid = masterPid(layout.queue);
    if (pid !== undefined) killProcessGroup(pid);
  };
  const forget = onEmergencyExit(killMaster);
  const stop = async (): Promise<void> => {
    const pid = masterPid(layout.queue);
    await runCommand('postfix', ['-c', layout.conf, 'stop'], { allowFailure: true, timeoutMs: 15_000 });
    await daemon.stop(10_000);
    const deadline = Date.now() + 10_000;
    while (pid !== undefined && isRunning(pid) && Date.now() < deadline) await sleep(50);
    killMaster();
    forget();
  };
  return { daemon, stop };
}

/** A started instance: its greeting and how to stop it. */
export interface RunningInstance {
  readonly name: string;
  readonly banner: string;
  readonly stop: () => Promise<void>;
}

/**
 * Writes main.cf and master.cf into the layout, checks them (`postfix check`), makes sure the
 * smtpd address:port is free, starts the master and resolves after smtpd's greeting (which must
 * name `hostname`). On failure the instance is stopped and the error quotes its log.
 */
export async function startInstance(
  layout: PostfixLayout,
  options: {
    readonly address: string;
    readonly port: number;
    readonly hostname: string;
    readonly mainCf: string;
    readonly masterCf: string;
    readonly timeoutMs?: number;
  },
): Promise<RunningInstance> {
  await writeFile(join(layout.conf, 'main.cf'), options.mainCf);
  await writeFile(join(layout.conf, 'master.cf'), options.masterCf);
  await checkConfig(layout.conf);
  await assertPortFree(options.address, options.port);
  // The checks just passed: postfix-script skips its own second round when this file exists.
  await writeFile(join(layout.queue, 'quick-start'), '');
  const name = `postfix ${options.address}:${options.port}`;
  const { daemon, stop } = runMaster(layout, name);
  let banner = '';
  const greets = async (): Promise<boolean> => {
    banner = await waitForSmtpBanner(options.address, options.port, { timeoutMs: 0 });
    return banner.includes(options.hostname);
  };
  try {
    await waitUntilReady(daemon, greets, { timeoutMs: options.timeoutMs ?? 30_000 });
  } catch (err) {
    const log = await readFile(layout.log, 'utf8').catch(() => '');
    await stop();
    throw new InteropError(
      InteropErrorCode.START_FAILED,
      `${name} did not start: ${tailLines(log + daemon.output())}`,
      { cause: err },
    );
  }
  return { name, banner, stop };
}
