/**
 * An isolated Postfix instance as a *sending* relay with DANE (RFC 7672 as Postfix implements
 * it): smtpd on address:port takes mail from loopback clients, and smtp(8) delivers it by MX
 * lookup with `smtp_dns_support_level = dnssec` and `smtp_tls_security_level = dane`, trusting
 * the AD bit of one validating resolver (Unbound) — the reference the relay benchmark measures
 * dane-mta against, and a second DANE client for interop tests.
 * libc's stub resolver has no per-process nameserver setting, so smtp(8) runs chrooted in the
 * instance's queue_directory, where etc/resolv.conf names that resolver (port 53: resolv.conf
 * has no port) with `options trust-ad` (glibc ≥ 2.31 clears the AD bit without it).
 * Must never deliver anywhere but by the test's DNS, take mail from a non-loopback client,
 * read /etc/resolv.conf, or touch /etc/postfix or /var/spool/postfix.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { InteropError, InteropErrorCode } from './errors.ts';
import { assertLoopback } from './net.ts';
import {
  masterPid,
  postfixAccount,
  prepareLayout,
  renderMainCf,
  renderMasterCf,
  startInstance,
  type PostfixLayout,
} from './postfix-instance.ts';
import { isRoot } from './tools.ts';

/** Options of {@link startPostfixRelay}. */
export interface PostfixRelayOptions {
  /** Where smtpd takes the mail to relay (loopback). */
  readonly address: string;
  readonly port: number;
  /** myhostname: the greeting and smtp(8)'s EHLO name. */
  readonly hostname: string;
  /** The validating resolver (IPv4 loopback, port 53) whose AD bit smtp(8) trusts. */
  readonly resolver: string;
  /** The test's directory; the instance lives in a subdirectory of it. */
  readonly dir: string;
  /** More main.cf parameters (name → value), applied last. */
  readonly mainCf?: Readonly<Record<string, string>>;
  /** Start-up deadline (default 30 s). */
  readonly timeoutMs?: number;
}

/** A running Postfix relay. */
export interface PostfixRelay {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly configDir: string;
  readonly logFile: string;
  /** The master's PID (its children are smtpd, cleanup, qmgr, smtp, …), if it runs. */
  masterPid(): number | undefined;
  /** Messages in the relay's queue now (incoming, active, deferred, hold). */
  queued(): Promise<number>;
  /** Postfix's log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** The main.cf parameters of a DANE relay (exported for tests). */
export function relayMainCf(
  options: Pick<PostfixRelayOptions, 'hostname' | 'mainCf'>,
  layout: Pick<PostfixLayout, 'queue' | 'data' | 'log' | 'work'>,
): string {
  return renderMainCf([
    ['compatibility_level', '3.6'],
    ['queue_directory', layout.queue],
    ['data_directory', layout.data],
    ['mail_owner', 'postfix'],
    ['setgid_group', 'postdrop'],
    ['myhostname', options.hostname],
    ['myorigin', '$myhostname'],
    ['mydestination', ''],
    ['inet_interfaces', '127.0.0.1'],
    ['inet_protocols', 'ipv4'],
    ['mynetworks', '127.0.0.0/8'],
    ['relayhost', ''],
    ['relay_domains', ''],
    ['local_transport', 'error:the relay has no local delivery'],
    ['alias_maps', ''],
    ['alias_database', ''],
    ['biff', 'no'],
    ['smtpd_peername_lookup', 'no'],
    ['smtpd_relay_restrictions', 'permit_mynetworks, reject'],
    ['smtpd_recipient_restrictions', 'permit_mynetworks, reject'],
    ['smtpd_tls_security_level', 'none'],
    // RFC 7672 §2.2: DNSSEC-validated MX, address and TLSA lookups (the resolver's AD bit) …
    ['smtp_dns_support_level', 'dnssec'],
    ['smtp_host_lookup', 'dns'],
    // … and "dane": TLSA records, when secure, make authenticated TLS mandatory (§2.2, §3).
    ['smtp_tls_security_level', 'dane'],
    ['smtp_tls_loglevel', '1'],
    ['smtp_address_preference', 'ipv4'],
    // A test fails fast instead of retrying for days; nobody reads the relay's bounces.
    ['maximal_queue_lifetime', '1h'],
    ['bounce_queue_lifetime', '1h'],
    ['notify_classes', ''],
    ['maillog_file', layout.log],
    ['maillog_file_prefixes', layout.work],
    ['smtpd_banner', '$myhostname ESMTP Postfix (dane-mta interop relay)'],
    ...Object.entries(options.mainCf ?? {}),
  ]);
}

/** The master.cf text: smtpd on address:port; smtp(8) chrooted to see the instance's resolv.conf. */
export function relayMasterCf(options: Pick<PostfixRelayOptions, 'address' | 'port'>): string {
  return renderMasterCf(options.address, options.port, [
    'smtp unix - - y - - smtp',
    'tlsproxy unix - - n - 0 tlsproxy',
  ]);
}

/** etc/resolv.conf inside the chroot (exported for tests). */
export function chrootResolvConf(resolver: string): string {
  // "options trust-ad": glibc ≥ 2.31 passes the AD bit on only when this is set.
  return `nameserver ${resolver}\noptions trust-ad edns0 attempts:1 timeout:2\n`;
}

async function queuedIn(queue: string): Promise<number> {
  let n = 0;
  for (const sub of ['incoming', 'active', 'deferred', 'hold', 'maildrop']) {
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else n++;
      }
    };
    await walk(join(queue, sub));
  }
  return n;
}

/** Configures, checks and starts a Postfix DANE relay; resolves after its greeting. */
export async function startPostfixRelay(options: PostfixRelayOptions): Promise<PostfixRelay> {
  assertLoopback(options.address);
  if (!isIPv4(options.address)) {
    throw new InteropError(
      InteropErrorCode.BAD_ARGUMENT,
      `the relay listens on IPv4 only, got ${options.address}`,
    );
  }
  if (!isIPv4(options.resolver) || !options.resolver.startsWith('127.')) {
    throw new InteropError(
      InteropErrorCode.BAD_ARGUMENT,
      `the relay's resolver must be an IPv4 loopback address (port 53), got ${options.resolver}`,
    );
  }
  if (!isRoot()) throw new InteropError(InteropErrorCode.NOT_ROOT, 'a Postfix instance needs root');
  const account = await postfixAccount();
  const layout = await prepareLayout({ ...options, prefix: 'postfix-relay' }, account);
  await mkdir(join(layout.queue, 'etc'), { recursive: true, mode: 0o755 });
  await writeFile(join(layout.queue, 'etc', 'resolv.conf'), chrootResolvConf(options.resolver), {
    mode: 0o644,
  });
  const run = await startInstance(layout, {
    ...options,
    mainCf: relayMainCf(options, layout),
    masterCf: relayMasterCf(options),
  });
  return {
    address: options.address,
    port: options.port,
    hostname: options.hostname,
    configDir: layout.conf,
    logFile: layout.log,
    masterPid: () => masterPid(layout.queue),
    queued: () => queuedIn(layout.queue),
    log: () => readFile(layout.log, 'utf8').catch(() => ''),
    stop: run.stop,
  };
}
