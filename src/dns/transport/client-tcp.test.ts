/**
 * Tests of query() beyond plain UDP: truncation → TCP, TCP replies in 1-octet writes, TCP
 * failures (refused, closed, garbage, slow), IPv6 on ::1, AbortSignal, a scripted DnsTransport,
 * `rotate`, and the resolver adapter createExchange().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeQuery, Name, RRClass, RRType, type Message, type Question } from '../wire/index.ts';
import {
  aRecord,
  ipv6Available,
  questionOf,
  replyTo,
  startFakeDnsServer,
  type FakeDnsServer,
  type Handler,
} from '../../../test/helpers/fake-dns-server.ts';
import { query, type DnsTransport, type TryResult } from './client.ts';
import { TransportError } from './errors.ts';
import { createExchange } from './exchange.ts';
import { tcpExchange } from './tcp.ts';
import { udpExchange } from './udp.ts';
import type { ServerAddress } from './servers.ts';

function question(name = 'big.example.org.'): Question {
  return { name: Name.parse(name), type: RRType.A, class: RRClass.IN };
}

/** An answer of `n` A records (100 records ≈ 1.6 kB: over the 1232-octet UDP size). */
function bigAnswer(q: Message, n = 100): Message {
  const name = questionOf(q).name;
  return replyTo(q, {
    answers: Array.from({ length: n }, (_, i) => aRecord(name, `10.0.${i >> 8}.${i & 0xff}`)),
  });
}

const truncatingOverUdp: Handler = (q, transport) =>
  transport === 'udp' ? replyTo(q, { flags: { tc: true } }) : bigAnswer(q);

async function withServer(
  handler: Handler,
  fn: (s: FakeDnsServer) => Promise<void>,
  addresses?: string[],
): Promise<void> {
  const s = await startFakeDnsServer(handler, addresses === undefined ? {} : { addresses });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

test('TC=1 over UDP → the same server over TCP', async () => {
  await withServer(truncatingOverUdp, async (s) => {
    const res = await query(question(), { servers: s.servers, timeoutMs: 500, attempts: 1 });
    assert.ok(res.ok, res.ok ? '' : res.error.message);
    assert.equal(res.transport, 'tcp');
    assert.equal(res.message.answers.length, 100);
    assert.equal(res.message.flags.tc, false);
    assert.deepEqual([res.stats.tries, res.stats.udp, res.stats.tcp], [1, 1, 1]);
    assert.deepEqual(
      s.queries.map((q) => [q.transport, q.id]),
      [
        ['udp', res.message.id],
        ['tcp', res.message.id],
      ],
    );
  });
});

test('a TCP reply written one octet at a time is reassembled', async () => {
  await withServer(
    (q) => ({ reply: bigAnswer(q, 3), bytewise: true }),
    async (s) => {
      const res = await query(question(), {
        servers: s.servers,
        tcp: 'always',
        timeoutMs: 3000,
        attempts: 1,
      });
      assert.ok(res.ok, res.ok ? '' : res.error.message);
      assert.equal(res.transport, 'tcp');
      assert.equal(res.message.answers.length, 3);
      assert.deepEqual(
        s.queries.map((q) => q.transport),
        ['tcp'],
      );
      assert.deepEqual([res.stats.udp, res.stats.tcp], [0, 1]);
    },
  );
});

test('TCP failures are error values with a clear code', async () => {
  const cases: { name: string; handler: Handler; want: string; match: RegExp }[] = [
    {
      name: 'garbage reply',
      handler: () => Uint8Array.of(0xde, 0xad),
      want: 'DNS_ERR_MALFORMED_REPLY',
      match: /ID/,
    },
    {
      name: 'reply to another question',
      handler: (q) => replyTo(q, { questions: [question('other.example.')] }),
      want: 'DNS_ERR_MALFORMED_REPLY',
      match: /question/,
    },
    {
      name: 'closed without a reply',
      handler: () => ({ close: true }),
      want: 'DNS_ERR_NETWORK',
      match: /closed before replying/,
    },
    {
      name: 'closed inside a reply',
      handler: () => ({ reply: Uint8Array.of(0, 40, 1, 2), unframed: true, close: true }),
      want: 'DNS_ERR_NETWORK',
      match: /after 4 octets/,
    },
    {
      name: 'never replies',
      handler: () => undefined,
      want: 'DNS_ERR_TIMEOUT',
      match: /no reply within 150 ms/,
    },
  ];
  for (const c of cases) {
    await withServer(c.handler, async (s) => {
      const res = await query(question(), { servers: s.servers, tcp: 'always', timeoutMs: 150, attempts: 1 });
      assert.ok(!res.ok, c.name);
      const cause = res.error.cause as TransportError;
      assert.equal(cause.code, c.want, c.name);
      assert.match(cause.message, c.match, c.name);
    });
  }
});

test('a refused TCP connection is a network error and the next server is asked', async () => {
  const closed = await startFakeDnsServer(() => undefined);
  const deadPort = closed.port;
  await closed.close();
  await withServer(truncatingOverUdp, async (s) => {
    const res = await query(question(), {
      servers: [{ address: '127.0.0.1', port: deadPort }, ...s.servers],
      tcp: 'always',
      timeoutMs: 500,
      attempts: 1,
    });
    assert.ok(res.ok);
    assert.deepEqual(res.server, s.servers[0]);
    assert.equal(res.stats.tries, 2);
    const alone = await query(question(), {
      servers: [{ address: '127.0.0.1', port: deadPort }],
      tcp: 'always',
      timeoutMs: 500,
      attempts: 1,
    });
    assert.ok(!alone.ok);
    const cause = alone.error.cause as TransportError;
    assert.equal(cause.code, 'DNS_ERR_NETWORK');
    assert.equal(cause.details['errno'], 'ECONNREFUSED');
  });
});

test('IPv6 on ::1: UDP, and TC → TCP', async (t) => {
  if (!(await ipv6Available())) {
    t.skip('::1 is not available on this machine');
    return;
  }
  await withServer(
    (q, transport, peer) =>
      questionOf(q).name.toString() === 'big.example.org.'
        ? truncatingOverUdp(q, transport, peer)
        : replyTo(q),
    async (s) => {
      const v6 = s.servers.filter((x) => x.address === '::1');
      assert.equal(v6.length, 1);
      const small = await query(question('small.example.org.'), { servers: v6, timeoutMs: 300, attempts: 1 });
      assert.ok(small.ok, small.ok ? '' : small.error.message);
      assert.equal(small.transport, 'udp');
      const big = await query(question(), { servers: v6, timeoutMs: 300, attempts: 1 });
      assert.ok(big.ok, big.ok ? '' : big.error.message);
      assert.equal(big.transport, 'tcp');
      assert.ok(s.queries.every((q) => q.address === '::1' && q.from.address === '::1'));
      assert.equal(s.queries.length, 3);
    },
    ['127.0.0.1', '::1'],
  );
});

test('an AbortSignal ends the query at once', async () => {
  await withServer(
    () => undefined,
    async (s) => {
      const started = performance.now();
      const ctl = new AbortController();
      setTimeout(() => {
        ctl.abort();
      }, 50);
      const res = await query(question(), { servers: s.servers, timeoutMs: 5000, signal: ctl.signal });
      assert.ok(!res.ok);
      assert.equal(res.error.code, 'DNS_ERR_ABORTED');
      assert.ok(performance.now() - started < 1000);

      const pre = await query(question(), { servers: s.servers, signal: AbortSignal.abort() });
      assert.ok(!pre.ok);
      assert.equal(pre.error.code, 'DNS_ERR_ABORTED');
      assert.equal(s.queries.length, 1, 'an aborted signal sends nothing');
    },
  );
});

/** A scripted transport: answers from a table by server port, recording every call. */
function scripted(table: Record<number, 'timeout' | number>): DnsTransport & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    query(msg, server): Promise<TryResult> {
      calls.push([server.port, msg.id]);
      const what = table[server.port];
      if (what === 'timeout' || what === undefined)
        return Promise.resolve({
          ok: false,
          error: new TransportError('DNS_ERR_TIMEOUT', 'scripted timeout'),
        });
      return Promise.resolve({
        ok: true,
        message: replyTo(msg, { rcode: what }),
        server,
        transport: 'udp',
        rttMs: 1,
      });
    },
  };
}

test('a scripted DnsTransport replaces the network; rotate starts at a random server', async () => {
  const servers: ServerAddress[] = [1, 2, 3].map((port) => ({ address: '127.0.0.1', port }));
  const t1 = scripted({ 1: 'timeout', 2: 2, 3: 0 });
  const res = await query(question(), { servers, transport: t1, attempts: 3 });
  assert.ok(res.ok);
  assert.equal(res.server.port, 3);
  assert.deepEqual(
    t1.calls.map(([port]) => port),
    [1, 2, 3],
  );
  assert.equal(new Set(t1.calls.map(([, id]) => id)).size, 3);

  const t2 = scripted({ 1: 0, 2: 0, 3: 0 });
  const rotated = await query(question(), {
    servers,
    transport: t2,
    rotate: true,
    random: { int: (max) => (max === 3 ? 2 : 77), bytes: () => new Uint8Array(0) },
  });
  assert.ok(rotated.ok);
  assert.deepEqual(t2.calls, [[3, 77]]);

  const t3 = scripted({ 1: 'timeout', 2: 'timeout', 3: 'timeout' });
  const failed = await query(question(), { servers, transport: t3, attempts: 2 });
  assert.ok(!failed.ok);
  assert.equal(t3.calls.length, 6, 'timed-out servers are retried in the next round');
});

test('createExchange adapts query() to the resolver interface', async () => {
  await withServer(
    (q) => replyTo(q, { answers: [aRecord(questionOf(q).name, '192.0.2.9')] }),
    async (s) => {
      const net = createExchange({ timeoutMs: 200, attempts: 1 });
      const ok = await net.exchange(makeQuery(question(), { id: 1, cd: true }), s.servers);
      assert.ok(ok.ok);
      assert.deepEqual(ok.server, s.servers[0]);
      assert.equal(ok.message.answers.length, 1);
      assert.equal(ok.stats.tries, 1);
      assert.equal(s.queries[0]!.cd, true);
    },
  );
  const none = await createExchange().exchange(makeQuery(question(), { id: 1 }), []);
  assert.ok(!none.ok);
  assert.equal(none.code, 'DNS_ERR_NO_SERVERS');
  assert.match(none.reason, /no DNS servers/);
});

test('unusable servers and unencodable queries are error values, never rejections', async () => {
  const bad: ServerAddress[] = [
    { address: 'localhost', port: 53 },
    { address: '127.0.0.1', port: 0 },
    { address: '::1', port: 70000 },
    { address: '127.0.0.1%eth0', port: 53 },
  ];
  for (const tcp of ['fallback', 'always'] as const) {
    const res = await query(question(), { servers: bad, tcp, timeoutMs: 100, attempts: 1 });
    assert.ok(!res.ok);
    const failures = res.error.details['failures'] as { code: string }[];
    assert.deepEqual(
      failures.map((f) => f.code),
      bad.map(() => 'DNS_ERR_BAD_SERVER'),
    );
    assert.match(res.error.message, /'localhost' is not an IP address/);
  }
  for (const exchange of [udpExchange, tcpExchange]) {
    const out = await exchange(makeQuery(question(), { id: 1 }), bad[0]!, { timeoutMs: 100 });
    assert.ok(!out.ok);
    assert.equal(out.error.code, 'DNS_ERR_BAD_SERVER');
  }
  const huge = makeQuery(question(), { id: 1 });
  huge.answers = Array.from({ length: 5000 }, (_, i) => aRecord(`n${i}.example.org.`, '192.0.2.1'));
  const res = await query(huge, { servers: [{ address: '127.0.0.1', port: 9 }], attempts: 1 });
  assert.ok(!res.ok);
  assert.equal((res.error.cause as TransportError).code, 'DNS_ERR_BAD_QUERY');
});
