/**
 * Test support for the lab's receiving MX servers: a minimal line-oriented SMTP client
 * (node:net, node:tls) with STARTTLS and dot-stuffed DATA, a private CA with a leaf for
 * mx1.example.org valid at the real time (Node's TLS client checks validity against it), and a
 * helper that runs a body against a fresh receiver and closes it. Loopback only.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { chainPem, createCa, issueLeaf, type LabCert } from '../../src/lab/pki/certs.ts';
import { startReceiver, type Receiver, type StartReceiverOptions } from '../../src/lab/smtp/receivers.ts';

export const DAY = 86_400_000;
export const NOW = Date.now();
export const root = createCa({ name: 'Lab Root', notBefore: NOW - DAY, notAfter: NOW + 30 * DAY });
export const inter = createCa({
  name: 'Lab Intermediate',
  issuer: root,
  notBefore: NOW - DAY,
  notAfter: NOW + 30 * DAY,
});
export const leaf = issueLeaf({
  issuer: inter,
  dnsNames: ['mx1.example.org'],
  notBefore: NOW - DAY,
  notAfter: NOW + 30 * DAY,
});

/** Receiver credentials for `cert` sending `include`. */
export function tlsFor(
  cert: LabCert,
  include: 'leaf' | 'leaf+intermediates' | 'full' = 'leaf+intermediates',
) {
  return { key: cert.key.privateKey, certChainPem: chainPem(cert, { include }) };
}

export interface Reply {
  code: number;
  lines: string[];
}

/** A minimal line-oriented SMTP client for the tests. */
export class TestClient {
  socket: Socket | TLSSocket;
  #buffer = '';
  #lines: string[] = [];
  #waiters: ((line: string | undefined) => void)[] = [];
  #closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
    this.#attach(socket);
  }

  static async open(receiver: Receiver): Promise<TestClient> {
    const socket = netConnect({ host: receiver.address, port: receiver.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let i;
      while ((i = this.#buffer.indexOf('\r\n')) >= 0) {
        this.#push(this.#buffer.slice(0, i));
        this.#buffer = this.#buffer.slice(i + 2);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      for (const w of this.#waiters.splice(0)) w(undefined);
    });
  }

  #push(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(line);
    else this.#lines.push(line);
  }

  #line(): Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined || this.#closed) return Promise.resolve(line);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The next (possibly multi-line) reply; code 0 when the server closed the connection. */
  async reply(): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.#line();
      if (line === undefined) return { code: 0, lines };
      lines.push(line);
      if (line[3] !== '-') return { code: Number(line.slice(0, 3)), lines };
    }
  }

  async cmd(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** STARTTLS and the handshake; resolves with the TLS socket or the handshake error. */
  async startTls(options: ConnectionOptions): Promise<{ reply: Reply; socket?: TLSSocket; error?: Error }> {
    const reply = await this.cmd('STARTTLS');
    if (reply.code !== 220) return { reply };
    const raw = this.socket;
    raw.removeAllListeners('data');
    const tls = tlsConnect({ ...options, socket: raw });
    return new Promise((resolve) => {
      tls.once('secureConnect', () => {
        this.socket = tls;
        this.#attach(tls);
        resolve({ reply, socket: tls });
      });
      tls.once('error', (error) => {
        resolve({ reply, error });
      });
    });
  }

  /** DATA with dot-stuffing; returns the reply after the final dot. */
  async data(body: string): Promise<Reply> {
    const go = await this.cmd('DATA');
    if (go.code !== 354) return go;
    const stuffed = body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Run `body` against a fresh receiver on 127.0.0.1 (or `opts.address`), then close it. */
export async function withReceiver(
  opts: Partial<StartReceiverOptions>,
  body: (r: Receiver) => Promise<void>,
): Promise<Receiver> {
  const receiver = await startReceiver({ address: '127.0.0.1', hostname: 'mx1.example.org', ...opts });
  try {
    await body(receiver);
  } finally {
    await receiver.close();
  }
  return receiver;
}

/** Client TLS options trusting the test root. */
export const clientTls = (servername: string): ConnectionOptions => ({ servername, ca: [root.pem] });
