/**
 * A scripted loopback DNS server (UDP + TCP on one port, 127.0.0.1 and optionally ::1) for
 * transport and resolver tests. A handler decides per query what happens: a reply (Message or
 * raw bytes), nothing (drop), a delayed reply, several replies (a spoofed one first), a reply
 * from another source port, TC=1 over UDP and the full answer over TCP, a TCP reply written one
 * octet at a time, garbage, or a closed connection. Every query received is recorded with its
 * header bits, EDNS size and DO bit.
 * Test support only. Must never: listen on anything but loopback; crash on a garbage query
 * (it is recorded as malformed and dropped); leave sockets or timers behind after close().
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  decodeMessage,
  DEFAULT_FLAGS,
  encodeMessage,
  makeRr,
  Name,
  RRType,
  type Message,
  type Question,
  type Rr,
} from '../../src/dns/wire/index.ts';
import { isLoopback } from '../../src/util/index.ts';

export type FakeTransport = 'udp' | 'tcp';

/** Where a query came from. */
export interface Peer {
  address: string;
  port: number;
}

export type Reply = Message | Uint8Array;

/** One thing to send back. */
export interface Action {
  /** The reply; omitted → send nothing for this action (e.g. only close). */
  reply?: Reply;
  /** Wait this long before sending. */
  delayMs?: number;
  /** UDP: send from a second socket (another source port) on the same address. */
  fromOtherPort?: boolean;
  /** TCP: write the framed reply one octet per write. */
  bytewise?: boolean;
  /** TCP: write the reply bytes as they are, without the two-octet length prefix. */
  unframed?: boolean;
  /** TCP: close the connection after this action. */
  close?: boolean;
}

export type HandlerResult = Reply | Action | undefined | readonly (Reply | Action)[];

/** Decides what to send for each decoded query. */
export type Handler = (
  query: Message,
  transport: FakeTransport,
  peer: Peer,
) => HandlerResult | Promise<HandlerResult>;

/** A query as the server saw it. */
export interface RecordedQuery {
  transport: FakeTransport;
  /** Local address it arrived on. */
  address: string;
  from: Peer;
  bytes: Uint8Array;
  /** Set (with the decode error) when the query did not decode; the fields below are then unset. */
  malformed?: string;
  id?: number;
  qname?: string;
  qtype?: number;
  qclass?: number;
  rd?: boolean;
  cd?: boolean;
  /** EDNS DO bit; false without EDNS. */
  do?: boolean;
  /** EDNS UDP payload size; undefined without EDNS. */
  ednsSize?: number | undefined;
}

export interface FakeDnsServer {
  port: number;
  addresses: string[];
  /** One `{ address, port }` per address, for `query({ servers })`. */
  servers: { address: string; port: number }[];
  queries: RecordedQuery[];
  /** Errors thrown by the handler (the query is then dropped); tests may assert it is empty. */
  handlerErrors: unknown[];
  /** Delay timers (`delayMs`, bytewise pauses) still pending; 0 after close(). */
  pendingTimers(): number;
  close(): Promise<void>;
}

export interface FakeDnsOptions {
  /** Loopback addresses to serve on (default `['127.0.0.1']`). */
  addresses?: string[];
  /** Milliseconds between the octets of a `bytewise` TCP reply (default 1). */
  bytewiseDelayMs?: number;
  /** Port to listen on (default 0: a free one, chosen on the first address). */
  port?: number;
  /** Called whenever a delay timer starts (a test can wait for it instead of sleeping). */
  onDelay?: (ms: number) => void;
}

/** True when a UDP socket can be bound to ::1 on this machine. */
export async function ipv6Available(): Promise<boolean> {
  const s = createSocket('udp6');
  try {
    s.bind(0, '::1');
    await once(s, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

/**
 * A reply to `query`: same ID, opcode, question, RD and CD, QR set, EDNS (size 1232, DO echoed)
 * when the query had EDNS. Fields in `over` replace the defaults.
 */
export function replyTo(
  query: Message,
  over: Partial<Omit<Message, 'flags'>> & { flags?: Partial<Message['flags']> } = {},
): Message {
  const { flags, ...rest } = over;
  return {
    id: query.id,
    rcode: 0,
    questions: query.questions,
    answers: [],
    authorities: [],
    additionals: [],
    ...(query.edns === undefined
      ? {}
      : { edns: { udpSize: 1232, version: 0, do: query.edns.do, options: [] } }),
    ...rest,
    flags: {
      ...DEFAULT_FLAGS,
      qr: true,
      ra: true,
      opcode: query.flags.opcode,
      rd: query.flags.rd,
      cd: query.flags.cd,
      ...flags,
    },
  };
}

/** An A record for tests. */
export function aRecord(name: string | Name, address: string, ttl = 300): Rr {
  return makeRr({
    name: typeof name === 'string' ? Name.parse(name) : name,
    type: RRType.A,
    ttl,
    data: { address },
  });
}

/** The first question of a query (throws when there is none: test code). */
export function questionOf(query: Message): Question {
  const q = query.questions[0];
  if (q === undefined) throw new Error('query without a question');
  return q;
}

function record(
  bytes: Uint8Array,
  transport: FakeTransport,
  address: string,
  from: Peer,
): {
  rec: RecordedQuery;
  query?: Message;
} {
  const rec: RecordedQuery = { transport, address, from, bytes: Uint8Array.from(bytes) };
  try {
    const query = decodeMessage(bytes);
    const q = query.questions[0];
    Object.assign(rec, {
      id: query.id,
      qname: q?.name.toString(),
      qtype: q?.type,
      qclass: q?.class,
      rd: query.flags.rd,
      cd: query.flags.cd,
      do: query.edns?.do ?? false,
      ednsSize: query.edns?.udpSize,
    });
    return { rec, query };
  } catch (e) {
    rec.malformed = e instanceof Error ? e.message : String(e);
    return { rec };
  }
}

function toActions(result: HandlerResult): Action[] {
  if (result === undefined) return [];
  const list: readonly (Reply | Action)[] = Array.isArray(result) ? result : [result as Reply | Action];
  return list.map((item) => (item instanceof Uint8Array || 'questions' in item ? { reply: item } : item));
}

function toBytes(reply: Reply): Uint8Array {
  return reply instanceof Uint8Array ? reply : encodeMessage(reply);
}

function frame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 2);
  out[0] = (bytes.length >> 8) & 0xff;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

class Runtime {
  readonly timers = new Set<NodeJS.Timeout>();
  readonly errors: unknown[] = [];
  readonly onDelay: ((ms: number) => void) | undefined;
  closed = false;

  constructor(onDelay: ((ms: number) => void) | undefined) {
    this.onDelay = onDelay;
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
      this.onDelay?.(ms);
    });
  }

  stop(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

async function serveUdp(
  rt: Runtime,
  handler: Handler,
  queries: RecordedQuery[],
  sockets: { main: UdpSocket; other: UdpSocket; address: string },
  bytes: Uint8Array,
  from: Peer,
): Promise<void> {
  const { rec, query } = record(bytes, 'udp', sockets.address, from);
  queries.push(rec);
  if (query === undefined) return;
  const actions = toActions(await handler(query, 'udp', from));
  for (const a of actions) {
    await rt.sleep(a.delayMs ?? 0);
    if (rt.closed) return;
    if (a.reply === undefined) continue;
    const sock = a.fromOtherPort === true ? sockets.other : sockets.main;
    sock.send(toBytes(a.reply), from.port, from.address);
  }
}

async function writeTcp(rt: Runtime, sock: Socket, a: Action, bytewiseDelayMs: number): Promise<void> {
  if (a.reply !== undefined) {
    const raw = toBytes(a.reply);
    const data = a.unframed === true ? raw : frame(raw);
    if (a.bytewise === true) {
      for (let i = 0; i < data.length && !rt.closed && !sock.destroyed; i++) {
        sock.write(data.subarray(i, i + 1));
        await rt.sleep(bytewiseDelayMs);
      }
    } else if (!sock.destroyed) sock.write(data);
  }
  if (a.close === true) sock.end();
}

function serveTcpConnection(
  rt: Runtime,
  handler: Handler,
  queries: RecordedQuery[],
  sock: Socket,
  opts: { address: string; bytewiseDelayMs: number },
): void {
  sock.setNoDelay(true);
  sock.on('error', () => sock.destroy());
  const from = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
  let buf = new Uint8Array(0);
  let chain = Promise.resolve();
  sock.on('data', (chunk: Buffer) => {
    const joined = new Uint8Array(buf.length + chunk.length);
    joined.set(buf);
    joined.set(chunk, buf.length);
    buf = joined;
    while (buf.length >= 2) {
      const len = ((buf[0] as number) << 8) | (buf[1] as number);
      if (buf.length < 2 + len) break;
      const msg = buf.slice(2, 2 + len);
      buf = buf.slice(2 + len);
      chain = chain
        .then(async () => {
          const { rec, query } = record(msg, 'tcp', opts.address, from);
          queries.push(rec);
          if (query === undefined) return;
          for (const a of toActions(await handler(query, 'tcp', from))) {
            await rt.sleep(a.delayMs ?? 0);
            if (rt.closed || sock.destroyed) return;
            await writeTcp(rt, sock, a, opts.bytewiseDelayMs);
          }
        })
        .catch((e: unknown) => {
          rt.errors.push(e);
          sock.destroy();
        });
    }
  });
}

async function bindUdp(address: string, port: number): Promise<UdpSocket> {
  const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const failed = once(sock, 'error').then(([e]) => {
    throw e as Error;
  });
  sock.bind(port, address);
  try {
    await Promise.race([once(sock, 'listening'), failed]);
  } catch (e) {
    sock.close();
    throw e;
  }
  failed.catch(() => undefined);
  sock.on('error', () => undefined);
  return sock;
}

async function listenTcp(server: Server, address: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Start the server; all addresses share one port (port 0 picks a free one on the first). */
export async function startFakeDnsServer(
  handler: Handler,
  opts: FakeDnsOptions = {},
): Promise<FakeDnsServer> {
  const addresses = opts.addresses ?? ['127.0.0.1'];
  if (addresses.length === 0 || !addresses.every(isLoopback))
    throw new Error(`fake DNS server listens on loopback only, not ${addresses.join(', ')}`);
  for (let tries = 0; ; tries++) {
    try {
      return await startOnce(handler, addresses, opts);
    } catch (e) {
      // With port 0 the UDP port may be free while its TCP twin is not: pick another.
      if (tries >= 5 || (opts.port ?? 0) !== 0 || (e as { code?: string }).code !== 'EADDRINUSE') throw e;
    }
  }
}

async function startOnce(
  handler: Handler,
  addresses: string[],
  opts: FakeDnsOptions,
): Promise<FakeDnsServer> {
  const bytewiseDelayMs = opts.bytewiseDelayMs ?? 1;
  const rt = new Runtime(opts.onDelay);
  const queries: RecordedQuery[] = [];
  const udp: UdpSocket[] = [];
  const tcp: Server[] = [];
  const conns = new Set<Socket>();
  const close = async (): Promise<void> => {
    rt.stop();
    for (const c of conns) c.destroy();
    await Promise.all([
      ...udp.map((s) => new Promise<void>((r) => s.close(r))),
      ...tcp.map(
        (s) =>
          new Promise<void>((r) =>
            s.close(() => {
              r();
            }),
          ),
      ),
    ]);
  };
  let port = opts.port ?? 0;
  try {
    for (const address of addresses) {
      const main = await bindUdp(address, port);
      udp.push(main);
      port = main.address().port;
      const other = await bindUdp(address, 0);
      udp.push(other);
      const sockets = { main, other, address };
      main.on('message', (msg, rinfo) => {
        void serveUdp(rt, handler, queries, sockets, msg, { address: rinfo.address, port: rinfo.port }).catch(
          (e: unknown) => rt.errors.push(e),
        );
      });
      const server = createServer((sock) => {
        conns.add(sock);
        sock.on('close', () => conns.delete(sock));
        serveTcpConnection(rt, handler, queries, sock, { address, bytewiseDelayMs });
      });
      tcp.push(server);
      await listenTcp(server, address, port);
    }
  } catch (e) {
    await close();
    throw e;
  }
  const servers = addresses.map((address) => ({ address, port }));
  return {
    port,
    addresses,
    servers,
    queries,
    handlerErrors: rt.errors,
    pendingTimers: () => rt.timers.size,
    close,
  };
}
