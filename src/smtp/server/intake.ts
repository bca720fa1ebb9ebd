/**
 * SMTP intake (DESIGN.md "The daemon (C6)"): the configured listeners on smtp-server —
 * `relay` (clients in `networks` relay without AUTH; STARTTLS offered when a certificate is
 * configured) and `submission` (RFC 6409: STARTTLS, then AUTH PLAIN/LOGIN against the users
 * file) — with SIZE (RFC 1870), PIPELINING (RFC 2920), 8BITMIME (RFC 6152), SMTPUTF8
 * (RFC 6531), ENHANCEDSTATUSCODES (RFC 2034), DSN (RFC 3461) and, on TLS sessions, REQUIRETLS
 * (RFC 8689 §4). Messages go to `queue.enqueue`; the reply is `250 2.0.0 Ok: queued as ID`.
 * `close({ graceMs })` stops accepting, ends idle sessions, lets messages in DATA finish (up to
 * the grace period), then ends the rest.
 * Must never: reverse-resolve clients (no DNS from intake), offer STARTTLS with the library's
 * built-in test certificate, relay for a client outside `networks` without AUTH.
 */
import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import type { SMTPServerOptions } from 'smtp-server';
import type { LimitsConfig, ListenConfig } from '../../config/index.ts';
import { parseCidr } from '../../config/index.ts';
import type { QueueStore } from '../../queue/index.ts';
import { describeError, MtaError, type Clock, type Random } from '../../util/index.ts';
import type { IntakeEvent } from './channels.ts';
import { IntakeServer } from './connection.ts';
import type { ListenerContext, SessionState } from './context.ts';
import { hooks } from './handlers.ts';
import { loadUsers } from './users.ts';

export interface IntakeOptions {
  /** The `listen` entries of the configuration. */
  listen: readonly ListenConfig[];
  /** Greeting, EHLO and Received: name. */
  hostname: string;
  limits: LimitsConfig;
  /** Where messages go; `enqueue` resolves once they are durable. */
  queue: Pick<QueueStore, 'enqueue'>;
  /** Queue ids (src/queue's `newQueueId`). */
  newId: (now: number, random: Random) => string;
  clock: Clock;
  random: Random;
  /** Called for every accepted message and every refusal (also on diagnostics_channel). */
  onEvent?: (event: IntakeEvent) => void;
}

export interface BoundListener {
  /** `IP:port` as bound (`[::1]:587` for IPv6); port 0 in the configuration is resolved. */
  name: string;
  host: string;
  port: number;
  mode: 'relay' | 'submission';
}

export interface Intake {
  listeners: BoundListener[];
  /** Stop accepting, let messages in DATA finish within `graceMs` (default 30 s), end the rest. */
  close(opts?: { graceMs?: number }): Promise<void>;
}

/** A listener that cannot start (unreadable certificate, users file, address in use). */
export class IntakeError extends MtaError<'INTAKE_ERR_START'> {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('INTAKE_ERR_START', message, options);
    this.name = 'IntakeError';
  }
}

/** Smallest command-line limit that still fits AUTH PLAIN with a long password. */
const MAX_COMMAND_LINE = 8192;

function networksOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of cidrs) {
    const r = parseCidr(text);
    if (r.ok) list.addSubnet(r.value.address, r.value.prefix, r.value.family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function hostPortText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function tlsOptions(l: ListenConfig, where: string): { key: Buffer; cert: Buffer } | undefined {
  if (l.tls === null) return undefined;
  try {
    return { key: readFileSync(l.tls.key), cert: readFileSync(l.tls.cert) };
  } catch (e) {
    throw new IntakeError(`${where}: cannot read the TLS certificate or key (${describeError(e)})`, {
      cause: e,
    });
  }
}

function serverOptions(l: ListenConfig, ctx: ListenerContext, where: string): SMTPServerOptions {
  const tls = tlsOptions(l, where);
  const disabled = ['WIZ', 'SHELL', 'KILL', 'XCLIENT', 'XFORWARD'];
  if (l.mode === 'relay') disabled.push('AUTH');
  if (tls === undefined) disabled.push('STARTTLS');
  return {
    ...(tls ?? {}),
    name: ctx.hostname,
    banner: 'dane-mta',
    size: ctx.limits.message_size,
    hideSTARTTLS: false,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    // Offered only on a TLS session (the library shows it only when secure), RFC 8689 §4.
    hideREQUIRETLS: false,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: l.mode === 'relay',
    allowInsecureAuth: false,
    disabledCommands: disabled,
    disableReverseLookup: true,
    maxClients: ctx.limits.connections,
    socketTimeout: ctx.limits.command_timeout,
    maxCommandLength: MAX_COMMAND_LINE,
    logger: false,
    ...hooks(ctx),
  };
}

function listenOn(server: IntakeServer, host: string, port: number, where: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      reject(
        new IntakeError(`${where}: cannot listen on ${hostPortText(host, port)} (${describeError(e)})`, {
          cause: e,
        }),
      );
    };
    server.server.once('error', onError);
    server.server.listen(port, host, () => {
      server.server.off('error', onError);
      const info = server.server.address();
      resolve(typeof info === 'object' && info !== null ? info.port : port);
    });
  });
}

interface Running {
  server: IntakeServer;
  ctx: ListenerContext;
  bound: BoundListener;
}

async function startListener(l: ListenConfig, index: number, opts: IntakeOptions): Promise<Running> {
  const where = `listen[${index}]`;
  let users;
  if (l.users !== null) {
    try {
      users = loadUsers(l.users);
    } catch (e) {
      throw new IntakeError(`${where}: ${describeError(e)}`, { cause: e });
    }
  }
  const ctx: ListenerContext = {
    name: hostPortText(l.address.host, l.address.port),
    mode: l.mode,
    networks: networksOf(l.networks),
    users,
    hostname: opts.hostname,
    limits: opts.limits,
    queue: opts.queue,
    newId: opts.newId,
    clock: opts.clock,
    random: opts.random,
    onEvent: opts.onEvent,
    sessions: new Map<string, SessionState>(),
    inflight: new Set(),
  };
  let server: IntakeServer;
  try {
    server = new IntakeServer(serverOptions(l, ctx, where));
  } catch (e) {
    if (e instanceof IntakeError) throw e;
    throw new IntakeError(`${where}: bad TLS certificate or key (${describeError(e)})`, { cause: e });
  }
  // Connection-level failures (a client resetting, a failed handshake) are the client's; the
  // session ends and nothing was stored. Without a listener they would crash the process.
  server.on('error', () => undefined);
  const port = await listenOn(server, l.address.host, l.address.port, where);
  ctx.name = hostPortText(l.address.host, port);
  return { server, ctx, bound: { name: ctx.name, host: l.address.host, port, mode: l.mode } };
}

async function closeListener(r: Running, graceMs: number): Promise<void> {
  r.server.options.closeTimeout = Math.max(1, graceMs);
  const closed = new Promise<void>((resolve) => {
    r.server.close(() => {
      resolve();
    });
  });
  // Sessions not in DATA end now; the library answers any later command with 421 as well.
  for (const conn of r.server.connections) {
    if (r.ctx.sessions.get(conn.id)?.inData !== true) conn.send(421, '4.3.2 Service shutting down');
  }
  await closed;
  await Promise.allSettled([...r.ctx.inflight]);
}

/** Start every configured listener; rejects with IntakeError (and starts none) on failure. */
export async function startIntake(opts: IntakeOptions): Promise<Intake> {
  const running: Running[] = [];
  try {
    for (const [i, l] of opts.listen.entries()) running.push(await startListener(l, i, opts));
  } catch (e) {
    await Promise.all(running.map((r) => closeListener(r, 0)));
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    listeners: running.map((r) => r.bound),
    close: (o = {}) => {
      closing ??= Promise.all(running.map((r) => closeListener(r, o.graceMs ?? 30_000))).then(
        () => undefined,
      );
      return closing;
    },
  };
}
