/**
 * An isolated Postfix instance as a receiving MX for interop tests: its own config_directory,
 * queue_directory, data_directory and log file inside the test's directory; smtpd bound only to
 * address:port from master.cf; STARTTLS offered (smtpd_tls_security_level = may, RFC 3207) with
 * the given chain or a fresh self-signed one; every recipient of every domain delivered by
 * virtual(8) into one Maildir that the test reads back, with a Received: header that records
 * the TLS protocol. Started with `postfix -c DIR start-fg` (master in the foreground, in its own
 * process group), stopped with `postfix -c DIR stop`. Needs root, like any Postfix master.
 * Must never relay mail anywhere (every non-local transport is an error), look up DNS, or touch
 * /etc/postfix or /var/spool/postfix.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError, InteropErrorCode, tailLines } from './errors.ts';
import { makeSelfSignedCert } from './certs.ts';
import { assertLoopback } from './net.ts';
import { sleep } from './process.ts';
import {
  masterPid,
  postfixAccount,
  prepareLayout,
  renderMainCf,
  renderMasterCf,
  startInstance,
  type PostfixAccount,
  type PostfixLayout,
  type RunningInstance,
} from './postfix-instance.ts';
import { isRoot } from './tools.ts';
import { parseMaildirMessage, readMaildir } from './maildir.ts';
import type { ReceivedMessage } from './maildir.ts';

/** Options of {@link startPostfixReceiver}. */
export interface PostfixOptions {
  readonly address: string;
  readonly port: number;
  /** myhostname: the name in the greeting and in Received: headers. */
  readonly hostname: string;
  /** PEM certificate chain (leaf first); without it a self-signed one for `hostname` is made. */
  readonly certChainPemFile?: string;
  /** PEM private key of the chain's leaf (required together with certChainPemFile). */
  readonly keyFile?: string;
  /** Offer STARTTLS (default true). */
  readonly offerStartTls?: boolean;
  /** The test's directory; the instance lives in a subdirectory of it. */
  readonly dir: string;
  /** More main.cf parameters (name → value), applied last. */
  readonly mainCf?: Readonly<Record<string, string>>;
  /** Start-up deadline (default 30 s). */
  readonly timeoutMs?: number;
}

/** A running Postfix receiver. */
export interface PostfixReceiver {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  /** The Maildir every message is delivered to. */
  readonly maildir: string;
  readonly configDir: string;
  readonly logFile: string;
  /** The master's PID (its children are smtpd, cleanup, qmgr, virtual, …), if it runs. */
  masterPid(): number | undefined;
  /** The greeting line(s) smtpd sent when the instance came up. */
  readonly banner: string;
  /** Every message delivered so far, oldest first. */
  readMessages(): Promise<ReceivedMessage[]>;
  /** Polls until at least `count` messages are delivered (default deadline 15 s). */
  waitForMessages(count: number, options?: { readonly timeoutMs?: number }): Promise<ReceivedMessage[]>;
  /** Postfix's log so far. */
  log(): Promise<string>;
  /** `postfix stop`, then waits until the master and its children are gone. */
  stop(): Promise<void>;
}

/** The main.cf text (exported for tests). */
export function mainCf(
  options: PostfixOptions,
  layout: PostfixLayout,
  account: PostfixAccount,
  tls?: { cert: string; key: string },
): string {
  const v6 = options.address.includes(':');
  const params: [string, string][] = [
    ['compatibility_level', '3.6'],
    ['queue_directory', layout.queue],
    ['data_directory', layout.data],
    ['mail_owner', 'postfix'],
    ['setgid_group', 'postdrop'],
    ['myhostname', options.hostname],
    ['myorigin', '$myhostname'],
    ['mydestination', ''],
    // inet_interfaces must name a configured interface address; smtpd's own address comes
    // from master.cf, so this only keeps Postfix from binding anything else.
    ['inet_interfaces', v6 ? '[::1]' : '127.0.0.1'],
    ['inet_protocols', v6 ? 'ipv6' : 'ipv4'],
    ['mynetworks', '127.0.0.0/8 [::1]/128'],
    ['relayhost', ''],
    ['relay_domains', ''],
    ['default_transport', 'error:interop receiver relays nothing'],
    ['relay_transport', 'error:interop receiver relays nothing'],
    ['local_transport', 'error:interop receiver has no local delivery'],
    ['alias_maps', ''],
    ['alias_database', ''],
    ['biff', 'no'],
    ['disable_dns_lookups', 'yes'],
    ['smtp_dns_support_level', 'disabled'],
    ['smtpd_peername_lookup', 'no'],
    ['maillog_file', layout.log],
    ['maillog_file_prefixes', layout.work],
    ['virtual_mailbox_domains', 'static:all'],
    ['virtual_mailbox_base', layout.mail],
    ['virtual_mailbox_maps', 'static:inbox/'],
    ['virtual_uid_maps', `static:${account.uid}`],
    ['virtual_gid_maps', `static:${account.gid}`],
    ['virtual_minimum_uid', '1'],
    ['smtpd_banner', '$myhostname ESMTP Postfix (dane-mta interop)'],
    ['smtpd_relay_restrictions', 'permit_mynetworks, reject_unauth_destination'],
    ['smtpd_recipient_restrictions', 'permit_mynetworks, reject_unauth_destination'],
    ['smtpd_tls_security_level', tls === undefined ? 'none' : 'may'],
    ...(tls === undefined
      ? []
      : ([
          ['smtpd_tls_chain_files', `${tls.key}, ${tls.cert}`],
          ['smtpd_tls_received_header', 'yes'],
          ['smtpd_tls_loglevel', '1'],
        ] as [string, string][])),
    ...Object.entries(options.mainCf ?? {}),
  ];
  return renderMainCf(params);
}

/** The master.cf text: smtpd only on address:port, every service unchrooted (exported for tests). */
export function masterCf(options: Pick<PostfixOptions, 'address' | 'port'>): string {
  return renderMasterCf(options.address, options.port, ['virtual unix - n n - - virtual']);
}

async function tlsFiles(
  options: PostfixOptions,
  work: string,
): Promise<{ cert: string; key: string } | undefined> {
  if (options.offerStartTls === false) return undefined;
  if ((options.certChainPemFile === undefined) !== (options.keyFile === undefined)) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, 'certChainPemFile and keyFile go together');
  }
  if (options.certChainPemFile !== undefined && options.keyFile !== undefined) {
    return { cert: options.certChainPemFile, key: options.keyFile };
  }
  const made = await makeSelfSignedCert({ dir: work, commonName: options.hostname });
  return { cert: made.certFile, key: made.keyFile };
}

/** Configures, checks (`postfix check`) and starts an isolated Postfix; resolves after its greeting. */
export async function startPostfixReceiver(options: PostfixOptions): Promise<PostfixReceiver> {
  assertLoopback(options.address);
  if (!isRoot()) throw new InteropError(InteropErrorCode.NOT_ROOT, 'a Postfix instance needs root');
  const account = await postfixAccount();
  const layout = await prepareLayout({ ...options, prefix: 'postfix' }, account);
  const tls = await tlsFiles(options, layout.work);
  const run = await startInstance(layout, {
    ...options,
    mainCf: mainCf(options, layout, account, tls),
    masterCf: masterCf(options),
  });
  return receiver(options, layout, run);
}

function receiver(options: PostfixOptions, layout: PostfixLayout, run: RunningInstance): PostfixReceiver {
  const inbox = join(layout.mail, 'inbox');
  const readMessages = async (): Promise<ReceivedMessage[]> =>
    (await readMaildir(inbox)).map((m) => parseMaildirMessage(m.file, m.text));
  const log = (): Promise<string> => readFile(layout.log, 'utf8').catch(() => '');
  return {
    address: options.address,
    port: options.port,
    hostname: options.hostname,
    maildir: inbox,
    configDir: layout.conf,
    logFile: layout.log,
    masterPid: () => masterPid(layout.queue),
    banner: run.banner,
    readMessages,
    waitForMessages: async (count, opts = {}) => {
      const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
      for (;;) {
        const messages = await readMessages();
        if (messages.length >= count) return messages;
        if (Date.now() > deadline) {
          throw new InteropError(
            InteropErrorCode.TIMEOUT,
            `${run.name}: ${messages.length} of ${count} messages delivered: ${tailLines(await log(), 4)}`,
          );
        }
        await sleep(100);
      }
    },
    log,
    stop: run.stop,
  };
}
