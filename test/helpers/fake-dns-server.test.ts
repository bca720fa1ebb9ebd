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

/** Send a datagram and collect what comes back within `ms`. */
async function udpAsk(
  port: number,
  bytes: Uint8Array,
  ms = 150,
): Promise<{ bytes: Buffer; rinfo: RemoteInfo }[]> {
  const sock = createSocket('udp4');
  const got: { bytes: Buffer; rinfo: RemoteInfo }[] = [];
  sock.on('message', (b, rinfo) => got.push({ bytes: b, rinfo }));
  sock.send(bytes, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, ms));
  sock.close();
  return got;
}

/**
 * Send a framed query over TCP; collect the raw stream and the number of chunks until a whole
 * framed message has arrived, the server closes, or `ms` pass.
 */
async function tcpAsk(port: number, bytes: Uint8Array, ms = 500): Promise<{ data: Buffer; chunks: number }> {
  const sock = connect(port, '127.0.0.1');
  const parts: Buffer[] = [];
  let whole: () => void = () => undefined;
  const complete = new Promise<void>((r) => (whole = r));
  sock.on('data', (c: Buffer) => {
    parts.push(c);
    const data = Buffer.concat(parts);
    if (data.length >= 2 && data.length >= data.readUInt16BE(0) + 2) whole();
  });
  await once(sock, 'connect');
  sock.write(Uint8Array.from([bytes.length >> 8, bytes.length & 0xff, ...bytes]));
  await Promise.race([complete, once(sock, 'close'), new Promise((r) => setTimeout(r, ms))]);
  sock.destroy();
  return { data: Buffer.concat(parts), chunks: parts.length };
}

const answer: Handler = (q) => replyTo(q, { answers: [aRecord(questionOf(q).name, '192.0.2.1')] });

test('records every query with its header bits and EDNS, and answers over UDP', async () => {
  const s = await startFakeDnsServer(answer);
  try {
    const got = await udpAsk(s.port, encodeMessage(q1));
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
    const got = await udpAsk(s.port, encodeMessage(q1));
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
    const plain = await tcpAsk(s.port, encodeMessage(q1));
    const len = plain.data.readUInt16BE(0);
    assert.equal(plain.data.length, len + 2);
    assert.equal(decodeMessage(plain.data.subarray(2)).answers.length, 1);

    const slowQuery = makeQuery(
      { name: Name.parse('slow.example.'), type: RRType.A, class: RRClass.IN },
      { id: 9 },
    );
    const slow = await tcpAsk(s.port, encodeMessage(slowQuery), 1000);
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

test('garbage queries are recorded as malformed and never crash the server', async () => {
  let calls = 0;
  const s = await startFakeDnsServer((q) => {
    calls++;
    return replyTo(q);
  });
  try {
    assert.deepEqual(await udpAsk(s.port, Uint8Array.of(1, 2, 3), 50), []);
    const tcp = await tcpAsk(s.port, Uint8Array.of(0xff), 100);
    assert.equal(tcp.data.length, 0);
    assert.equal(calls, 0);
    assert.equal(s.queries.length, 2);
    assert.ok(s.queries.every((q) => typeof q.malformed === 'string' && q.id === undefined));
    assert.equal((await udpAsk(s.port, encodeMessage(q1), 100)).length, 1, 'still serving');
  } finally {
    await s.close();
  }
});

test('handler errors are collected, and the query dropped', async () => {
  const s = await startFakeDnsServer(() => {
    throw new Error('boom');
  });
  try {
    assert.deepEqual(await udpAsk(s.port, encodeMessage(q1), 50), []);
    assert.equal((await tcpAsk(s.port, encodeMessage(q1), 100)).data.length, 0);
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
    const closed = await tcpAsk(s.port, encodeMessage({ ...q1, id: 1 }));
    assert.equal(closed.data.length, 0);
    const raw = await tcpAsk(s.port, encodeMessage({ ...q1, id: 2 }));
    assert.deepEqual([...raw.data], [0xab, 0xcd]);
  } finally {
    await s.close();
  }
});

test('refuses non-loopback addresses; close() releases the port and pending timers', async () => {
  await assert.rejects(startFakeDnsServer(answer, { addresses: ['0.0.0.0'] }), /loopback only/);
  await assert.rejects(startFakeDnsServer(answer, { addresses: [] }), /loopback only/);
  const s = await startFakeDnsServer((q) => ({ reply: replyTo(q), delayMs: 60_000 }));
  void udpAsk(s.port, encodeMessage(q1), 20);
  await new Promise((r) => setTimeout(r, 30));
  await s.close();
  const again = await startFakeDnsServer(answer, { port: s.port });
  assert.equal(again.port, s.port);
  assert.equal((await udpAsk(again.port, encodeMessage(q1), 50)).length, 1);
  await again.close();
  // The test process exiting promptly shows the 60 s timer was cleared.
});
