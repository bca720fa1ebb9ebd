/**
 * One DNS query over TCP (RFC 1035 §4.2.2, RFC 7766): a fresh connection per query, the message
 * framed by a two-octet length, the reply reassembled from however many chunks it arrives in
 * (a length prefix split across chunks included). One timer bounds connect, write and read.
 * Must never: throw or reject for network conditions; buffer more than one 65535-octet message;
 * leave a socket or timer behind.
 */
import { connect, type Socket } from 'node:net';
import type { Message } from '../wire/index.ts';
import { checkReply } from './accept.ts';
import { formatServer } from '../../util/index.ts';
import { TransportError } from './errors.ts';
import type { ServerAddress } from './servers.ts';
import {
  abortError,
  networkError,
  prepare,
  timeoutError,
  type ExchangeOptions,
  type ExchangeOutcome,
} from './udp.ts';

/*
 * RFC 1035 §4.2.2: "The message is prefixed with a two byte length field which gives the
 * message length, excluding the two byte length field."
 */

/** Prefix a message with its two-octet length. */
export function frame(message: Uint8Array): Uint8Array {
  if (message.length > 0xffff) throw new RangeError(`a ${message.length}-octet message cannot be framed`);
  const out = new Uint8Array(2 + message.length);
  out[0] = message.length >> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

/**
 * Reassembles length-prefixed messages from a byte stream. The length field caps every
 * message at 65535 octets, so at most one partial message is ever held.
 */
export class TcpFramer {
  #buf: Uint8Array = new Uint8Array(0);

  /** Feed a chunk; returns the messages it completed (possibly none). */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf, 0);
    joined.set(chunk, this.#buf.length);
    const out: Uint8Array[] = [];
    let off = 0;
    while (joined.length - off >= 2) {
      const len = ((joined[off] as number) << 8) | (joined[off + 1] as number);
      if (joined.length - off - 2 < len) break;
      out.push(joined.slice(off + 2, off + 2 + len));
      off += 2 + len;
    }
    this.#buf = joined.slice(off);
    return out;
  }

  /** Octets received that do not yet form a whole message. */
  get pending(): number {
    return this.#buf.length;
  }
}

function malformed(server: ServerAddress, detail: string): TransportError {
  return new TransportError('DNS_ERR_MALFORMED_REPLY', `TCP ${formatServer(server)}: bad reply: ${detail}`, {
    details: { server: formatServer(server), transport: 'tcp' },
  });
}

function closedEarly(server: ServerAddress, pending: number): TransportError {
  const what = pending === 0 ? 'before replying' : `after ${pending} octets of a reply`;
  return new TransportError('DNS_ERR_NETWORK', `TCP ${formatServer(server)}: connection closed ${what}`, {
    details: { server: formatServer(server), transport: 'tcp' },
  });
}

/**
 * Send `query` to `server` over TCP and read the reply. Only the server can write into the
 * connection, so a reply that does not decode or does not match the query is final
 * (`DNS_ERR_MALFORMED_REPLY`, also reported through `onDrop`), not something to wait past.
 */
export function tcpExchange(
  query: Message,
  server: ServerAddress,
  opts: ExchangeOptions,
): Promise<ExchangeOutcome> {
  const { signal } = opts;
  const ready = prepare(query, server, signal);
  if (!ready.ok) return Promise.resolve(ready);
  const wire = frame(ready.wire); // encodeMessage never yields over 65535 octets
  return new Promise((resolve) => {
    const framer = new TcpFramer();
    let done = false;
    const socket: Socket = connect({ host: server.address, port: server.port, noDelay: true });
    const finish = (out: ExchangeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(out);
    };
    const onAbort = (): void => {
      if (signal !== undefined) finish({ ok: false, error: abortError(signal) });
    };
    const timer = setTimeout(() => {
      finish({ ok: false, error: timeoutError(server, 'tcp', opts.timeoutMs) });
    }, opts.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => {
      finish({ ok: false, error: networkError(err, server, 'tcp') });
    });
    socket.on('close', () => {
      finish({ ok: false, error: closedEarly(server, framer.pending) });
    });
    socket.on('connect', () => {
      // RFC 7766 §8: clients "SHOULD pass the two-octet length field, and the message described
      // by that length field, to the TCP layer at the same time" — one write.
      socket.write(wire);
    });
    socket.on('data', (chunk: Buffer) => {
      const message = framer.push(chunk)[0];
      if (message === undefined || done) return;
      const verdict = checkReply(query, message);
      if (verdict.accepted) {
        finish({ ok: true, message: verdict.message });
        return;
      }
      opts.onDrop?.(verdict.reason, verdict.detail);
      finish({ ok: false, error: malformed(server, verdict.detail) });
    });
  });
}
