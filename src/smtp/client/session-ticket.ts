/**
 * After a TLS 1.3 handshake, wait briefly for the server's NewSessionTicket before the client
 * writes its first command (the EHLO after STARTTLS).
 *
 * Why: a TLS 1.3 server sends its tickets after the client's Finished (RFC 8446 §4.6.1). The
 * client's Finished and EHLO leave together, the tickets cross them, and the client has
 * nothing more to send, so its kernel delays the ACK (40 ms or more on Linux). A server whose
 * socket uses Nagle's algorithm (Postfix's smtpd does) holds its reply to EHLO until the tickets
 * are acknowledged: every TLS 1.3 session to such a server stalled for the delayed ACK (52 ms
 * against 6 ms with TLS 1.2 in bench/delivery.bench.ts). Sending EHLO once the tickets arrived
 * makes EHLO itself carry the ACK. The tickets come about one round trip after the handshake;
 * waiting longer than that plus the delayed ACK it exists to beat cannot pay off, so that is the
 * bound: the handshake's own duration (about one round trip) + 40 ms. A server that sends no
 * ticket costs at most that much, once per connection; one that sends it at once, about a
 * round trip (a server without Nagle would have answered EHLO in that time).
 * Must never: delay anything but the first command after the handshake; wait without bound;
 * throw (a closed or failing socket just ends the wait; the next read reports it).
 */
import type { EventEmitter } from 'node:events';

/** How the wait ended: a ticket came, the bound passed, the socket went, or no wait (TLS ≤ 1.2 / off). */
export type TicketWait = 'received' | 'none' | 'closed' | 'not-waited';

/** The part of a tls.TLSSocket the wait needs. */
export type TicketSource = Pick<EventEmitter, 'once' | 'removeListener'> & {
  getProtocol(): string | null;
};

/** Linux's shortest delayed-ACK time (TCP_ATO_MIN): the stall the wait avoids. */
const DELAYED_ACK_MS = 40;
/** Longest wait, whatever the handshake took. */
const MAX_BOUND_MS = 2000;

/** The bound for a handshake that took `handshakeMs`: about one round trip plus the delayed ACK. */
export function ticketBound(handshakeMs: number): number {
  const rtt = Number.isFinite(handshakeMs) && handshakeMs > 0 ? Math.ceil(handshakeMs) : 0;
  return Math.min(MAX_BOUND_MS, rtt + DELAYED_ACK_MS);
}

/**
 * Wait for the first session ticket on a TLS 1.3 socket, at most `boundMs`. Resolves on the
 * event-loop turn after the ticket: a write issued while Node is still delivering the ticket
 * (inside its 'session' event) never left the socket in Node 20.
 */
export function waitForSessionTicket(socket: TicketSource, boundMs: number): Promise<TicketWait> {
  if (socket.getProtocol() !== 'TLSv1.3') return Promise.resolve('not-waited');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (how: TicketWait): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('session', onTicket);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onClose);
      setImmediate(() => {
        resolve(how);
      });
    };
    const onTicket = (): void => {
      finish('received');
    };
    const onClose = (): void => {
      finish('closed');
    };
    const timer = setTimeout(() => {
      finish('none');
    }, boundMs);
    socket.once('session', onTicket);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}
