/**
 * A scripted loopback SMTP server for client tests, driven by S:/C: transcripts: it sends the
 * server lines, checks each client line against the script (exact text or /regex/), can read
 * a DATA body, do STARTTLS with a throwaway certificate, stall, sleep, close, send garbage,
 * raw bytes, byte-by-byte replies or an endless multi-line reply. It records everything the
 * client sent. Throwaway certificates come from test-pki.ts (made in-process).
 * Must never: listen on anything but loopback; run without bound (every loop and wait stops).
 */
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { TestPki as InProcessPki, caExt, leafExt } from './test-pki.ts';

/** One step of a script. */
export type Step =
  | { s: string } // send a line (CRLF added)
  | { c: string | RegExp } // expect a client line: exact text, a regex, or '*' for any
  | { raw: string | Uint8Array } // send bytes as they are
  | { bytewise: string } // send bytes one at a time, each in its own write
  | { data: true } // read a DATA body up to and including the lone dot
  | { chunk: number } // read a BDAT chunk of exactly this many octets (RFC 3030)
  | { starttls: true } // TLS handshake as server (needs the `tls` option)
  | { stall: true } // do nothing until the client goes away
  | { sleep: number } // wait ms
  | { close: true } // close the connection
  | { reset: true } // destroy the connection at once (RST when data is unread)
  | { pause: true } // stop reading from the socket (the client's writes back up)
  | { resume: true } // read again (a paused socket cannot see the client close)
  | { endless: string } // send this line (e.g. `250-spam`) forever, until the client goes away
  | { flood: { octets: number; chunk: string } } // send `chunk` again and again, `octets` in all
  | { mark: string } // call the `onMark` option with this name (a test waits for it)
  | { wait: string } // wait until the test calls `release(name)`
  | { waitData: true }; // wait until the client has sent something (left unread)

/**
 * Parse a text script, one step a line: `S: text`, `C: text`, `C: /regex/flags`, `C: *`,
 * `RAW: "json string"`, `BYTEWISE: "json string"`, `DATA`, `STARTTLS`, `STALL`,
 * `SLEEP ms`, `CLOSE`, `RESET`, `PAUSE`, `RESUME`, `ENDLESS: line`, `FLOOD: octets "json string"`,
 * `MARK: name`, `WAIT: name`, `WAITDATA`, `CHUNK: octets` (a BDAT chunk). Blank lines and `#` comments are skipped.
 */
export function parseScript(text: string): Step[] {
  const steps: Step[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    steps.push(parseStep(line));
  }
  return steps;
}

function parseStep(line: string): Step {
  const m = /^([A-Z]+)(?::\s?(.*))?$/s.exec(line) ?? /^(SLEEP)\s+(\d+)$/.exec(line);
  const [, word, arg = ''] = m ?? [];
  switch (word) {
    case 'S':
      return { s: arg };
    case 'C': {
      const re = /^\/(.*)\/([a-z]*)$/s.exec(arg);
      return { c: re === null ? arg : new RegExp(re[1] ?? '', re[2]) };
    }
    case 'RAW':
      return { raw: JSON.parse(arg) as string };
    case 'BYTEWISE':
      return { bytewise: JSON.parse(arg) as string };
    case 'ENDLESS':
      return { endless: arg };
    case 'FLOOD': {
      const f = /^(\d+)\s+(".*")$/s.exec(arg);
      if (f === null)
        throw new Error(`fake-smtp-server: FLOOD wants 'octets "chunk"', got ${JSON.stringify(arg)}`);
      return { flood: { octets: Number(f[1]), chunk: JSON.parse(f[2] ?? '""') as string } };
    }
    case 'MARK':
      return { mark: arg };
    case 'WAIT':
      return { wait: arg };
    case 'WAITDATA':
      return { waitData: true };
    case 'DATA':
      return { data: true };
    case 'CHUNK':
      return { chunk: Number(arg) };
    case 'STARTTLS':
      return { starttls: true };
    case 'STALL':
      return { stall: true };
    case 'CLOSE':
      return { close: true };
    case 'RESET':
      return { reset: true };
    case 'PAUSE':
      return { pause: true };
    case 'RESUME':
      return { resume: true };
    case 'SLEEP':
      return { sleep: Number(arg) };
    default:
      throw new Error(`fake-smtp-server: cannot parse script line ${JSON.stringify(line)}`);
  }
}

/** Options of the fake server. */
export interface FakeServerOptions {
  script: string | readonly Step[];
  /** Loopback address to listen on (default 127.0.0.1; '::1' for IPv6). */
  host?: string;
  /** Key and certificate chain (PEM) for STARTTLS. */
  tls?: { key: string; cert: string; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion };
  /** How long to keep recording after the script ended, until the client closes (ms, default 1000). */
  lingerMs?: number;
  /** Called when the script reaches a `MARK: name` step. */
  onMark?: (name: string) => void;
}

/** A running fake server and what it saw. */
export interface FakeSmtpServer {
  host: string;
  port: number;
  /** Every line the client sent (without CRLF), excluding DATA bodies. */
  received: string[];
  /** Each DATA body exactly as it came over the wire (dot-stuffed, ending in `.\r\n`). */
  bodies: Buffer[];
  /** Script violations: unexpected lines, early close, TLS trouble. */
  errors: string[];
  /** Lines that were already waiting when the server answered an earlier command. */
  sentAhead: string[];
  /** Lines that came after the script ended. */
  extra: string[];
  /** SNI name the client sent in the TLS handshake (undefined: none, or no TLS). */
  servername: string | undefined;
  /** Number of connections accepted. */
  connections: number;
  /** The client address of each connection. */
  remoteAddresses: string[];
  /** Resolves when the first connection has closed. */
  done: Promise<void>;
  /** Let every script waiting in `WAIT: name` go on. */
  release(name: string): void;
  close(): Promise<void>;
}

/** Start a fake server on loopback, port 0. Each connection runs the script from the start. */
export async function startFakeSmtpServer(options: FakeServerOptions): Promise<FakeSmtpServer> {
  const steps = typeof options.script === 'string' ? parseScript(options.script) : options.script;
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  let resolveDone = (): void => undefined;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const netServer = net.createServer({ allowHalfOpen: true });
  const released = new Set<string>();
  const waiters = new Map<string, (() => void)[]>();
  const state: FakeSmtpServer = {
    host,
    port: 0,
    received: [],
    bodies: [],
    errors: [],
    sentAhead: [],
    extra: [],
    servername: undefined,
    connections: 0,
    remoteAddresses: [],
    done,
    release: (name) => {
      released.add(name);
      for (const w of waiters.get(name) ?? []) w();
      waiters.delete(name);
    },
    close: async () => {
      for (const list of waiters.values()) for (const w of list) w();
      waiters.clear();
      for (const s of sockets) s.destroy();
      netServer.close();
      await once(netServer, 'close').catch(() => undefined);
    },
  };
  netServer.on('connection', (socket) => {
    state.connections++;
    state.remoteAddresses.push(socket.remoteAddress ?? '');
    sockets.add(socket);
    const first = state.connections === 1;
    const waitReleased = (name: string): Promise<void> =>
      released.has(name)
        ? Promise.resolve()
        : new Promise((resolve) => waiters.set(name, [...(waiters.get(name) ?? []), resolve]));
    const session = new Session(socket, state, { ...options, released: waitReleased });
    void session.run(steps).finally(() => {
      sockets.delete(socket);
      if (first) resolveDone();
    });
  });
  netServer.listen({ host, port: 0 });
  await once(netServer, 'listening');
  state.port = (netServer.address() as net.AddressInfo).port;
  return state;
}

class Session {
  #socket: net.Socket;
  readonly #released: (name: string) => Promise<void>;
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #st: FakeSmtpServer;
  readonly #opts: FakeServerOptions;

  constructor(
    socket: net.Socket,
    st: FakeSmtpServer,
    opts: FakeServerOptions & { released: (name: string) => Promise<void> },
  ) {
    this.#socket = socket;
    this.#st = st;
    this.#opts = opts;
    this.#released = opts.released;
    this.#listen(socket);
  }

  #listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on('end', () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on('error', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  async run(steps: readonly Step[]): Promise<void> {
    try {
      for (const step of steps) {
        if (!(await this.#step(step))) return;
      }
      await this.#linger();
    } catch (err) {
      this.#st.errors.push(`fake server: ${(err as Error).message}`);
    } finally {
      this.#socket.destroy();
    }
  }

  /** Run one step; false stops the script. */
  async #step(step: Step): Promise<boolean> {
    if ('s' in step) return this.#send(`${step.s}\r\n`);
    if ('raw' in step) return this.#send(step.raw);
    if ('bytewise' in step) return this.#bytewise(step.bytewise);
    if ('c' in step) return this.#expect(step.c);
    if ('data' in step) return this.#data();
    if ('chunk' in step) return this.#chunk(step.chunk);
    if ('starttls' in step) return this.#starttls();
    if ('stall' in step) {
      await this.#waitFor(() => (this.#closed ? true : undefined), 60_000);
      return false;
    }
    if ('sleep' in step) {
      await new Promise((r) => setTimeout(r, step.sleep));
      return true;
    }
    if ('endless' in step) return this.#endless(step.endless);
    if ('flood' in step) return this.#flood(step.flood.octets, step.flood.chunk);
    if ('mark' in step) {
      this.#opts.onMark?.(step.mark);
      return true;
    }
    if ('wait' in step) {
      await this.#released(step.wait);
      return !this.#closed;
    }
    if ('waitData' in step) {
      await this.#waitFor(() => (this.#buffer.length > 0 ? true : undefined), 30_000);
      return !this.#closed || this.#buffer.length > 0;
    }
    if ('pause' in step) {
      this.#socket.pause();
      return true;
    }
    if ('reset' in step) {
      this.#socket.destroy();
      return false;
    }
    if ('resume' in step) {
      this.#socket.resume();
      return true;
    }
    this.#socket.end();
    await this.#waitFor(() => (this.#closed ? true : undefined), 2000).catch(() => undefined);
    return false;
  }

  #send(data: string | Uint8Array): boolean {
    if (this.#closed) return false;
    // Lines already complete in the buffer were sent before this reply: pipelining evidence.
    for (const line of this.#peekLines()) this.#st.sentAhead.push(line);
    this.#socket.write(data);
    return true;
  }

  async #bytewise(text: string): Promise<boolean> {
    for (const byte of Buffer.from(text, 'utf8')) {
      if (this.#closed) return false;
      this.#socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    return true;
  }

  async #expect(want: string | RegExp): Promise<boolean> {
    const line = await this.#readLine();
    if (line === undefined) {
      this.#st.errors.push(`client closed; expected ${String(want)}`);
      return false;
    }
    this.#st.received.push(line);
    const ok = want === '*' || (typeof want === 'string' ? line === want : want.test(line));
    if (ok) return true;
    this.#st.errors.push(`expected ${String(want)}, got ${JSON.stringify(line)}`);
    this.#socket.write('500 5.5.2 fake server: unexpected command\r\n');
    return false;
  }

  async #data(): Promise<boolean> {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await this.#waitFor(() => this.#takeLine(), 30_000);
      if (line === undefined) {
        this.#st.errors.push('client closed during DATA');
        return false;
      }
      parts.push(line);
      if (line.equals(Buffer.from('.\r\n'))) break;
    }
    this.#st.bodies.push(Buffer.concat(parts));
    return true;
  }

  async #chunk(octets: number): Promise<boolean> {
    const chunk = await this.#waitFor(() => {
      if (this.#buffer.length < octets) return undefined;
      const taken = Buffer.from(this.#buffer.subarray(0, octets));
      this.#buffer = this.#buffer.subarray(octets);
      return taken;
    }, 30_000).catch(() => undefined);
    if (chunk === undefined) {
      this.#st.errors.push('client closed during a BDAT chunk');
      return false;
    }
    this.#st.bodies.push(chunk);
    return true;
  }

  async #starttls(): Promise<boolean> {
    const t = this.#opts.tls;
    if (t === undefined) throw new Error('STARTTLS step without the tls option');
    if (this.#buffer.length > 0) this.#st.errors.push('client sent data before the TLS handshake');
    const plain = this.#socket;
    plain.removeAllListeners('data');
    const secure = new tls.TLSSocket(plain, {
      isServer: true,
      secureContext: tls.createSecureContext({
        key: t.key,
        cert: t.cert,
        ...(t.minVersion === undefined ? {} : { minVersion: t.minVersion }),
        ...(t.maxVersion === undefined ? {} : { maxVersion: t.maxVersion }),
      }),
    });
    this.#socket = secure;
    this.#buffer = Buffer.alloc(0);
    this.#listen(secure);
    const ok = await new Promise<boolean>((resolve) => {
      secure.once('secure', () => {
        resolve(true);
      });
      secure.once('error', () => {
        resolve(false);
      });
      secure.once('close', () => {
        resolve(false);
      });
    });
    if (ok)
      this.#st.servername =
        (secure as tls.TLSSocket & { servername?: string | false }).servername || undefined;
    return ok;
  }

  async #endless(line: string): Promise<boolean> {
    const chunk = `${line}\r\n`.repeat(64);
    for (let i = 0; i < 20_000 && !this.#closed; i++) {
      if (!this.#socket.write(chunk)) {
        await this.#waitFor(() => (this.#closed ? true : undefined), 100).catch(() => undefined);
      }
      await new Promise((r) => setImmediate(r));
    }
    return false;
  }

  /** Write `chunk` until `octets` went out (each write waits for the socket to drain). */
  async #flood(octets: number, chunk: string): Promise<boolean> {
    const block = Buffer.from(chunk.repeat(Math.max(1, Math.floor(65_536 / Math.max(chunk.length, 1)))));
    for (let sent = 0; sent < octets; sent += block.length) {
      if (this.#closed) return false;
      if (!this.#socket.write(block)) {
        const socket = this.#socket;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
      }
    }
    return !this.#closed;
  }

  async #linger(): Promise<void> {
    const until = Date.now() + (this.#opts.lingerMs ?? 1000);
    const keep = (line: Buffer): void => {
      this.#st.extra.push(line.toString('utf8').replace(/\r?\n$/, ''));
    };
    while (!this.#closed && Date.now() < until) {
      const line = await this.#waitFor(() => this.#takeLine(), until - Date.now()).catch(() => undefined);
      if (line !== undefined) keep(line);
    }
    // Lines that came in with the client's close are still recorded.
    for (let line = this.#takeLine(); line !== undefined; line = this.#takeLine()) keep(line);
  }

  #peekLines(): string[] {
    const text = this.#buffer.toString('utf8');
    const parts = text.split('\n');
    parts.pop();
    return parts.map((l) => l.replace(/\r$/, ''));
  }

  /** The next complete line including its LF, or undefined (null-ish: closed with none left). */
  #takeLine(): Buffer | undefined {
    const lf = this.#buffer.indexOf(0x0a);
    if (lf === -1) return undefined;
    const line = this.#buffer.subarray(0, lf + 1);
    this.#buffer = this.#buffer.subarray(lf + 1);
    return Buffer.from(line);
  }

  async #readLine(): Promise<string | undefined> {
    const line = await this.#waitFor(() => this.#takeLine(), 30_000).catch(() => undefined);
    return line?.toString('utf8').replace(/\r?\n$/, '');
  }

  /** Wait until `check` gives a value; undefined when the connection closed first. */
  #waitFor<T>(check: () => T | undefined, ms: number): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#wake = undefined;
          reject(new Error(`waited ${ms} ms for the client`));
        },
        Math.max(ms, 0),
      );
      const attempt = (): void => {
        const v = check();
        if (v === undefined && !this.#closed) return;
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(v);
      };
      this.#wake = attempt;
      attempt();
    });
  }
}

/** Throwaway PKI for STARTTLS tests: a CA, a leaf it signed for `mx.test`, a self-signed cert. */
export interface TestPki {
  caCert: string;
  leafKey: string;
  leafCert: string;
  /** Leaf then CA, as a server sends them. */
  chain: string;
  /** A self-signed certificate and its key (no CA). */
  selfSignedKey: string;
  selfSignedCert: string;
}

let cachedPki: TestPki | undefined;

/** Make (once per process, in-process) P-256 certificates valid for one day. */
export function makeTestPki(): TestPki {
  if (cachedPki !== undefined) return cachedPki;
  const pki = new InProcessPki();
  try {
    const ca = pki.selfSigned('ca', { subject: '/CN=Fake Test CA', days: 1, ext: caExt() });
    const leaf = pki.issue('leaf', ca, { subject: '/CN=mx.test', days: 1, ext: leafExt(['mx.test']) });
    const self = pki.selfSigned('self', { subject: '/CN=self.test', days: 1, ext: leafExt(['self.test']) });
    cachedPki = {
      caCert: ca.pem,
      leafKey: leaf.keyPem,
      leafCert: leaf.pem,
      chain: leaf.pem + ca.pem,
      selfSignedKey: self.keyPem,
      selfSignedCert: self.pem,
    };
    return cachedPki;
  } finally {
    pki.cleanup();
  }
}

/**
 * Start a fake server, run `client` against it, wait (at most 3 s) for the scripted connection
 * to end if there was one, close the server. Returns the client's value and the server's record.
 */
export async function withFakeServer<T>(
  options: FakeServerOptions,
  client: (server: FakeSmtpServer) => Promise<T>,
): Promise<{ value: T; server: FakeSmtpServer }> {
  const server = await startFakeSmtpServer(options);
  try {
    const value = await client(server);
    if (server.connections > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([server.done, new Promise((r) => (timer = setTimeout(r, 3000)))]);
      clearTimeout(timer);
    }
    return { value, server };
  } finally {
    await server.close();
  }
}

/** An EHLO reply block for a script: `S: 250-fake.test` then one line per extension. */
export function ehloLines(...extensions: string[]): string {
  const lines = ['fake.test', ...extensions];
  return lines.map((l, i) => `S: 250${i === lines.length - 1 ? ' ' : '-'}${l}`).join('\n');
}
