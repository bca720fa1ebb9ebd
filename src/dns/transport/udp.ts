/**
 * One DNS query over UDP (RFC 1035 §4.2.1) to one server: a fresh socket of the server's address
 * family per query, so the OS picks a new random source port each time (RFC 5452 §9.2), then
 * wait for the first acceptable reply (accept.ts) until the timeout. Wrong-source, wrong-ID,
 * wrong-question and malformed datagrams are counted and ignored: an off-path attacker must not
 * be able to end the wait early.
 * Must never: throw or reject for network conditions; leave a socket or timer behind.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { encodeMessage, type Message } from '../wire/index.ts';
import { checkReply, isFromServer, type DropReason } from './accept.ts';
import { formatServer } from '../../util/index.ts';
import { TransportError } from './errors.ts';
import { addressFamily, serverProblem, type ServerAddress } from './servers.ts';

/** Options of one exchange (UDP or TCP) with one server. */
export interface ExchangeOptions {
  /** Give up after this many milliseconds without an acceptable reply. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called for every reply that was not accepted. */
  onDrop?: ((reason: DropReason, detail: string) => void) | undefined;
}

/** What one exchange yields; never a rejection. */
export type ExchangeOutcome = { ok: true; message: Message } | { ok: false; error: TransportError };

/** A TransportError for a socket error, naming the server and the transport. */
export function networkError(err: unknown, server: ServerAddress, transport: 'udp' | 'tcp'): TransportError {
  const code = (err as { code?: unknown } | null)?.code;
  const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new TransportError('DNS_ERR_NETWORK', `${transport.toUpperCase()} ${formatServer(server)}: ${why}`, {
    cause: err,
    details: {
      server: formatServer(server),
      transport,
      ...(typeof code === 'string' ? { errno: code } : {}),
    },
  });
}

/** A TransportError for a timeout. */
export function timeoutError(server: ServerAddress, transport: 'udp' | 'tcp', ms: number): TransportError {
  return new TransportError(
    'DNS_ERR_TIMEOUT',
    `${transport.toUpperCase()} ${formatServer(server)}: no reply within ${ms} ms`,
    { details: { server: formatServer(server), transport, timeoutMs: ms } },
  );
}

/** The checks both exchanges make before touching a socket: abort, a usable server, encoding. */
export function prepare(
  query: Message,
  server: ServerAddress,
  signal: AbortSignal | undefined,
): { ok: true; wire: Uint8Array } | { ok: false; error: TransportError } {
  if (signal?.aborted === true) return { ok: false, error: abortError(signal) };
  const problem = serverProblem(server);
  if (problem !== undefined) {
    const error = new TransportError('DNS_ERR_BAD_SERVER', `bad DNS server: ${problem}`, {
      details: { server: formatServer(server) },
    });
    return { ok: false, error };
  }
  try {
    return { ok: true, wire: encodeMessage(query) };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      error: new TransportError('DNS_ERR_BAD_QUERY', `cannot encode the query: ${why}`, { cause: e }),
    };
  }
}

/** A TransportError for an aborted query. */
export function abortError(signal: AbortSignal): TransportError {
  return new TransportError('DNS_ERR_ABORTED', 'DNS query aborted', { cause: signal.reason });
}

/** Send `query` to `server` over UDP and wait for the acceptable reply. */
export function udpExchange(
  query: Message,
  server: ServerAddress,
  opts: ExchangeOptions,
): Promise<ExchangeOutcome> {
  const { signal } = opts;
  const ready = prepare(query, server, signal);
  if (!ready.ok) return Promise.resolve(ready);
  const { wire } = ready;
  return new Promise((resolve) => {
    const socket = createSocket({ type: addressFamily(server.address) === 6 ? 'udp6' : 'udp4' });
    let done = false;
    const finish = (out: ExchangeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      try {
        socket.close();
      } catch {
        // already closed after an error: nothing left to release
      }
      resolve(out);
    };
    const onAbort = (): void => {
      if (signal !== undefined) finish({ ok: false, error: abortError(signal) });
    };
    const timer = setTimeout(() => {
      finish({ ok: false, error: timeoutError(server, 'udp', opts.timeoutMs) });
    }, opts.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => {
      finish({ ok: false, error: networkError(err, server, 'udp') });
    });
    socket.on('message', (bytes: Buffer, rinfo: RemoteInfo) => {
      if (done) return;
      if (!isFromServer(server, rinfo)) {
        opts.onDrop?.('source', `reply from ${rinfo.address} port ${rinfo.port}`);
        return;
      }
      const verdict = checkReply(query, bytes);
      if (verdict.accepted) finish({ ok: true, message: verdict.message });
      else opts.onDrop?.(verdict.reason, verdict.detail);
    });
    try {
      socket.send(wire, server.port, server.address, (err) => {
        if (err !== null) finish({ ok: false, error: networkError(err, server, 'udp') });
      });
    } catch (e) {
      finish({ ok: false, error: networkError(e, server, 'udp') });
    }
  });
}
