/**
 * An adapter from `query()` to the resolver's network interface (`DnsExchange` in
 * dns/resolver/upstream.ts: `exchange(query, servers)` → `{ ok, message, server }` or
 * `{ ok: false, reason }`), so the composition root can wire the two without either layer
 * importing the other. The shapes match structurally.
 * Must never: reject; hide an RCODE (SERVFAIL and friends come back as messages).
 */
import type { Message } from '../wire/index.ts';
import { query, type QueryOptions, type QueryStats } from './client.ts';
import type { ServerAddress } from './servers.ts';

/** What `exchange()` yields: the resolver's `ExchangeResult`, plus the query's counters. */
export type ServerListResult =
  | { ok: true; message: Message; server: ServerAddress; stats: QueryStats }
  | { ok: false; reason: string; code: string; stats: QueryStats };

/** Sends one query to a list of servers, with the transport's retries. */
export interface ServerListExchange {
  exchange(query: Message, servers: readonly ServerAddress[]): Promise<ServerListResult>;
}

/**
 * A `DnsExchange` for the resolver: every call runs `query()` with `defaults` (timeouts,
 * attempts, TCP mode, Random, transport …) and the servers it is given.
 */
export function createExchange(defaults: Omit<QueryOptions, 'servers'> = {}): ServerListExchange {
  return {
    async exchange(msg, servers) {
      const res = await query(msg, { ...defaults, servers });
      if (res.ok) return { ok: true, message: res.message, server: res.server, stats: res.stats };
      return { ok: false, reason: res.error.message, code: res.error.code, stats: res.stats };
    },
  };
}
