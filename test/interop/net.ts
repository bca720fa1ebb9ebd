/**
 * Loopback address plan and readiness probes of the interop tests. Each test file owns one
 * number N (1–254, registered in test/interop/README.md) and with it 127.53.N.0/24 for DNS
 * servers and 127.25.N.0/24 for SMTP servers, so test files that run in parallel never share
 * an address:port. Readiness is polled (a DNS query, a TCP connect) with a deadline.
 * Must never send a packet to anything but a loopback address.
 */
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { isIPv4 } from 'node:net';
import { InteropError, InteropErrorCode } from './errors.ts';
import { sleep } from './process.ts';

/** The addresses one test file may use. */
export interface AddressPlan {
  readonly fileId: number;
  /** 127.53.N.host: authoritative servers and resolvers. */
  dns(host: number): string;
  /** 127.25.N.host: SMTP servers (receiving MXs). */
  smtp(host: number): string;
}

function octet(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 254) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `${what} must be an integer 1-254, got ${value}`);
  }
  return value;
}

/** The address plan of test file number `fileId` (see README.md for the registry of numbers). */
export function addressPlan(fileId: number): AddressPlan {
  const n = octet(fileId, 'test-file id');
  return {
    fileId: n,
    dns: (host) => `127.53.${n}.${octet(host, 'DNS host number')}`,
    smtp: (host) => `127.25.${n}.${octet(host, 'SMTP host number')}`,
  };
}

/** Throws INTEROP_ERR_BAD_ARGUMENT unless `address` is an IPv4 loopback address or ::1. */
export function assertLoopback(address: string): void {
  const ok = address === '::1' || (isIPv4(address) && address.startsWith('127.'));
  if (!ok) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `not a loopback address: ${address}`);
  }
}

/**
 * A port that is free for both TCP and UDP on `address` right now (bound to port 0 by the
 * kernel, then released). Use it for daemons that cannot listen on port 0 themselves.
 */
export async function freePort(address: string): Promise<number> {
  assertLoopback(address);
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, address, () => {
        const info = server.address();
        server.close(() => {
          resolve(typeof info === 'object' && info !== null ? info.port : 0);
        });
      });
    });
    if (port > 0 && (await udpPortFree(address, port))) return port;
  }
  throw new InteropError(InteropErrorCode.START_FAILED, `no free port found on ${address}`);
}

function udpPortFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    sock.on('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, address, () => {
      sock.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * Throws INTEROP_ERR_START_FAILED when address:port is already taken (TCP, and UDP if asked) —
 * e.g. by a daemon left over from an interrupted run, which would otherwise answer the
 * readiness probe of a new one. A port this process may not bind (EACCES) is not checked.
 */
export async function assertPortFree(
  address: string,
  port: number,
  options: { readonly udp?: boolean } = {},
): Promise<void> {
  assertLoopback(address);
  const tcp = await new Promise<string | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(err.code);
    });
    server.listen({ port, host: address, exclusive: true }, () => {
      server.close(() => {
        resolve(undefined);
      });
    });
  });
  const udp = options.udp === true && tcp === undefined && !(await udpPortFree(address, port));
  if (tcp === 'EADDRINUSE' || udp) {
    throw new InteropError(
      InteropErrorCode.START_FAILED,
      `${address}:${port} is already in use (${udp ? 'UDP' : 'TCP'}); is a daemon left from an earlier run?`,
    );
  }
}

/** Options of the readiness waits. */
export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  readonly timeoutMs?: number;
}

/** Resolves once something accepts a TCP connection on address:port; INTEROP_ERR_TIMEOUT otherwise. */
export async function waitForTcp(address: string, port: number, options: WaitOptions = {}): Promise<void> {
  assertLoopback(address);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (await tcpConnects(address, port)) return;
    if (Date.now() > deadline) {
      throw new InteropError(InteropErrorCode.TIMEOUT, `nothing listens on ${address}:${port} (TCP)`);
    }
    await sleep(100);
  }
}

function tcpConnects(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => {
      done(false);
    });
    sock.once('connect', () => {
      done(true);
    });
    sock.on('error', () => {
      done(false);
    });
  });
}

/** Resolves with the SMTP greeting (all its lines) once a server on address:port sends one. */
export async function waitForSmtpBanner(
  address: string,
  port: number,
  options: WaitOptions = {},
): Promise<string> {
  assertLoopback(address);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const banner = await readBanner(address, port).catch(() => undefined);
    if (banner !== undefined) return banner;
    if (Date.now() > deadline) {
      throw new InteropError(InteropErrorCode.TIMEOUT, `no SMTP greeting from ${address}:${port}`);
    }
    await sleep(100);
  }
}

function readBanner(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: address, port });
    let text = '';
    sock.setTimeout(3000, () => {
      sock.destroy();
      reject(new Error('timeout'));
    });
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const last = text.split('\r\n').at(-2);
      if (last !== undefined && /^\d{3} /.test(last)) {
        sock.end('QUIT\r\n');
        sock.destroy();
        resolve(text.trimEnd());
      }
    });
    sock.on('error', reject);
    sock.once('close', () => {
      reject(new Error('closed before a greeting'));
    });
  });
}

export { rawDnsQuery, waitForUdpDns } from './dns-probe.ts';
export type { DnsHeader, RawQueryOptions } from './dns-probe.ts';
