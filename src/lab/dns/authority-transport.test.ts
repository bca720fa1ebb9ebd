/**
 * Tests of the authoritative server's transport and header behaviour: EDNS and the DO bit
 * (RFC 6891, RFC 3225), the UDP size limit and truncation, TCP framing and pipelining (RFC
 * 7766), header flags (RD and CD copied, RA and AD clear), malformed and unsupported queries,
 * per-address views on one shared port, the query log, zone replacement and prompt closing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { seededRandom } from '../../util/index.ts';
import { encodeMessage, Rcode, RRType, type Message } from '../../dns/wire/index.ts';
import { startAuthority } from './authority.ts';
import { breakRrset } from './breakage.ts';
import { ask, frame, queryFor, sendTcp, sendUdp } from '../../../test/lab/dns-client.ts';
import { signFixture } from '../../../test/lab/dns-fixtures.ts';
import { LabDnsError } from './lab-dns-error.ts';

/** A TXT RRset of about 640 octets: more than 512, less than 1232. */
const MID = `mid IN TXT "${'a'.repeat(200)}" "${'b'.repeat(200)}" "${'c'.repeat(200)}"\n`;
const zone = signFixture('example.', { algorithm: 13, denial: 'nsec', extra: MID });

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const server = await startAuthority({ listen: [{ address: '127.0.0.1' }], zones: [zone] });
  try {
    await fn(server.port);
  } finally {
    await server.close();
  }
}

function hasSigs(msg: Message): boolean {
  return [...msg.answers, ...msg.authorities, ...msg.additionals].some(
    (r) => r.type === RRType.RRSIG || r.type === RRType.NSEC,
  );
}

test('EDNS: OPT and DNSSEC records only as asked; header flags copied or clear', async () => {
  await withServer(async (port) => {
    const cases: { label: string; opts: Parameters<typeof ask>[2]; want: { opt: boolean; sigs: boolean } }[] =
      [
        { label: 'DO', opts: { port, dnssecOk: true, rd: true, cd: true }, want: { opt: true, sigs: true } },
        { label: 'EDNS without DO', opts: { port, dnssecOk: false }, want: { opt: true, sigs: false } },
        { label: 'no EDNS', opts: { port, edns: false }, want: { opt: false, sigs: false } },
      ];
    for (const c of cases) {
      for (const qname of ['www.example.', 'nope.example.']) {
        const msg = await ask(qname, RRType.A, c.opts);
        const label = `${c.label} ${qname}`;
        assert.equal(msg.edns !== undefined, c.want.opt, label);
        if (msg.edns !== undefined) {
          assert.equal(msg.edns.udpSize, 1232);
          assert.equal(msg.edns.do, c.opts.dnssecOk ?? true, `${label}: DO copied`);
        }
        assert.equal(hasSigs(msg), c.want.sigs, label);
        assert.equal(msg.flags.rd, c.opts.rd ?? false, `${label}: RD copied`);
        assert.equal(msg.flags.cd, c.opts.cd ?? false, `${label}: CD copied`);
        assert.equal(msg.flags.ra, false);
        assert.equal(msg.flags.ad, false);
        assert.equal(msg.flags.aa, true);
      }
    }
  });
});

test('UDP size limit: min(client size, 1232), 512 without EDNS; TC with empty sections; TCP has it all', async () => {
  await withServer(async (port) => {
    const big = await ask('big.example.', RRType.TXT, { port });
    assert.equal(big.flags.tc, true);
    assert.deepEqual([big.answers.length, big.authorities.length, big.additionals.length], [0, 0, 0]);
    assert.equal(big.questions[0]?.name.toString(), 'big.example.');
    const tcp = await ask('big.example.', RRType.TXT, { port, tcp: true });
    assert.equal(tcp.flags.tc, false);
    assert.equal(tcp.answers.filter((r) => r.type === RRType.TXT).length, 8);
    const cases: { qname: string; type: number; opts: Parameters<typeof ask>[2]; tc: boolean }[] = [
      { qname: 'mid.example.', type: RRType.TXT, opts: { port, udpSize: 4096, dnssecOk: false }, tc: false },
      { qname: 'mid.example.', type: RRType.TXT, opts: { port, udpSize: 1232, dnssecOk: false }, tc: false },
      { qname: 'mid.example.', type: RRType.TXT, opts: { port, udpSize: 600, dnssecOk: false }, tc: true },
      { qname: 'mid.example.', type: RRType.TXT, opts: { port, udpSize: 100, dnssecOk: false }, tc: true },
      { qname: 'mid.example.', type: RRType.TXT, opts: { port, edns: false }, tc: true },
      // A size below 512 counts as 512 (RFC 6891 §6.2.5); this answer is about 420 octets.
      { qname: 'www.example.', type: RRType.ANY, opts: { port, udpSize: 100 }, tc: false },
    ];
    for (const c of cases) {
      const msg = await ask(c.qname, c.type, c.opts);
      assert.equal(msg.flags.tc, c.tc, `${c.qname} ${JSON.stringify(c.opts)}`);
      assert.equal(msg.answers.length === 0, c.tc);
    }
    const plain = await ask('big.example.', RRType.TXT, { port, edns: false });
    assert.equal(plain.flags.tc, true, 'no EDNS: 512 octets at most');
  });
});

test('TCP: pipelined queries in one write, a query split over writes, idle connections closed', async () => {
  const server = await startAuthority({ listen: [{ address: '127.0.0.1' }], zones: [zone], tcpIdleMs: 200 });
  try {
    const a = frame(encodeMessage(queryFor('www.example.', RRType.A, { id: 101 })));
    const b = frame(encodeMessage(queryFor('mx1.example.', RRType.A, { id: 102 })));
    const joined = new Uint8Array([...a, ...b]);
    const res = await sendTcp([joined.subarray(0, 5), joined.subarray(5)], { port: server.port, expect: 2 });
    assert.deepEqual(
      res.map((r) => r.readUInt16BE(0)),
      [101, 102],
    );
    const idle = await new Promise<number>((resolve) => {
      const started = Date.now();
      const s = connect({ host: '127.0.0.1', port: server.port });
      s.on('close', () => {
        resolve(Date.now() - started);
      });
      s.on('error', () => undefined);
    });
    assert.ok(idle < 3000, `idle connection closed after ${idle} ms`);
  } finally {
    await server.close();
  }
});

test('malformed and unsupported queries get FORMERR, NOTIMP, REFUSED or BADVERS, or are dropped', async () => {
  await withServer(async (port) => {
    const base = queryFor('www.example.', RRType.A, { id: 7 });
    const cases: { label: string; bytes: Uint8Array; want: number | 'drop' }[] = [
      { label: 'short', bytes: Uint8Array.of(1, 2, 3), want: 'drop' },
      {
        label: 'header then garbage',
        bytes: Uint8Array.of(0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff),
        want: Rcode.FORMERR,
      },
      {
        label: 'a response',
        bytes: encodeMessage({ ...base, flags: { ...base.flags, qr: true } }),
        want: 'drop',
      },
      {
        label: 'two questions',
        bytes: encodeMessage({ ...base, questions: [...base.questions, ...base.questions] }),
        want: Rcode.FORMERR,
      },
      { label: 'no question', bytes: encodeMessage({ ...base, questions: [] }), want: Rcode.FORMERR },
      {
        label: 'NOTIFY',
        bytes: encodeMessage({ ...base, flags: { ...base.flags, opcode: 4 } }),
        want: Rcode.NOTIMP,
      },
      {
        label: 'class CH',
        bytes: encodeMessage({ ...base, questions: base.questions.map((q) => ({ ...q, class: 3 })) }),
        want: Rcode.REFUSED,
      },
      { label: 'AXFR', bytes: encodeMessage(queryFor('example.', 252, { id: 7 })), want: Rcode.NOTIMP },
      {
        label: 'EDNS version 1',
        bytes: encodeMessage({ ...base, edns: { udpSize: 1232, version: 1, do: false, options: [] } }),
        want: Rcode.BADVERS,
      },
    ];
    for (const c of cases) {
      const res = await sendUdp(c.bytes, { port, waitMs: c.want === 'drop' ? 300 : 2000 });
      if (c.want === 'drop') {
        assert.equal(res, undefined, c.label);
        continue;
      }
      assert.ok(res !== undefined, `${c.label}: answered`);
      assert.equal(res.readUInt16BE(0), 7, `${c.label}: ID copied`);
      assert.equal((res[3] as number) & 0x0f, c.want & 0x0f, c.label);
    }
    const random = seededRandom(8);
    for (let i = 0; i < 200; i++) await sendUdp(random.bytes(12 + random.int(80)), { port, waitMs: 5 });
    await sendTcp([Uint8Array.of(0, 20, 1, 2, 3), frame(random.bytes(40))], { port, expect: 1 }).catch(
      () => [],
    );
    const still = await ask('www.example.', RRType.A, { port });
    assert.equal(still.rcode, 0, 'the server still answers after garbage');
  });
});

test('views: every address shares one port and serves only its zones; the log records each query', async () => {
  const other = signFixture('other.test.', { algorithm: 15, denial: 'nsec3' });
  const server = await startAuthority({
    listen: [{ address: '127.0.0.1' }, { address: '127.0.0.2' }, { address: '127.0.0.3' }],
    zones: [zone, other],
    views: { '127.0.0.2': ['other.test.'], '127.0.0.3': [] },
  });
  try {
    assert.deepEqual(server.addresses, ['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    const cases: { address: string; qname: string; want: number }[] = [
      { address: '127.0.0.1', qname: 'www.example.', want: Rcode.NOERROR },
      { address: '127.0.0.1', qname: 'www.other.test.', want: Rcode.NOERROR },
      { address: '127.0.0.2', qname: 'www.example.', want: Rcode.REFUSED },
      { address: '127.0.0.2', qname: 'www.other.test.', want: Rcode.NOERROR },
      { address: '127.0.0.3', qname: 'www.other.test.', want: Rcode.REFUSED },
    ];
    for (const c of cases) {
      const msg = await ask(c.qname, RRType.A, { port: server.port, address: c.address, rd: true, cd: true });
      assert.equal(msg.rcode, c.want, `${c.address} ${c.qname}`);
    }
    await ask('www.example.', RRType.AAAA, {
      port: server.port,
      address: '127.0.0.1',
      tcp: true,
      dnssecOk: false,
    });
    assert.equal(server.queries.length, cases.length + 1);
    assert.deepEqual(server.queries[2], {
      address: '127.0.0.2',
      from: server.queries[2]?.from,
      qname: 'www.example.',
      qtype: RRType.A,
      do: true,
      cd: true,
      rd: true,
      transport: 'udp',
      rcode: Rcode.REFUSED,
    });
    const last = server.queries.at(-1);
    assert.deepEqual([last?.transport, last?.do, last?.qtype], ['tcp', false, RRType.AAAA]);
    assert.match(last?.from ?? '', /^127\.0\.0\.1:\d+$/);
  } finally {
    await server.close();
  }
});

test('IPv6 loopback: ::1 shares the port with an IPv4 address, over UDP and TCP', async (t) => {
  let server;
  try {
    server = await startAuthority({ listen: [{ address: '::1' }, { address: '127.0.0.1' }], zones: [zone] });
  } catch (err) {
    t.skip(`no IPv6 loopback here: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  try {
    for (const tcp of [false, true]) {
      const msg = await ask('www.example.', RRType.AAAA, { port: server.port, address: '::1', tcp });
      assert.equal(msg.answers.filter((r) => r.type === RRType.AAAA).length, 1);
    }
    assert.match(server.queries[0]?.from ?? '', /^\[::1\]:\d+$/);
    assert.equal(server.queries[0]?.address, '::1');
  } finally {
    await server.close();
  }
});

test('setZones swaps in a broken copy; close() is prompt with an open TCP connection', async () => {
  const server = await startAuthority({ listen: [{ address: '127.0.0.1' }], zones: [zone] });
  const port = server.port;
  const before = await ask('www.example.', RRType.A, { port });
  const sigBefore = before.answers.find((r) => r.type === RRType.RRSIG);
  server.setZones([breakRrset(zone, 'www', RRType.A, 'unsigned')]);
  const after = await ask('www.example.', RRType.A, { port });
  assert.ok(sigBefore !== undefined);
  assert.equal(
    after.answers.some((r) => r.type === RRType.RRSIG),
    false,
  );
  const open = connect({ host: '127.0.0.1', port });
  open.on('error', () => undefined);
  await new Promise((resolve) => open.on('connect', resolve));
  const started = Date.now();
  await server.close();
  await server.close();
  assert.ok(Date.now() - started < 1000, 'closed promptly');
  await assert.rejects(ask('www.example.', RRType.A, { port, tcp: true }));
});

test('startAuthority refuses bad options and a port that is taken', async () => {
  const bad: { opts: Parameters<typeof startAuthority>[0]; want: RegExp }[] = [
    { opts: { listen: [], zones: [zone] }, want: /needs an address/ },
    { opts: { listen: [{ address: '192.0.2.1' }], zones: [zone] }, want: /not a loopback/ },
    { opts: { listen: [{ address: '127.0.0.1' }, { address: '127.0.0.1' }], zones: [zone] }, want: /twice/ },
    {
      opts: {
        listen: [
          { address: '127.0.0.1', port: 5300 },
          { address: '127.0.0.2', port: 5301 },
        ],
        zones: [zone],
      },
      want: /one port/,
    },
    {
      opts: { listen: [{ address: '127.0.0.1' }], zones: [zone], views: { '127.0.0.1': ['nope.'] } },
      want: /not served/,
    },
  ];
  for (const c of bad) {
    await assert.rejects(startAuthority(c.opts), (err: unknown) => {
      assert.ok(err instanceof LabDnsError);
      assert.equal(err.code, 'LAB_ERR_DNS_ARGUMENT');
      assert.match(err.message, c.want);
      return true;
    });
  }
  const first = await startAuthority({ listen: [{ address: '127.0.0.1' }], zones: [zone] });
  try {
    await assert.rejects(
      startAuthority({ listen: [{ address: '127.0.0.1', port: first.port }], zones: [zone] }),
      {
        code: 'LAB_ERR_DNS_LISTEN',
      },
    );
  } finally {
    await first.close();
  }
});
