/**
 * Tests of query() over UDP against the scripted loopback server: happy path, flags on the wire,
 * IDs from the injected Random, spoofed / wrong-source / garbage replies dropped and counted,
 * timeouts and rcode failures moving on to the next server, and the diagnostics channels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../util/index.ts';
import { makeQuery, Name, Rcode, RRClass, RRType, type Message, type Question } from '../wire/index.ts';
import {
  aRecord,
  questionOf,
  replyTo,
  startFakeDnsServer,
  type FakeDnsServer,
  type Handler,
} from '../../../test/helpers/fake-dns-server.ts';
import {
  dnsDropChannel,
  dnsQueryChannel,
  query,
  type DnsDropEvent,
  type DnsQueryEvent,
  type QueryOptions,
} from './client.ts';

const FAST = { timeoutMs: 200, attempts: 1 };

function question(name = 'www.example.org.', type: number = RRType.A): Question {
  return { name: Name.parse(name), type, class: RRClass.IN };
}

function answer(q: Message, address = '192.0.2.1'): Message {
  return replyTo(q, { answers: [aRecord(questionOf(q).name, address)] });
}

const answering: Handler = (q) => answer(q);
const silent: Handler = () => undefined;

async function withServers(
  handlers: Handler[],
  fn: (servers: FakeDnsServer[]) => Promise<void>,
): Promise<void> {
  const servers: FakeDnsServer[] = [];
  try {
    for (const h of handlers) servers.push(await startFakeDnsServer(h));
    await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

function addressOf(msg: Message): unknown {
  return (msg.answers[0]?.data as { address?: string } | undefined)?.address;
}

test('happy path over UDP', async () => {
  await withServers([answering], async ([s]) => {
    const res = await query(question(), { servers: s!.servers, ...FAST });
    assert.ok(res.ok, res.ok ? '' : res.error.message);
    assert.equal(res.transport, 'udp');
    assert.deepEqual(res.server, s!.servers[0]);
    assert.equal(addressOf(res.message), '192.0.2.1');
    assert.ok(res.rttMs >= 0 && res.rttMs < 200);
    assert.deepEqual(res.stats, {
      tries: 1,
      udp: 1,
      tcp: 0,
      dropped: { source: 0, id: 0, qr: 0, opcode: 0, question: 0, malformed: 0 },
    });
    assert.equal(s!.queries.length, 1);
    assert.equal(s!.queries[0]!.id, res.message.id);
    assert.equal(s!.queries[0]!.qname, 'www.example.org.');
  });
});

test('DO, CD, RD and the EDNS size go on the wire as asked', async () => {
  const cases: { opts: Partial<QueryOptions>; want: object }[] = [
    { opts: {}, want: { do: true, cd: false, rd: true, ednsSize: 1232 } },
    {
      opts: { dnssecOk: false, checkingDisabled: true, recursionDesired: false, udpSize: 4096 },
      want: { do: false, cd: true, rd: false, ednsSize: 4096 },
    },
    {
      opts: { dnssecOk: true, checkingDisabled: true },
      want: { do: true, cd: true, rd: true, ednsSize: 1232 },
    },
    { opts: { udpSize: 100 }, want: { do: true, cd: false, rd: true, ednsSize: 512 } },
  ];
  await withServers([answering], async ([s]) => {
    for (const [i, c] of cases.entries()) {
      const res = await query(question(), { ...FAST, ...c.opts, servers: s!.servers });
      assert.ok(res.ok);
      const rec = s!.queries[i]!;
      assert.deepEqual(
        { do: rec.do, cd: rec.cd, rd: rec.rd, ednsSize: rec.ednsSize },
        c.want,
        JSON.stringify(c.opts),
      );
    }
  });
});

test('query IDs come from the injected Random and differ across queries', async () => {
  await withServers([answering], async ([s]) => {
    const random = seededRandom(7);
    for (let i = 0; i < 5; i++)
      assert.ok((await query(question(), { ...FAST, servers: s!.servers, random })).ok);
    const expected = seededRandom(7);
    const want = Array.from({ length: 5 }, () => expected.int(0x10000));
    assert.deepEqual(
      s!.queries.map((q) => q.id),
      want,
    );
    assert.equal(new Set(want).size, 5);
  });
});

test('a ready Message is sent with its flags but a fresh ID', async () => {
  await withServers([answering], async ([s]) => {
    const msg = makeQuery(question(), { id: 7, cd: true, dnssecOk: false, rd: false });
    const res = await query(msg, {
      ...FAST,
      servers: s!.servers,
      random: { int: () => 4242, bytes: () => new Uint8Array(0) },
    });
    assert.ok(res.ok);
    assert.equal(res.message.id, 4242);
    assert.deepEqual(
      { id: s!.queries[0]!.id, cd: s!.queries[0]!.cd, do: s!.queries[0]!.do, rd: s!.queries[0]!.rd },
      { id: 4242, cd: true, do: false, rd: false },
    );
  });
});

test('a spoofed ID and a wrong question are dropped, then the real answer is accepted', async () => {
  const drops: DnsDropEvent[] = [];
  const onDrop = (e: DnsDropEvent): void => {
    drops.push(e);
  };
  const stopDrops = dnsDropChannel.subscribe(onDrop);
  try {
    await withServers(
      [
        (q) => [
          { ...answer(q, '203.0.113.66'), id: (q.id + 1) & 0xffff },
          replyTo(q, {
            questions: [question('www.example.net.')],
            answers: [aRecord('www.example.net.', '203.0.113.66')],
          }),
          answer(q),
        ],
      ],
      async ([s]) => {
        const res = await query(question(), { ...FAST, servers: s!.servers });
        assert.ok(res.ok);
        assert.equal(addressOf(res.message), '192.0.2.1');
        assert.equal(res.stats.dropped.id, 1);
        assert.equal(res.stats.dropped.question, 1);
        assert.equal(res.stats.dropped.source + res.stats.dropped.malformed + res.stats.dropped.qr, 0);
      },
    );
  } finally {
    stopDrops();
  }
  assert.deepEqual(
    drops.map((d) => [d.reason, d.transport]),
    [
      ['id', 'udp'],
      ['question', 'udp'],
    ],
  );
});

test('a reply from another source port is ignored', async () => {
  const forged = (q: Message): { reply: Message; fromOtherPort: true } => ({
    reply: answer(q, '203.0.113.66'),
    fromOtherPort: true,
  });
  await withServers(
    [(q) => [forged(q), { reply: answer(q), delayMs: 30 }], (q) => forged(q)],
    async ([s1, s2]) => {
      const res = await query(question(), { ...FAST, servers: s1!.servers });
      assert.ok(res.ok);
      assert.equal(addressOf(res.message), '192.0.2.1');
      assert.equal(res.stats.dropped.source, 1);

      const only = await query(question(), { ...FAST, servers: s2!.servers });
      assert.ok(!only.ok);
      assert.equal(only.error.code, 'DNS_ERR_ALL_SERVERS_FAILED');
      assert.equal(only.stats.dropped.source, 1);
    },
  );
});

test('garbage replies are dropped and counted, not fatal', async () => {
  const garbage = (q: Message): Uint8Array[] => [
    Uint8Array.of(q.id >> 8, q.id & 0xff, 0xde, 0xad),
    Uint8Array.of(1),
  ];
  await withServers([(q) => garbage(q), (q) => [...garbage(q), answer(q)]], async ([bad, good]) => {
    const started = performance.now();
    const res = await query(question(), { ...FAST, servers: bad!.servers });
    assert.ok(!res.ok);
    assert.equal(res.error.code, 'DNS_ERR_ALL_SERVERS_FAILED');
    assert.equal((res.error.cause as { code?: string }).code, 'DNS_ERR_TIMEOUT');
    assert.equal(res.stats.dropped.malformed, 2);
    assert.ok(performance.now() - started >= 190, 'waited for the timeout');

    const ok = await query(question(), { ...FAST, servers: good!.servers });
    assert.ok(ok.ok);
    assert.equal(ok.stats.dropped.malformed, 2);
  });
});

test('a timeout moves on to the next server, with a new ID', async () => {
  await withServers([silent, answering], async ([s1, s2]) => {
    const res = await query(question(), { timeoutMs: 200, servers: [...s1!.servers, ...s2!.servers] });
    assert.ok(res.ok);
    assert.deepEqual(res.server, s2!.servers[0]);
    assert.equal(res.stats.tries, 2);
    assert.equal(s1!.queries.length, 1);
    assert.equal(s2!.queries.length, 1);
    assert.notEqual(s1!.queries[0]!.id, s2!.queries[0]!.id);
  });
});

test('all servers failing gives DNS_ERR_ALL_SERVERS_FAILED after attempts rounds', async () => {
  await withServers([silent, silent], async ([s1, s2]) => {
    const res = await query(question(), {
      timeoutMs: 100,
      attempts: 2,
      servers: [...s1!.servers, ...s2!.servers],
      random: seededRandom(3),
    });
    assert.ok(!res.ok);
    assert.equal(res.error.code, 'DNS_ERR_ALL_SERVERS_FAILED');
    assert.ok(!res.error.message.includes('\n'));
    assert.match(res.error.message, /www\.example\.org\.\/1: UDP 127\.0\.0\.1:\d+: no reply within 100 ms/);
    const failures = res.error.details['failures'] as { code: string; server: string }[];
    assert.deepEqual(
      failures.map((f) => f.code),
      ['DNS_ERR_TIMEOUT', 'DNS_ERR_TIMEOUT', 'DNS_ERR_TIMEOUT', 'DNS_ERR_TIMEOUT'],
    );
    assert.equal(res.stats.tries, 4);
    assert.equal(s1!.queries.length, 2);
    assert.equal(s2!.queries.length, 2);
    assert.equal(new Set([...s1!.queries, ...s2!.queries].map((q) => q.id)).size, 4);
  });
});

test('SERVFAIL, REFUSED, NOTIMP and FORMERR move on; the last rcode reply is returned when all fail', async () => {
  const rcode =
    (r: number): Handler =>
    (q) =>
      replyTo(q, { rcode: r });
  await withServers(
    [rcode(Rcode.SERVFAIL), answering, rcode(Rcode.REFUSED), rcode(Rcode.NOTIMP), rcode(Rcode.FORMERR)],
    async ([servfail, good, refused, notimp, formerr]) => {
      const servers = (...list: (FakeDnsServer | undefined)[]) => list.flatMap((s) => s!.servers);
      const second = await query(question(), { timeoutMs: 200, servers: servers(servfail, good) });
      assert.ok(second.ok);
      assert.deepEqual(second.server, good!.servers[0]);
      assert.equal(second.message.rcode, Rcode.NOERROR);

      const viaFormerr = await query(question(), { timeoutMs: 200, servers: servers(formerr, good) });
      assert.ok(viaFormerr.ok);
      assert.deepEqual(viaFormerr.server, good!.servers[0]);

      const last = await query(question(), {
        timeoutMs: 200,
        attempts: 3,
        servers: servers(servfail, notimp, refused),
      });
      assert.ok(last.ok);
      assert.equal(last.message.rcode, Rcode.REFUSED);
      assert.deepEqual(last.server, refused!.servers[0]);
      assert.equal(last.stats.tries, 3, 'a server that answered is not asked again');

      const allFormerr = await query(question(), { timeoutMs: 200, servers: servers(formerr) });
      assert.ok(!allFormerr.ok);
      assert.equal(allFormerr.error.code, 'DNS_ERR_ALL_SERVERS_FAILED');
      assert.equal((allFormerr.error.cause as { code?: string }).code, 'DNS_ERR_FORMERR_REPLY');
    },
  );
});

test('every try is published on mta:dns:query', async () => {
  const events: DnsQueryEvent[] = [];
  const onQuery = (e: DnsQueryEvent): void => {
    events.push(e);
  };
  const stopQueries = dnsQueryChannel.subscribe(onQuery);
  try {
    await withServers([silent, answering], async ([s1, s2]) => {
      const res = await query(question('mx.example.org.', RRType.MX), {
        timeoutMs: 100,
        servers: [...s1!.servers, ...s2!.servers],
      });
      assert.ok(res.ok);
      const port = (s: FakeDnsServer | undefined): string => `127.0.0.1:${s!.port}`;
      assert.deepEqual(
        events.map((e) => [e.server, e.qname, e.qtype, e.transport, e.outcome]),
        [
          [port(s1), 'mx.example.org.', RRType.MX, 'udp', 'DNS_ERR_TIMEOUT'],
          [port(s2), 'mx.example.org.', RRType.MX, 'udp', 'NOERROR'],
        ],
      );
      assert.ok(events.every((e) => typeof e.rttMs === 'number' && e.rttMs >= 0));
      assert.equal(events[1]!.id, res.message.id);
    });
  } finally {
    stopQueries();
  }
});

test('no servers is an error value, not an exception', async () => {
  const res = await query(question(), { servers: [] });
  assert.ok(!res.ok);
  assert.equal(res.error.code, 'DNS_ERR_NO_SERVERS');
});
