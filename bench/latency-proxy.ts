/**
 * A TCP relay that adds a fixed delay to every chunk in each direction, standing between a
 * sender and a loopback receiver so that a benchmark sees the round-trip time of a real network
 * path (this kernel has no netem). Order is kept (equal delays fire in the order they were set);
 * an end or a reset is passed on after the data before it. Bench-only; it counts connections.
 * Must never listen on or connect to anything but loopback addresses.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { assertLoopback } from '../test/interop/index.ts';

/** A running delay proxy. */
export interface LatencyProxy {
  readonly address: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Pipes `from` into `to`, each chunk `delayMs` later; a FIN follows the last chunk (half-close
 * is kept: the other direction may still carry the server's last replies), and a reset is passed
 * on after the data before it.
 */
function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
  const later = (action: () => void): void => {
    setTimeout(() => {
      if (!to.destroyed) action();
    }, delayMs);
  };
  from.on('data', (chunk: Buffer) => {
    later(() => to.write(chunk));
  });
  from.on('end', () => {
    later(() => to.end());
  });
  from.on('error', () => {
    later(() => to.destroy());
  });
}

/**
 * Listens on listen.address:listen.port and forwards each connection to target, with `rttMs`
 * of round-trip time added (half each way).
 */
export async function startLatencyProxy(options: {
  readonly listen: { readonly address: string; readonly port: number };
  readonly target: { readonly address: string; readonly port: number };
  readonly rttMs: number;
}): Promise<LatencyProxy> {
  assertLoopback(options.listen.address);
  assertLoopback(options.target.address);
  const oneWay = options.rttMs / 2;
  let accepted = 0;
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    accepted++;
    const upstream = connect({
      host: options.target.address,
      port: options.target.port,
      allowHalfOpen: true,
    });
    for (const s of [client, upstream]) {
      open.add(s);
      s.setNoDelay(true);
      s.on('close', () => open.delete(s));
    }
    delayedPipe(client, upstream, oneWay);
    delayedPipe(upstream, client, oneWay);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: options.listen.address,
    port: options.listen.port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
