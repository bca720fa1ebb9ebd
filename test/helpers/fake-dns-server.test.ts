/**
 * Tests of the scripted DNS server itself, with raw dgram/net clients (not the product's
 * transport, so a bug there cannot hide one here): recording, replies, other-port replies,
 * TCP framing and 1-octet writes, garbage queries, loopback-only, clean close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { connect } from 'node:net';
import { once } from 'node:events';
import {
  decodeMessage,
  encodeMessage,
  makeQuery,
  Name,
  RRClass,
  RRType,
  type Message,
} from '../../src/dns/wire/index.ts';
import { aRecord, questionOf, replyTo, startFakeDnsServer, type Handler } from './fake-dns-server.ts';

const q1 = makeQuery(
  { name: Name.parse('www.example.org.'), type: RRType.A, class: RRClass.IN },
  { id: 0x4321, cd: true, dnssecOk: true, udpSize: 4096 },
);

/** What a UDP exchange brought back. */
type Datagram = { bytes: Buffer; rinfo: RemoteInfo };

/**
 * Send datagrams in order from one socket and collect replies until `count` have come. The 5 s
 * bound only turns a missing reply into a failing count; no test waits for time to pass.
 */
async function udpAsk(port: number, queries: readonly Uint8Array[], count: number): Promise<Datagram[]> {
  const sock = createSocket('udp4');
  const got: Datagram[] = [];
  let enough = (): void => undefined;
  const done = new Promise<void>((resolve) => (enough = resolve));
  sock.on('message', (b, rinfo) => {
    got.push({ bytes: b, rinfo });
    if (got.length >= count) enough();
  });
  const bound = setTimeout(enough, 5000);
  for (const q of queries) sock.send(q, port, '127.0.0.1');
  await done;
  clearTimeout(bound);
  sock.close();
  return got;
}

const framed = (bytes: Uint8Array): Uint8Array =>
  Uint8Array.from([bytes.length >> 8, bytes.length & 0xff, ...bytes]);

/**
 * Send framed queries over one TCP connection; collect the raw stream and the number of chunks
 * until `messages` whole framed messages have arrived or the server closes (5 s bound as above).
 */
async function tcpAsk(
  port: number,
  queries: readonly Uint8Array[],
  messages = 1,
): Promise<{ data: Buffer; chunks: number; closed: boolean }> {
  const sock = connect(port, '127.0.0.1');
  const parts: Buffer[] = [];
  let closed = false;
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  sock.on('data', (c: Buffer) => {
    parts.push(c);
    if (framedCount(Buffer.concat(parts)) >= messages) finish();
  });
  sock.on('close', () => {
    closed = true;
    finish();
  });
  const bound = setTimeout(finish, 5000);
  await once(sock, 'connect');
  for (const q of queries) sock.write(framed(q));
  await done;
  clearTimeout(bound);
  sock.destroy();
  return { data: Buffer.concat(parts), chunks: parts.length, closed };
}

/** Number of complete length-framed messages at the start of `data`. */
function framedCount(data: Buffer): number {
  let n = 0;
  for (let off = 0; off + 2 <= data.length; n++) {
    const end = off + 2 + data.readUInt16BE(off);
    if (end > data.length) break;
    off = end;
  }
  return n;
}

const answer: Handler = (q) => replyTo(q, { answers: [aRecord(questionOf(q).name, '192.0.2.1')] });

test('records every query with its header bits and EDNS, and answers over UDP', async () => {
  const s = await startFakeDnsServer(answer);
  try {
    const got = await udpAsk(s.port, [encodeMessage(q1)], 1);
    assert.equal(got.length, 1);
    const reply = decodeMessage(got[0]!.bytes);
    assert.equal(reply.id, 0x4321);
    assert.equal(reply.flags.qr, true);
    assert.equal(reply.flags.cd, true);
    assert.equal(reply.edns?.do, true);
    assert.equal(reply.answers.length, 1);
    assert.equal(got[0]!.rinfo.port, s.port);
    assert.equal(s.queries.length, 1);
    const { bytes: _bytes, from, ...rec } = s.queries[0]!;
    assert.equal(from.address, '127.0.0.1');
    assert.deepEqual(rec, {
      transport: 'udp',
      address: '127.0.0.1',
      id: 0x4321,
      qname: 'www.example.org.',
      qtype: RRType.A,
      qclass: RRClass.IN,
      rd: true,
      cd: true,
      do: true,
      ednsSize: 4096,
    });
  } finally {
    await s.close();
  }
});

test('sends several replies in order, from another port when asked, after a delay', async () => {
  const s = await startFakeDnsServer((q) => [
    { ...replyTo(q), id: 1 },
    { reply: replyTo(q), fromOtherPort: true },
    { reply: replyTo(q), delayMs: 40 },
  ]);
  try {
    const got = await udpAsk(s.port, [encodeMessage(q1)], 3);
    assert.deepEqual(
      got.map((g) => decodeMessage(g.bytes).id),
      [1, 0x4321, 0x4321],
    );
    assert.equal(got[0]!.rinfo.port, s.port);
    assert.notEqual(got[1]!.rinfo.port, s.port);
    assert.equal(got[2]!.rinfo.port, s.port);
  } finally {
    await s.close();
  }
});

test('TCP replies are framed; bytewise ones arrive one octet per chunk', async () => {
  const full = (q: Message): Message => replyTo(q, { answers: [aRecord(questionOf(q).name, '192.0.2.7')] });
  const s = await startFakeDnsServer((q, transport) =>
    transport === 'tcp'
      ? { reply: full(q), bytewise: questionOf(q).name.toString().startsWith('slow') }
      : undefined,
  );
  try {
    const plain = await tcpAsk(s.port, [encodeMessage(q1)]);
    const len = plain.data.readUInt16BE(0);
    assert.equal(plain.data.length, len + 2);
    assert.equal(decodeMessage(plain.data.subarray(2)).answers.length, 1);

    const slowQuery = makeQuery(
      { name: Name.parse('slow.example.'), type: RRType.A, class: RRClass.IN },
      { id: 9 },
    );
    const slow = await tcpAsk(s.port, [encodeMessage(slowQuery)]);
    assert.equal(slow.data.length, slow.data.readUInt16BE(0) + 2);
    assert.equal(slow.chunks, slow.data.length, 'one chunk per octet');
    assert.deepEqual(
      s.queries.map((q) => [q.transport, q.id]),
      [
        ['tcp', 0x4321],
        ['tcp', 9],
      ],
    );
  } finally {
    await s.close();
  }
});

// "No reply" is shown by order, not by waiting: garbage first, then a good query on the same
// socket or connection; the first (and only) reply is the good query's.
test('garbage queries are recorded as malformed and never crash the server', async () => {
  let calls = 0;
  const s = await startFakeDnsServer((q) => {
    calls++;
    return replyTo(q);
  });
  try {
    const udp = await udpAsk(s.port, [Uint8Array.of(1, 2, 3), encodeMessage(q1)], 1);
    assert.deepEqual(
      udp.map((d) => decodeMessage(d.bytes).id),
      [0x4321],
    );
    const tcp = await tcpAsk(s.port, [Uint8Array.of(0xff), encodeMessage({ ...q1, id: 7 })]);
    assert.equal(framedCount(tcp.data), 1);
    assert.equal(decodeMessage(tcp.data.subarray(2)).id, 7);
    assert.equal(calls, 2);
    assert.deepEqual(
      s.queries.map((q) => [q.transport, typeof q.malformed, q.id]),
      [
        ['udp', 'string', undefined],
        ['udp', 'undefined', 0x4321],
        ['tcp', 'string', undefined],
        ['tcp', 'undefined', 7],
      ],
    );
  } finally {
    await s.close();
  }
});

test('handler errors are collected, and the query dropped', async () => {
  const s = await startFakeDnsServer((q) => {
    if (q.id === 1) throw new Error('boom');
    return replyTo(q);
  });
  try {
    const udp = await udpAsk(s.port, [encodeMessage({ ...q1, id: 1 }), encodeMessage({ ...q1, id: 2 })], 1);
    assert.deepEqual(
      udp.map((d) => decodeMessage(d.bytes).id),
      [2],
    );
    // Over TCP the connection of a failed query is dropped.
    const tcp = await tcpAsk(s.port, [encodeMessage({ ...q1, id: 1 })]);
    assert.equal(tcp.data.length, 0);
    assert.equal(tcp.closed, true);
    assert.deepEqual(
      s.handlerErrors.map((e) => (e as Error).message),
      ['boom', 'boom'],
    );
  } finally {
    await s.close();
  }
});

test('TCP: close without a reply, and unframed bytes', async () => {
  const s = await startFakeDnsServer((q) =>
    q.id === 1 ? { close: true } : { reply: Uint8Array.of(0xab, 0xcd), unframed: true, close: true },
  );
  try {
    const closed = await tcpAsk(s.port, [encodeMessage({ ...q1, id: 1 })]);
    assert.equal(closed.data.length, 0);
    assert.equal(closed.closed, true);
    const raw = await tcpAsk(s.port, [encodeMessage({ ...q1, id: 2 })]);
    assert.deepEqual([...raw.data], [0xab, 0xcd]);
    assert.equal(raw.closed, true);
  } finally {
    await s.close();
  }
});

test('refuses non-loopback addresses; close() releases the port and pending timers', async () => {
  await assert.rejects(startFakeDnsServer(answer, { addresses: ['0.0.0.0'] }), /loopback only/);
  await assert.rejects(startFakeDnsServer(answer, { addresses: [] }), /loopback only/);
  let delayStarted = (): void => undefined;
  const started = new Promise<void>((resolve) => (delayStarted = resolve));
  const s = await startFakeDnsServer((q) => ({ reply: replyTo(q), delayMs: 60_000 }), {
    onDelay: delayStarted,
  });
  const sock = createSocket('udp4');
  sock.send(encodeMessage(q1), s.port, '127.0.0.1');
  await started;
  assert.equal(s.pendingTimers(), 1, 'the 60 s reply delay is running');
  await s.close();
  assert.equal(s.pendingTimers(), 0, 'close() cleared it');
  sock.close();
  const again = await startFakeDnsServer(answer, { port: s.port });
  assert.equal(again.port, s.port);
  assert.equal((await udpAsk(again.port, [encodeMessage(q1)], 1)).length, 1);
  await again.close();
});
