/**
 * Test kit for intake: a started intake on our lab addresses (127.130.0.0/16 …, see the
 * address plan in test/interop/README.md) with an in-memory queue, a fixed clock and a seeded
 * random source; a scripted SMTP client that speaks raw lines (so tests can send what a real
 * client never would) and can do STARTTLS; and a throw-away certificate made with openssl.
 * Tests wait for intake's own events (accepted, rejected, disconnected), never for time.
 * Tests only.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { LimitsConfig, ListenConfig } from '../../src/config/index.ts';
import {
  startIntake,
  type Intake,
  type IntakeEvent,
  type IntakeOptions,
} from '../../src/smtp/server/index.ts';
import { ReplyParser, type Reply } from '../../src/smtp/protocol/index.ts';
import { FixedClock, seededRandom } from '../../src/util/index.ts';
import { MemoryQueue, standInQueueId } from '../helpers/memory-queue.ts';
import { leafExt, OpensslPki } from '../helpers/openssl-pki.ts';
import { requireTools } from '../interop/index.ts';

export const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

export const LIMITS: LimitsConfig = {
  message_size: 100_000,
  recipients: 10,
  received_headers: 50,
  connections: 20,
  command_timeout: 60_000,
};

export function relay(host: string, networks: string[], tls: ListenConfig['tls'] = null): ListenConfig {
  return { address: { host, port: 0 }, mode: 'relay', networks, tls, users: null };
}

export function submission(host: string, tls: NonNullable<ListenConfig['tls']>, users: string): ListenConfig {
  return { address: { host, port: 0 }, mode: 'submission', networks: [], tls, users };
}

/** A started intake and what the test observes of it. */
export interface Running {
  intake: Intake;
  queue: MemoryQueue;
  events: IntakeEvent[];
  /** Resolves with the next event of this type (already seen ones count from `seen`). */
  waitFor(type: IntakeEvent['type'], count?: number): Promise<IntakeEvent[]>;
  port(i?: number): number;
  host(i?: number): string;
}

export async function startTestIntake(
  t: TestContext,
  listen: ListenConfig[],
  over: Partial<IntakeOptions> = {},
): Promise<Running> {
  const queue = new MemoryQueue();
  const events: IntakeEvent[] = [];
  const waiters: { type: IntakeEvent['type']; count: number; resolve: (e: IntakeEvent[]) => void }[] = [];
  const check = () => {
    for (const w of waiters.splice(0)) {
      const got = events.filter((e) => e.type === w.type);
      if (got.length >= w.count) w.resolve(got);
      else waiters.push(w);
    }
  };
  const intake = await startIntake({
    listen,
    hostname: 'mta.intake.test',
    limits: LIMITS,
    queue,
    newId: standInQueueId,
    clock: new FixedClock(NOW),
    random: seededRandom(27),
    onEvent: (e) => {
      events.push(e);
      check();
    },
    ...over,
  });
  t.after(() => intake.close({ graceMs: 0 }));
  return {
    intake,
    queue,
    events,
    waitFor: (type, count = 1) =>
      new Promise((resolve) => {
        waiters.push({ type, count, resolve });
        check();
      }),
    port: (i = 0) => intake.listeners[i]!.port,
    host: (i = 0) => intake.listeners[i]!.host,
  };
}

/** A raw SMTP client: write lines, read whole replies. */
export class SmtpTestClient {
  #socket: Socket | TLSSocket;
  #parser = new ReplyParser();
  #replies: Reply[] = [];
  #waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  #ended = false;
  readonly closed: Promise<void>;
  #closedResolve!: () => void;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => (this.#closedResolve = resolve));
    this.#attach(socket);
  }

  static async connect(
    host: string,
    port: number,
    localAddress?: string,
  ): Promise<{ client: SmtpTestClient; greeting: Reply }> {
    const socket = netConnect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
    const client = new SmtpTestClient(socket);
    const greeting = await client.reply();
    return { client, greeting };
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      const { replies, error } = this.#parser.push(chunk);
      this.#replies.push(...replies);
      this.#deliver();
      if (error !== undefined) socket.destroy(error);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#ended = true;
      this.#deliver();
      this.#closedResolve();
    });
  }

  #deliver(): void {
    while (this.#waiters.length > 0 && this.#replies.length > 0)
      this.#waiters.shift()!.resolve(this.#replies.shift()!);
    if (this.#ended) for (const w of this.#waiters.splice(0)) w.reject(new Error('connection closed'));
  }

  /** The next reply. */
  reply(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#deliver();
    });
  }

  write(data: string | Uint8Array): void {
    this.#socket.write(data);
  }

  /** Send one command line and read its reply. */
  command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** DATA, then `body` (already dot-stuffed, CRLF line ends), then the final dot. */
  async data(body: string | Uint8Array): Promise<Reply> {
    const go = await this.command('DATA');
    if (go.code !== 354) return go;
    this.write(body);
    this.write('.\r\n');
    return this.reply();
  }

  /** STARTTLS and the TLS handshake (any certificate accepted: this tests intake, not PKI). */
  async starttls(): Promise<Reply> {
    const r = await this.command('STARTTLS');
    if (r.code !== 220) return r;
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'mta.intake.test' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.#socket = secure;
    this.#parser = new ReplyParser();
    this.#attach(secure);
    return r;
  }

  /** Close without QUIT (a client that goes away). */
  destroy(): void {
    this.#socket.destroy();
  }
}

/** A certificate for mta.intake.test, or undefined (and the test skipped) without openssl. */
export function testCertificate(t: TestContext): { cert: string; key: string } | undefined {
  if (!requireTools(t, ['openssl'])) return undefined;
  const pki = new OpensslPki();
  t.after(() => {
    pki.cleanup();
  });
  const leaf = pki.selfSigned('intake', {
    subject: '/CN=mta.intake.test',
    ext: leafExt(['mta.intake.test']),
  });
  return { cert: leaf.certFile, key: leaf.keyFile };
}

/** The stored message body as text. */
export function bodyText(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}
