/**
 * The lab's authoritative DNS server: serves signed (or unsigned) zones over UDP and TCP
 * (RFC 1035 §4.2, RFC 7766 framing and pipelining) on loopback addresses, one port for all of
 * them, with per-address views (which zones each address serves) and a log of every query.
 * Answering itself is answer.ts. Garbage gets FORMERR or is dropped; a client can never crash
 * the server. Must never listen on a non-loopback address, and must close promptly.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { isLoopback } from '../../util/index.ts';
import { Name, type Message } from '../../dns/wire/index.ts';
import { handleQueryBytes, type Handled } from './answer.ts';
import { LabDnsError } from './lab-dns-error.ts';
import type { ZoneData } from './signer.ts';
import { ZoneIndex } from './zone-index.ts';

/** One logged query. */
export interface QueryLogEntry {
  /** The local address the query was sent to (which simulated server). */
  address: string;
  /** The client's address and port. */
  from: string;
  qname: string;
  qtype: number;
  do: boolean;
  cd: boolean;
  rd: boolean;
  transport: 'udp' | 'tcp';
  /** RCODE of the response; undefined when the query was dropped. */
  rcode: number | undefined;
}

/** Options of `startAuthority`. */
export interface AuthorityOptions {
  /** Loopback addresses to serve on; all use one port (the first given port, or a free one). */
  listen: readonly { address: string; port?: number }[];
  zones: readonly ZoneData[];
  /** Which zones (by origin) each address serves; addresses not listed serve every zone. */
  views?: Readonly<Record<string, readonly (Name | string)[]>>;
  /** Close idle TCP connections after this long (default 10 s, RFC 7766 §6.2.3). */
  tcpIdleMs?: number;
  /** Keep at most this many log entries, dropping the oldest (default 10000). */
  maxLogEntries?: number;
}

/** A running authoritative server. */
export interface Authority {
  readonly port: number;
  readonly addresses: readonly string[];
  /** Every query received, oldest first. */
  readonly queries: QueryLogEntry[];
  /** Serve other zones from now on (e.g. a re-signed or broken copy); views stay as they are. */
  setZones(zones: readonly ZoneData[]): void;
  close(): Promise<void>;
}

const MAX_BIND_ATTEMPTS = 12;

function checkOptions(opts: AuthorityOptions): { addresses: string[]; port: number } {
  if (opts.listen.length === 0)
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', 'the authority needs an address to listen on');
  const addresses = opts.listen.map((l) => l.address);
  for (const a of addresses) {
    if (!isLoopback(a)) throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `not a loopback address: ${a}`);
  }
  if (new Set(addresses).size !== addresses.length)
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', 'an address is listed twice');
  const ports = new Set(opts.listen.map((l) => l.port).filter((p) => p !== undefined && p !== 0));
  if (ports.size > 1)
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', 'all addresses of the authority share one port');
  const port = [...ports][0] ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `bad port ${port}`);
  return { addresses, port };
}

/** Index the zones and resolve the views into per-address zone lists. */
function zoneTable(
  opts: AuthorityOptions,
  zones: readonly ZoneData[],
  addresses: readonly string[],
): Map<string, ZoneIndex[]> {
  const all = zones.map((z) => new ZoneIndex(z.origin, z.records));
  const table = new Map<string, ZoneIndex[]>();
  for (const address of addresses) {
    const view = opts.views?.[address];
    if (view === undefined) {
      table.set(address, all);
      continue;
    }
    const wanted = view.map((o) => (typeof o === 'string' ? Name.parse(o) : o));
    for (const w of wanted) {
      if (!all.some((z) => z.origin.equals(w))) {
        throw new LabDnsError(
          'LAB_ERR_DNS_ARGUMENT',
          `view of ${address} names ${w.toString()}, which is not served`,
        );
      }
    }
    table.set(
      address,
      all.filter((z) => wanted.some((w) => w.equals(z.origin))),
    );
  }
  return table;
}

interface Listener {
  udp: UdpSocket;
  tcp: Server;
}

function bindUdp(address: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind(port, address, () => {
      sock.removeAllListeners('error');
      sock.on('error', () => undefined);
      resolve(sock);
    });
  });
}

function bindTcp(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: address, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

async function bindPair(address: string, port: number): Promise<Listener> {
  const udp = await bindUdp(address, port);
  try {
    const bound = udp.address().port;
    return { udp, tcp: await bindTcp(address, bound) };
  } catch (err) {
    udp.close();
    throw err;
  }
}

async function closeListeners(listeners: readonly Listener[]): Promise<void> {
  await Promise.all(
    listeners.map(async (l) => {
      await new Promise<void>((resolve) => {
        l.udp.close(() => {
          resolve();
        });
      }).catch(() => undefined);
      await new Promise<void>((resolve) =>
        l.tcp.close(() => {
          resolve();
        }),
      );
    }),
  );
}

/** Bind UDP and TCP on every address with one port; with port 0 retry on a clash. */
async function bindAll(
  addresses: readonly string[],
  port: number,
): Promise<{ port: number; listeners: Listener[] }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (port === 0 ? MAX_BIND_ATTEMPTS : 1); attempt++) {
    const listeners: Listener[] = [];
    try {
      const first = await bindPair(addresses[0] as string, port);
      listeners.push(first);
      const chosen = first.udp.address().port;
      for (const a of addresses.slice(1)) listeners.push(await bindPair(a, chosen));
      return { port: chosen, listeners };
    } catch (err) {
      lastError = err;
      await closeListeners(listeners);
    }
  }
  const why = lastError instanceof Error ? lastError.message : String(lastError);
  throw new LabDnsError(
    'LAB_ERR_DNS_LISTEN',
    `cannot listen on ${addresses.join(', ')} port ${port}: ${why}`,
    { cause: lastError },
  );
}

/** The state shared by the socket handlers. */
interface ServerState {
  table: Map<string, ZoneIndex[]>;
  queries: QueryLogEntry[];
  maxLog: number;
}

function logQuery(
  state: ServerState,
  at: { address: string; from: string; transport: 'udp' | 'tcp' },
  h: Handled,
): void {
  const q: Message | undefined = h.query;
  const question = q?.questions[0];
  if (q === undefined || question === undefined) return;
  state.queries.push({
    address: at.address,
    from: at.from,
    qname: question.name.toString(),
    qtype: question.type,
    do: q.edns?.do === true,
    cd: q.flags.cd,
    rd: q.flags.rd,
    transport: at.transport,
    rcode: h.response?.rcode,
  });
  if (state.queries.length > state.maxLog) state.queries.splice(0, state.queries.length - state.maxLog);
}

/** `192.0.2.1:53` or `[::1]:53`. */
function endpoint(address: string | undefined, port: number | undefined): string {
  const a = address ?? '?';
  return `${a.includes(':') ? `[${a}]` : a}:${port ?? 0}`;
}

function serveUdp(state: ServerState, address: string, sock: UdpSocket): void {
  sock.on('message', (msg, rinfo) => {
    const h = handleQueryBytes(new Uint8Array(msg), state.table.get(address) ?? [], { transport: 'udp' });
    logQuery(state, { address, from: endpoint(rinfo.address, rinfo.port), transport: 'udp' }, h);
    if (h.bytes === undefined) return;
    try {
      sock.send(h.bytes, rinfo.port, rinfo.address, () => undefined);
    } catch {
      // the socket closed meanwhile: nothing to answer on
    }
  });
}

/** RFC 7766 §8: each message is preceded by its two-octet length; several may be pipelined. */
function serveTcpConnection(state: ServerState, address: string, conn: Socket, idleMs: number): void {
  let buffer = Buffer.alloc(0);
  conn.setTimeout(idleMs, () => conn.destroy());
  conn.on('error', () => undefined);
  conn.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 2) {
      const length = buffer.readUInt16BE(0);
      if (length === 0) {
        conn.destroy();
        return;
      }
      if (buffer.length < 2 + length) return;
      const message = new Uint8Array(buffer.subarray(2, 2 + length));
      buffer = buffer.subarray(2 + length);
      const h = handleQueryBytes(message, state.table.get(address) ?? [], { transport: 'tcp' });
      logQuery(
        state,
        { address, from: `${conn.remoteAddress ?? '?'}:${conn.remotePort ?? 0}`, transport: 'tcp' },
        h,
      );
      if (h.bytes === undefined) continue;
      const frame = Buffer.alloc(2 + h.bytes.length);
      frame.writeUInt16BE(h.bytes.length, 0);
      frame.set(h.bytes, 2);
      if (!conn.destroyed) conn.write(frame);
    }
  });
}

/**
 * Start an authoritative server for `zones` on the given loopback addresses. Throws
 * LAB_ERR_DNS_ARGUMENT for bad options and LAB_ERR_DNS_LISTEN when an address cannot be bound.
 */
export async function startAuthority(opts: AuthorityOptions): Promise<Authority> {
  const { addresses, port } = checkOptions(opts);
  const state: ServerState = {
    table: zoneTable(opts, opts.zones, addresses),
    queries: [],
    maxLog: opts.maxLogEntries ?? 10_000,
  };
  const bound = await bindAll(addresses, port);
  const connections = new Set<Socket>();
  bound.listeners.forEach((l, i) => {
    const address = addresses[i] as string;
    serveUdp(state, address, l.udp);
    l.tcp.on('connection', (conn) => {
      connections.add(conn);
      conn.on('close', () => connections.delete(conn));
      serveTcpConnection(state, address, conn, opts.tcpIdleMs ?? 10_000);
    });
  });
  let closed: Promise<void> | undefined;
  return {
    port: bound.port,
    addresses,
    queries: state.queries,
    setZones(zones) {
      state.table = zoneTable(opts, zones, addresses);
    },
    close() {
      closed ??= (async () => {
        for (const c of connections) c.destroy();
        await closeListeners(bound.listeners);
      })();
      return closed;
    },
  };
}
