import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ticketBound, waitForSessionTicket, type TicketSource } from './session-ticket.ts';

/** A stand-in for a TLS socket: emits what the test says. */
function fakeSocket(protocol: string | null): EventEmitter & TicketSource {
  return Object.assign(new EventEmitter(), { getProtocol: () => protocol });
}

test('ticket wait: a ticket ends it, on a later turn, and leaves no listener behind', async () => {
  const s = fakeSocket('TLSv1.3');
  const waiting = waitForSessionTicket(s, 60_000);
  let resolved = false;
  void waiting.then(() => (resolved = true));
  s.emit('session', Buffer.from('ticket'));
  await Promise.resolve();
  assert.equal(resolved, false, 'not inside the ticket event');
  assert.equal(await waiting, 'received');
  assert.deepEqual(
    ['session', 'close', 'error'].map((e) => s.listenerCount(e)),
    [0, 0, 0],
  );
});

test('ticket wait: the bound ends it when no ticket comes; a close or an error ends it too', async () => {
  assert.equal(await waitForSessionTicket(fakeSocket('TLSv1.3'), 1), 'none');
  for (const event of ['close', 'error']) {
    const s = fakeSocket('TLSv1.3');
    const waiting = waitForSessionTicket(s, 60_000);
    s.emit(event, new Error('gone'));
    assert.equal(await waiting, 'closed', event);
  }
});

test('ticket wait: only TLS 1.3 waits (TLS 1.2 tickets come inside the handshake)', async () => {
  for (const protocol of ['TLSv1.2', 'TLSv1', null]) {
    const s = fakeSocket(protocol);
    assert.equal(await waitForSessionTicket(s, 60_000), 'not-waited', String(protocol));
    assert.equal(s.listenerCount('session'), 0);
  }
});

test('ticket bound: the handshake time (about a round trip) plus the 40 ms delayed ACK, at most 2 s', () => {
  const table: [number, number][] = [
    [0.3, 41],
    [3.2, 44],
    [48, 88],
    [9000, 2000],
    [Number.NaN, 40],
    [-1, 40],
  ];
  for (const [ms, want] of table) assert.equal(ticketBound(ms), want, String(ms));
});
