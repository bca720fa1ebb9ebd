/**
 * End-to-end check of the lab's DNS with the product's own validating resolver (mode
 * `recursive`): a signed root, a TLD and child zones served by one authority on three loopback
 * addresses (views), iterated from root hints — over a minimal test exchange and over the
 * product's dns/transport — and validated from the root's DS: secure,
 * insecure and bogus answers (expired RRSIG, DS mismatch), NODATA and NXDOMAIN with NSEC and
 * NSEC3, and a wildcard answer (RFC 4035 §4.3, §5).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { FixedClock, seededRandom } from '../../src/util/index.ts';
import {
  decodeMessage,
  encodeMessage,
  Name,
  parseZone,
  RRType,
  typeToString,
  type DsRdata,
  type Message,
  type Rr,
} from '../../src/dns/wire/index.ts';
import {
  IterativeUpstream,
  Resolver,
  TrustAnchors,
  type DnsExchange,
  type ExchangeResult,
  type ServerAddress,
} from '../../src/dns/resolver/index.ts';
import { createExchange } from '../../src/dns/transport/index.ts';
import { startAuthority, type Authority } from '../../src/lab/dns/authority.ts';
import { bogusDs, breakRrset } from '../../src/lab/dns/breakage.ts';
import { frame } from './dns-client.ts';
import { EXPIRATION, fixtureKeys, INCEPTION, NOW } from './dns-fixtures.ts';
import {
  delegationRecords,
  dsRecords,
  signZone,
  type DenialMode,
  type SignedZone,
} from '../../src/lab/dns/signer.ts';

const ROOT_ADDR = '127.0.0.1';
const TLD_ADDR = '127.0.0.2';
const CHILD_ADDR = '127.0.0.3';

function sign(origin: string, text: string, denial: DenialMode, extra: readonly Rr[] = []): SignedZone {
  const o = Name.parse(origin);
  const ns = origin === '.' ? 'ns.root.' : `ns.${origin}`;
  const head = `$TTL 3600\n@ IN SOA ${ns} hostmaster.${origin === '.' ? 'root.' : origin} 1 7200 3600 1209600 300\n@ IN NS ${ns}\n`;
  return signZone(
    { origin: o, records: [...parseZone(head + text, { origin: o }), ...extra] },
    { algorithm: 13, keys: fixtureKeys(13), denial, inception: INCEPTION, expiration: EXPIRATION },
  );
}

function child(z: SignedZone, opts: { ds?: readonly DsRdata[]; address?: string } = {}): Rr[] {
  return delegationRecords(z, {
    nameServers: [{ name: `ns.${z.origin.toString()}`, addresses: [opts.address ?? CHILD_ADDR] }],
    ...(opts.ds === undefined ? {} : { ds: opts.ds }),
  });
}

let server: Authority;
/** One resolver per network path: a minimal test exchange, and the product's dns/transport. */
const resolvers = new Map<string, Resolver>();

before(async () => {
  const nsec3: DenialMode = { nsec3: { iterations: 0, salt: new Uint8Array(0) } };
  const secure = sign(
    'secure.test.',
    `ns IN A ${CHILD_ADDR}\nwww IN A 192.0.2.1\n_25._tcp.mx IN TLSA 3 1 1 ${'ab'.repeat(32)}\n*.wild IN TXT "w"\n`,
    'nsec',
  );
  const bogus = breakRrset(
    sign(
      'bogus.test.',
      `ns IN A ${CHILD_ADDR}\nwww IN A 192.0.2.2\n_25._tcp.mx IN TLSA 3 1 1 ${'cd'.repeat(32)}\n`,
      nsec3,
    ),
    '_25._tcp.mx',
    RRType.TLSA,
    'expired',
  );
  const dsbad = sign('dsbad.test.', `ns IN A ${CHILD_ADDR}\nwww IN A 192.0.2.3\n`, 'nsec');
  const insecure: SignedZone = sign('insecure.test.', `ns IN A ${CHILD_ADDR}\nwww IN A 192.0.2.4\n`, 'nsec');
  const tldExtra = [
    ...child(secure),
    ...child(bogus),
    ...child(dsbad, { ds: dsbad.ds.map(bogusDs) }),
    ...child(insecure, { ds: [] }),
  ];
  const tld = sign('test.', `ns IN A ${TLD_ADDR}\n`, nsec3, tldExtra);
  const root = sign('.', `ns.root. IN A ${ROOT_ADDR}\n`, 'nsec', child(tld, { address: TLD_ADDR }));
  // The insecure child is served without its signatures: an unsigned zone.
  const plain = { origin: insecure.origin, records: insecure.source };
  server = await startAuthority({
    listen: [{ address: ROOT_ADDR }, { address: TLD_ADDR }, { address: CHILD_ADDR }],
    zones: [root, tld, secure, bogus, dsbad, plain],
    views: {
      [ROOT_ADDR]: ['.'],
      [TLD_ADDR]: ['test.'],
      [CHILD_ADDR]: ['secure.test.', 'bogus.test.', 'dsbad.test.', 'insecure.test.'],
    },
  });
  const nets: [string, DnsExchange][] = [
    ['test exchange', loopbackExchange()],
    ['dns/transport', createExchange({ random: seededRandom(2), timeoutMs: 1000 })],
  ];
  for (const [label, net] of nets) {
    const clock = new FixedClock(NOW * 1000);
    const hints = [{ name: Name.parse('ns.root.'), addresses: [ROOT_ADDR] }];
    const upstream = new IterativeUpstream(hints, net, { clock, random: seededRandom(1), port: server.port });
    const anchors = new TrustAnchors(dsRecords(root));
    resolvers.set(label, new Resolver({ upstream, mode: 'recursive', anchors, clock }));
  }
});

after(async () => {
  await server.close();
});

/** A DnsExchange over loopback UDP with a TCP retry on truncation. */
function loopbackExchange(): DnsExchange {
  return {
    async exchange(query: Message, servers: readonly ServerAddress[]): Promise<ExchangeResult> {
      for (const s of servers) {
        const bytes = encodeMessage(query);
        let res = await udp(bytes, s).catch(() => undefined);
        if (res !== undefined && ((res[2] as number) & 0x02) !== 0)
          res = await tcp(bytes, s).catch(() => undefined);
        if (res !== undefined) return { ok: true, message: decodeMessage(new Uint8Array(res)), server: s };
      }
      return { ok: false, reason: 'no answer' };
    },
  };
}

function udp(bytes: Uint8Array, s: ServerAddress): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('timeout'));
    }, 2000);
    sock.on('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(m);
    });
    sock.send(bytes, s.port, s.address);
  });
}

function tcp(bytes: Uint8Array, s: ServerAddress): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: s.address, port: s.port });
    let buf = Buffer.alloc(0);
    sock.setTimeout(2000, () => sock.destroy(new Error('timeout')));
    sock.on('error', reject);
    sock.on('connect', () => sock.write(frame(bytes)));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
  });
}

const CASES: { qname: string; qtype: number; want: { kind: string; status: string } }[] = [
  { qname: 'www.secure.test.', qtype: RRType.A, want: { kind: 'answer', status: 'secure' } },
  { qname: '_25._tcp.mx.secure.test.', qtype: RRType.TLSA, want: { kind: 'answer', status: 'secure' } },
  { qname: 'www.secure.test.', qtype: RRType.TXT, want: { kind: 'nodata', status: 'secure' } },
  { qname: 'nope.secure.test.', qtype: RRType.A, want: { kind: 'nxdomain', status: 'secure' } },
  { qname: 'any.wild.secure.test.', qtype: RRType.TXT, want: { kind: 'answer', status: 'secure' } },
  { qname: 'nope.test.', qtype: RRType.A, want: { kind: 'nxdomain', status: 'secure' } },
  { qname: 'ns.test.', qtype: RRType.TXT, want: { kind: 'nodata', status: 'secure' } },
  { qname: 'www.insecure.test.', qtype: RRType.A, want: { kind: 'answer', status: 'insecure' } },
  { qname: 'www.bogus.test.', qtype: RRType.A, want: { kind: 'answer', status: 'secure' } },
  { qname: '_25._tcp.mx.bogus.test.', qtype: RRType.TLSA, want: { kind: 'failed', status: 'bogus' } },
  { qname: 'www.dsbad.test.', qtype: RRType.A, want: { kind: 'failed', status: 'bogus' } },
];

for (const label of ['test exchange', 'dns/transport']) {
  for (const c of CASES) {
    test(`resolver over the lab (${label}): ${c.qname} ${typeToString(c.qtype)} is ${c.want.kind}/${c.want.status}`, async () => {
      const resolver = resolvers.get(label) as Resolver;
      const answer = await resolver.lookup(c.qname, c.qtype);
      assert.deepEqual({ kind: answer.kind, status: answer.status }, c.want, answer.reason ?? '');
    });
  }
}
