/**
 * Public surface of the DNS transport: server lists (specs, resolv.conf), the UDP/TCP client
 * `query()`, the one-try `DnsTransport` interface with its network implementation, the
 * resolver adapter `createExchange()`, and the diagnostics channel names.
 * Bytes in, bytes out: no DNSSEC, no caching.
 */
export { checkReply, emptyDropCounts, isFromServer } from './accept.ts';
export type { Acceptance, DropCounts, DropReason } from './accept.ts';
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_UDP_SIZE,
  DNS_DROP_CHANNEL,
  DNS_QUERY_CHANNEL,
  dnsDropChannel,
  dnsQueryChannel,
  networkTransport,
  query,
} from './client.ts';
export type {
  DnsDropEvent,
  DnsQueryEvent,
  DnsTransport,
  QueryOptions,
  QueryResult,
  QueryStats,
  TryOptions,
  TryResult,
} from './client.ts';
export { TransportError } from './errors.ts';
export type { TransportErrorCode } from './errors.ts';
export { DNS_PORT } from '../wire/index.ts';
export { createExchange } from './exchange.ts';
export type { ServerListExchange, ServerListResult } from './exchange.ts';
export {
  addressFamily,
  FALLBACK_SERVER,
  MAX_RESOLV_CONF_SERVERS,
  normalizeAddress,
  parseResolvConf,
  parseServerSpec,
  readResolvConf,
  serverProblem,
} from './servers.ts';
export type { ResolvConf, ServerAddress } from './servers.ts';
export { frame, TcpFramer, tcpExchange } from './tcp.ts';
export { udpExchange } from './udp.ts';
export type { ExchangeOptions, ExchangeOutcome } from './udp.ts';
