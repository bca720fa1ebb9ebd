/**
 * Where DNS responses come from, behind one interface so the validator does not care:
 * - `ForwardingUpstream` (mode `validate`): the configured resolvers, asked with RD, DO and CD set
 *   so they hand over signatures and proofs without filtering; nothing they say is trusted.
 * - `IterativeUpstream` (mode `recursive`, iterator.ts): from root hints down the referrals.
 * The network itself enters through `DnsExchange`, which the composition root wires to
 * dns/transport (tests script it).
 */
import { makeQuery, RRClass, type Message, type Name } from '../wire/index.ts';
import { formatServer, type Random } from '../../util/index.ts';
import type { Budget } from './budget.ts';
import { InFlight } from './cache.ts';
import type { TtlPolicy } from './defaults.ts';

export interface ServerAddress {
  address: string;
  port: number;
}

export type ExchangeResult =
  { ok: true; message: Message; server: ServerAddress } | { ok: false; reason: string };

/** The network: send one query to servers (in order, with the transport's retries). */
export interface DnsExchange {
  exchange(query: Message, servers: readonly ServerAddress[]): Promise<ExchangeResult>;
}

export interface FetchContext {
  budget: Budget;
  trace?: ((line: string) => void) | undefined;
  /** The resolver's cache lifetimes, for what an upstream caches itself (delegations, glue). */
  ttl?: TtlPolicy;
  /**
   * Servers (as `formatServer` writes them, or `referral`) not to ask: their answer to this
   * question was bogus. When every server is to be avoided the fetch fails without a query.
   */
  avoid?: ReadonlySet<string> | undefined;
}

/** The servers of `servers` not in `avoid`. */
export function serversToAsk<S extends ServerAddress>(
  servers: readonly S[],
  avoid: ReadonlySet<string> | undefined,
): S[] {
  return avoid === undefined || avoid.size === 0
    ? [...servers]
    : servers.filter((s) => !avoid.has(formatServer(s)));
}

export type FetchResult = { ok: true; message: Message; server: string } | { ok: false; reason: string };

export interface Upstream {
  /** Fetch the response to (name, type); the caller validates whatever comes back. */
  fetch(name: Name, type: number, ctx: FetchContext): Promise<FetchResult>;
  /**
   * Forget what the upstream itself remembers for (name, type) — the validator found it bogus
   * (e.g. the DS a referral carried): the next fetch asks a server again.
   */
  forget?(name: Name, type: number): void;
  /** Human label for traces (`validate via 127.0.0.1:53`). */
  readonly description: string;
}

/**
 * Concurrent fetches of the same (name, type) share one upstream exchange (a burst of lookups
 * under one zone asks for its DS and DNSKEY once). The first caller's budget pays for it.
 */
export class SharedUpstream implements Upstream {
  readonly #inner: Upstream;
  readonly #pending = new InFlight<FetchResult>();
  readonly description: string;

  constructor(inner: Upstream) {
    this.#inner = inner;
    this.description = inner.description;
  }

  fetch(name: Name, type: number, ctx: FetchContext): Promise<FetchResult> {
    const avoid = ctx.avoid === undefined ? '' : [...ctx.avoid].sort().join(' ');
    return this.#pending.run(`${name.key()}|${type}|${avoid}`, () => this.#inner.fetch(name, type, ctx));
  }

  forget(name: Name, type: number): void {
    this.#inner.forget?.(name, type);
  }
}

/** Ask configured recursive resolvers with RD+DO+CD (mode `validate`), or RD+DO (mode `trust-ad`). */
export class ForwardingUpstream implements Upstream {
  readonly #servers: readonly ServerAddress[];
  readonly #net: DnsExchange;
  readonly #random: Random;
  readonly #cd: boolean;
  readonly description: string;

  /** The resolvers asked, in order. */
  get servers(): readonly ServerAddress[] {
    return this.#servers;
  }

  /** True when queries carry CD (mode validate), false for mode trust-ad. */
  get checkingDisabled(): boolean {
    return this.#cd;
  }

  constructor(
    servers: readonly ServerAddress[],
    net: DnsExchange,
    opts: { random: Random; checkingDisabled: boolean },
  ) {
    this.#servers = servers;
    this.#net = net;
    this.#random = opts.random;
    this.#cd = opts.checkingDisabled;
    this.description = `${opts.checkingDisabled ? 'validate' : 'trust-ad'} via ${servers.map(formatServer).join(', ')}`;
  }

  async fetch(name: Name, type: number, ctx: FetchContext): Promise<FetchResult> {
    const servers = serversToAsk(this.#servers, ctx.avoid);
    if (servers.length === 0) return { ok: false, reason: 'no other resolver to ask' };
    ctx.budget.spendQuery();
    const query = makeQuery(
      { name, type, class: RRClass.IN },
      { id: this.#random.int(0x10000), rd: true, cd: this.#cd, dnssecOk: true },
    );
    const res = await this.#net.exchange(query, servers);
    if (!res.ok) return res;
    return { ok: true, message: res.message, server: formatServer(res.server) };
  }
}
