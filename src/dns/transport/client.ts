/**
 * The DNS client: ask the configured servers in order, each try over UDP with EDNS(0)
 * (RFC 6891; payload 1232, DO as asked) and over TCP when the reply is truncated (RFC 7766 §5),
 * with a per-try timeout and `attempts` rounds over the server list. A server answering
 * SERVFAIL, REFUSED, NOTIMP or FORMERR is left for the next one. Each try is published on
 * `mta:dns:query` (node:diagnostics_channel); dropped replies on `mta:dns:reply-dropped`.
 * Bytes in, bytes out: nothing here knows DNSSEC or caches anything.
 * Must never: throw or reject for network conditions (failures are `{ ok: false }` values);
 * reuse a query ID across tries; take IDs from anything but the injected Random.
 */
import { ChannelName, cryptoRandom, formatServer, TypedChannel, type Random } from '../../util/index.ts';
import { makeQuery, Rcode, rcodeToString, type Message, type Question } from '../wire/index.ts';
import { emptyDropCounts, type DropCounts, type DropReason } from './accept.ts';
import { TransportError } from './errors.ts';
import type { ServerAddress } from './servers.ts';
import { tcpExchange } from './tcp.ts';
import { udpExchange, type ExchangeOutcome } from './udp.ts';

/** Channel name of the per-try query event (`DnsQueryEvent`). */
export const DNS_QUERY_CHANNEL = ChannelName.DNS_QUERY;
/** Channel name of the dropped-reply event (`DnsDropEvent`). */
export const DNS_DROP_CHANNEL = ChannelName.DNS_REPLY_DROPPED;

/** Published on `mta:dns:query` once per try (one server, UDP and any TCP retry). */
export interface DnsQueryEvent {
  server: string;
  qname: string;
  qtype: number;
  transport: 'udp' | 'tcp';
  rttMs: number;
  /** The reply's RCODE mnemonic (`NOERROR`, `SERVFAIL` …) or the error code (`DNS_ERR_TIMEOUT` …). */
  outcome: string;
  id: number;
}

/** Published on `mta:dns:reply-dropped` for every reply that was not accepted. */
export interface DnsDropEvent {
  server: string;
  transport: 'udp' | 'tcp';
  reason: DropReason;
  detail: string;
}

/** The typed channels of the two events (names declared in util/diagnostics.ts). */
export const dnsQueryChannel = new TypedChannel<DnsQueryEvent>(DNS_QUERY_CHANNEL);
export const dnsDropChannel = new TypedChannel<DnsDropEvent>(DNS_DROP_CHANNEL);

/** Counters of one `query()` call. */
export interface QueryStats {
  /** Tries made (one per server asked, whatever the transport). */
  tries: number;
  /** Queries sent over UDP. */
  udp: number;
  /** Queries sent over TCP (after truncation, or with `tcp: 'always'`). */
  tcp: number;
  /** Replies dropped by reason (wrong source, ID, question, malformed …). */
  dropped: DropCounts;
}

/** What a DnsTransport yields for one try against one server. */
export type TryResult =
  | { ok: true; message: Message; server: ServerAddress; transport: 'udp' | 'tcp'; rttMs: number }
  | { ok: false; error: TransportError; transport?: 'udp' | 'tcp'; rttMs?: number };

/** What `query()` yields. `stats` counts every try and every dropped reply. */
export type QueryResult =
  | {
      ok: true;
      message: Message;
      server: ServerAddress;
      transport: 'udp' | 'tcp';
      rttMs: number;
      stats: QueryStats;
    }
  | { ok: false; error: TransportError; stats: QueryStats };

/** Options of one try. */
export interface TryOptions {
  timeoutMs: number;
  tcp: 'fallback' | 'always';
  signal?: AbortSignal | undefined;
  /** Called for each dropped reply (the caller counts and publishes them). */
  onDrop?: ((reason: DropReason, detail: string, transport: 'udp' | 'tcp') => void) | undefined;
  /** Called each time a query is sent (the caller counts UDP and TCP exchanges). */
  onSend?: ((transport: 'udp' | 'tcp') => void) | undefined;
}

/**
 * One try of one query against one server. The resolver is given this interface, so it can be
 * tested with a scripted in-memory transport; `networkTransport` is the real one.
 */
export interface DnsTransport {
  query(msg: Message, server: ServerAddress, opts: TryOptions): Promise<TryResult>;
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

async function exchange(
  transport: 'udp' | 'tcp',
  msg: Message,
  server: ServerAddress,
  opts: TryOptions,
): Promise<ExchangeOutcome> {
  const run = transport === 'udp' ? udpExchange : tcpExchange;
  opts.onSend?.(transport);
  return run(msg, server, {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    onDrop: (reason, detail) => opts.onDrop?.(reason, detail, transport),
  });
}

/** The real transport: UDP first (unless `tcp: 'always'`), TCP when the UDP reply has TC set. */
export const networkTransport: DnsTransport = {
  async query(msg, server, opts) {
    const start = performance.now();
    let used: 'udp' | 'tcp' = opts.tcp === 'always' ? 'tcp' : 'udp';
    let out = await exchange(used, msg, server, opts);
    // RFC 2181 §9: "When a DNS client receives a reply with TC set, it should ignore that
    // response, and query again, using a mechanism, such as a TCP connection, that will permit
    // larger replies."
    if (out.ok && used === 'udp' && out.message.flags.tc) {
      used = 'tcp';
      out = await exchange(used, msg, server, opts);
    }
    const rttMs = elapsed(start);
    return out.ok
      ? { ok: true, message: out.message, server, transport: used, rttMs }
      : { ok: false, error: out.error, transport: used, rttMs };
  },
};

/** Options of `query()`. */
export interface QueryOptions {
  servers: readonly ServerAddress[];
  /** Per try, default 2000 ms. */
  timeoutMs?: number;
  /** Rounds over all servers, default 2. */
  attempts?: number;
  /** `fallback` (default): UDP, TCP on truncation; `always`: TCP only. */
  tcp?: 'fallback' | 'always';
  /** EDNS(0) payload size advertised, default 1232 (values under 512 count as 512). */
  udpSize?: number;
  /** DO bit, default true. */
  dnssecOk?: boolean;
  /** CD bit, default false. */
  checkingDisabled?: boolean;
  /** RD bit, default true. */
  recursionDesired?: boolean;
  /** Source of query IDs, default the CSPRNG `cryptoRandom`. */
  random?: Random;
  /** Start at a random server (resolv.conf `rotate`), default false. */
  rotate?: boolean;
  signal?: AbortSignal;
  /** The transport to use, default `networkTransport`. */
  transport?: DnsTransport;
}

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_ATTEMPTS = 2;
export const DEFAULT_UDP_SIZE = 1232;

/** RFC 6891 §6.2.5: "Values lower than 512 MUST be treated as equal to 512." */
const MIN_UDP_SIZE = 512;
/** The EDNS UDP payload size is a 16-bit field. */
const MAX_UDP_SIZE = 0xffff;

/** RCODEs after which the next server is asked. */
const NEXT_SERVER: ReadonlySet<number> = new Set([Rcode.SERVFAIL, Rcode.REFUSED, Rcode.NOTIMP]);

function toTemplate(q: Question | Message, opts: QueryOptions): Message {
  if ('questions' in q) return q;
  const udpSize = Math.min(Math.max(opts.udpSize ?? DEFAULT_UDP_SIZE, MIN_UDP_SIZE), MAX_UDP_SIZE);
  return makeQuery(q, {
    id: 0,
    rd: opts.recursionDesired ?? true,
    cd: opts.checkingDisabled ?? false,
    dnssecOk: opts.dnssecOk ?? true,
    udpSize,
  });
}

function formerr(server: ServerAddress): TransportError {
  return new TransportError(
    'DNS_ERR_FORMERR_REPLY',
    `${formatServer(server)} answered FORMERR to our query`,
    {
      details: { server: formatServer(server) },
    },
  );
}

function publishTry(msg: Message, server: ServerAddress, res: TryResult): void {
  if (!dnsQueryChannel.hasSubscribers) return;
  const q = msg.questions[0];
  const event: DnsQueryEvent = {
    server: formatServer(server),
    qname: q?.name.toString() ?? '',
    qtype: q?.type ?? 0,
    transport: res.transport ?? 'udp',
    rttMs: res.rttMs ?? 0,
    outcome: res.ok ? rcodeToString(res.message.rcode) : res.error.code,
    id: msg.id,
  };
  dnsQueryChannel.publish(event);
}

function allFailed(template: Message, failures: TransportError[]): TransportError {
  const q = template.questions[0];
  const what = q === undefined ? 'query' : `${q.name.toString()}/${q.type}`;
  const reasons = failures.map((f) => f.message);
  const unique = [...new Set(reasons)];
  const summary = unique.slice(0, 4).join('; ') + (unique.length > 4 ? '; …' : '');
  return new TransportError('DNS_ERR_ALL_SERVERS_FAILED', `all DNS servers failed for ${what}: ${summary}`, {
    cause: failures.at(-1),
    details: { failures: failures.map((f) => ({ code: f.code, message: f.message, ...f.details })) },
  });
}

/**
 * Send a query (a Question, or a ready Message — used with its own flags and EDNS, only its ID
 * replaced on every try) to the servers in order, `attempts` rounds, and return the first usable
 * reply. A server that answered is not asked again; one that failed is, next round. If every server that
 * answered said SERVFAIL/REFUSED/NOTIMP, the last such reply is returned (ok) so the caller sees
 * the RCODE. Never rejects for network conditions.
 */
export async function query(q: Question | Message, opts: QueryOptions): Promise<QueryResult> {
  const stats: QueryStats = { tries: 0, udp: 0, tcp: 0, dropped: emptyDropCounts() };
  const servers = opts.servers;
  if (servers.length === 0)
    return { ok: false, error: new TransportError('DNS_ERR_NO_SERVERS', 'no DNS servers configured'), stats };
  const template = toTemplate(q, opts);
  const random = opts.random ?? cryptoRandom;
  const transport = opts.transport ?? networkTransport;
  const attempts = Math.max(1, Math.floor(opts.attempts ?? DEFAULT_ATTEMPTS));
  const first = opts.rotate === true ? random.int(servers.length) : 0;
  const done = new Set<number>(); // servers that answered and are not asked again
  const failures: TransportError[] = [];
  let lastRcodeReply: QueryResult | undefined;
  for (let round = 0; round < attempts; round++) {
    for (let k = 0; k < servers.length; k++) {
      const index = (first + k) % servers.length;
      const server = servers[index] as ServerAddress;
      if (done.has(index)) continue;
      if (opts.signal?.aborted === true) return aborted(opts.signal, stats);
      const res = await tryOnce(transport, { ...template, id: random.int(0x10000) }, server, opts, stats);
      if (!res.ok) {
        if (res.error.code === 'DNS_ERR_ABORTED') return { ok: false, error: res.error, stats };
        failures.push(res.error);
        continue;
      }
      const rcode = res.message.rcode;
      if (rcode === Rcode.FORMERR) failures.push(formerr(server));
      else if (NEXT_SERVER.has(rcode)) lastRcodeReply = { ...res, stats };
      else return { ...res, stats };
      done.add(index);
    }
  }
  if (lastRcodeReply !== undefined) return lastRcodeReply;
  return { ok: false, error: allFailed(template, failures), stats };
}

function aborted(signal: AbortSignal, stats: QueryStats): QueryResult {
  return {
    ok: false,
    error: new TransportError('DNS_ERR_ABORTED', 'DNS query aborted', { cause: signal.reason }),
    stats,
  };
}

async function tryOnce(
  transport: DnsTransport,
  msg: Message,
  server: ServerAddress,
  opts: QueryOptions,
  stats: QueryStats,
): Promise<TryResult> {
  stats.tries++;
  const res = await transport.query(msg, server, {
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    tcp: opts.tcp ?? 'fallback',
    signal: opts.signal,
    onDrop: (reason, detail, via) => {
      stats.dropped[reason]++;
      if (dnsDropChannel.hasSubscribers) {
        dnsDropChannel.publish({ server: formatServer(server), transport: via, reason, detail });
      }
    },
    onSend: (via) => {
      stats[via]++;
    },
  });
  publishTry(msg, server, res);
  return res;
}
