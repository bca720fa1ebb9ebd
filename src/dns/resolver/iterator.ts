/**
 * Mode `recursive`: iterate from root hints (RFC 1034 §5.3.3) — ask the closest known servers,
 * follow referrals down, take glue only from servers in whose bailiwick it lies, and resolve
 * glueless name-server names on the side. Glue and referrals are unvalidated hints: they only
 * choose where to ask; every answer is validated afterwards like any other. DS questions are
 * sent to the parent zone's servers (RFC 4035 §4.2 — the DS RRset lives on the parent side), and
 * the DS RRset or no-DS proof a referral carried (RFC 4035 §3.1.4.1) answers them without asking
 * again. Fixed delegations (stub and forward zones) take precedence over referrals.
 * Must never: follow a referral sideways or upwards, or use glue from outside the bailiwick.
 */
import { formatServer, type Clock, type Random } from '../../util/index.ts';
import { DNS_PORT, makeQuery, Name, RRClass, RRType, typeToString } from '../wire/index.ts';
import { TtlCache } from './cache.ts';
import { DEFAULT_ITERATOR_CACHE_ENTRIES, DEFAULT_TTL_POLICY, type TtlPolicy } from './defaults.ts';
import { suffixKeys } from './name-keys.ts';
import { dsResponseFromReferral, parseReferral, scrubResponse, type NsHost } from './referral.ts';
import type { Rr } from '../wire/index.ts';
import {
  serversToAsk,
  type DnsExchange,
  type FetchContext,
  type FetchResult,
  type ServerAddress,
  type Upstream,
} from './upstream.ts';

/** The `server` of a DS answer made from what a referral carried (no server was asked). */
const REFERRAL = 'referral';

export interface RootHint {
  name: Name;
  addresses: string[];
}

interface Delegation {
  zone: Name;
  servers: NsHost[];
  /** Fixed servers with their own ports (stub / forward zones). */
  fixed?: ServerAddress[];
  /** Ask with RD set (a forward zone: the servers recurse for us). */
  recursive?: boolean;
}

/**
 * A fixed delegation, as Unbound's `stub-zone` (ask these authoritative servers for anything at
 * or below `zone`) or `forward-zone` (`recursive`: ask these resolvers with RD set).
 */
export interface StubZone {
  zone: Name;
  servers: ServerAddress[];
  recursive?: boolean;
}

export interface IteratorOptions {
  clock: Clock;
  random: Random;
  /** Port every authoritative server is reached on (53; tests and the lab use others). */
  port?: number;
  /** Referrals followed per question (default: the lookup budget's `maxReferrals`). */
  maxReferrals?: number;
  cacheEntries?: number;
  /** Fixed delegations that take precedence over referrals (stub and forward zones). */
  stubs?: readonly StubZone[];
}

export class IterativeUpstream implements Upstream {
  readonly #hints: Delegation;
  readonly #net: DnsExchange;
  readonly #random: Random;
  readonly #port: number;
  readonly #maxReferrals: number | undefined;
  readonly #delegations: TtlCache<Delegation>;
  readonly #hostAddresses: TtlCache<string[]>;
  readonly #parentDs: TtlCache<Rr[]>;
  readonly #stubs: ReadonlyMap<string, Delegation>;
  readonly description: string;

  constructor(hints: readonly RootHint[], net: DnsExchange, opts: IteratorOptions) {
    this.#hints = {
      zone: Name.ROOT,
      servers: hints.map((h) => ({ name: h.name, addresses: [...h.addresses] })),
    };
    this.#net = net;
    this.#random = opts.random;
    this.#port = opts.port ?? DNS_PORT;
    this.#maxReferrals = opts.maxReferrals;
    const size = opts.cacheEntries ?? DEFAULT_ITERATOR_CACHE_ENTRIES;
    this.#delegations = new TtlCache(opts.clock, size);
    this.#hostAddresses = new TtlCache(opts.clock, size);
    this.#parentDs = new TtlCache(opts.clock, size);
    this.#stubs = new Map(
      (opts.stubs ?? []).map((s) => [
        s.zone.key(),
        { zone: s.zone, servers: [], fixed: [...s.servers], recursive: s.recursive === true },
      ]),
    );
    this.description = `recursive from ${hints.length} root hint(s)${this.#port === DNS_PORT ? '' : ` on port ${this.#port}`}`;
  }

  /** The deepest known delegation at or above `target` (stub zones first at each level). */
  #closest(target: Name): Delegation {
    for (const key of suffixKeys(target)) {
      const stub = this.#stubs.get(key);
      if (stub !== undefined) return stub;
      if (key === '.') break;
      const d = this.#delegations.get(key);
      if (d !== undefined) return d;
    }
    return this.#hints;
  }

  /** The validator found the DS a referral carried bogus: ask the parent's servers next time. */
  forget(name: Name, type: number): void {
    if (type === RRType.DS) this.#parentDs.delete(name.key());
  }

  async fetch(name: Name, type: number, ctx: FetchContext): Promise<FetchResult> {
    if (type === RRType.DS && !name.isRoot && ctx.avoid?.has(REFERRAL) !== true) {
      const known = this.#parentDs.get(name.key());
      if (known !== undefined) {
        ctx.trace?.(`; DS ${name.toString()} from the parent's referral`);
        return { ok: true, message: dsResponseFromReferral(name, known), server: REFERRAL };
      }
    }
    return this.#iterate(name, type, ctx, new Set());
  }

  async #iterate(name: Name, type: number, ctx: FetchContext, resolving: Set<string>): Promise<FetchResult> {
    // RFC 4035 §4.2: the DS RRset is asked of the parent zone's servers.
    const target = type === RRType.DS && !name.isRoot ? (name.parent() as Name) : name;
    const limit = this.#maxReferrals ?? ctx.budget.limits.maxReferrals;
    let deleg = this.#closest(target);
    for (let referrals = 0; referrals <= limit; referrals++) {
      const all = await this.#addresses(deleg, ctx, resolving);
      if (all.length === 0)
        return { ok: false, reason: `no usable address for the servers of ${deleg.zone.toString()}` };
      // Servers whose answer to this question was bogus are not asked again (retry.ts).
      const servers = serversToAsk(all, ctx.avoid);
      if (servers.length === 0)
        return { ok: false, reason: `no other server of ${deleg.zone.toString()} to ask` };
      ctx.budget.spendQuery();
      const query = makeQuery(
        { name, type, class: RRClass.IN },
        { id: this.#random.int(0x10000), rd: deleg.recursive === true, cd: true, dnssecOk: true },
      );
      ctx.trace?.(
        `; query ${name.toString()} ${typeToString(type)} at ${deleg.zone.toString()} (${servers.map(formatServer).join(' ')})`,
      );
      const res = await this.#net.exchange(query, servers);
      if (!res.ok) return res;
      if (deleg.recursive === true)
        return { ok: true, message: res.message, server: formatServer(res.server) };
      const ok = {
        ok: true,
        message: scrubResponse(res.message, deleg.zone),
        server: formatServer(res.server),
      } as const;
      const next = this.#learn(ok.message, deleg, {
        target: type === RRType.DS ? name : target,
        ttl: ctx.ttl ?? DEFAULT_TTL_POLICY,
      });
      if (next === undefined) return ok;
      if (type === RRType.DS && next.zone.equals(name)) {
        // The parent referred us to the child itself: its referral carries the DS answer.
        const known = this.#parentDs.get(name.key());
        return known === undefined ? ok : { ...ok, message: dsResponseFromReferral(name, known, query.id) };
      }
      deleg = next;
    }
    return { ok: false, reason: `more than ${limit} referrals for ${name.toString()}` };
  }

  /** Remember what a referral teaches (delegation, glue, DS); undefined when it is no referral. */
  #learn(
    msg: FetchOk['message'],
    current: Delegation,
    at: { target: Name; ttl: TtlPolicy },
  ): Delegation | undefined {
    const ref = parseReferral(msg, current.zone, at.target);
    if (ref === undefined) return undefined;
    const ttl = Math.min(Math.max(ref.ttl, 1), at.ttl.maxTtl);
    for (const s of ref.servers) {
      if (s.addresses.length > 0) this.#hostAddresses.set(s.name.key(), s.addresses, ttl);
    }
    // The DS RRset or no-DS proof of a referral is unvalidated, and its NS TTL is whatever the
    // sender chose: it answers DS questions for no longer than a bogus verdict lives, so one
    // modified referral cannot outlast the bogus cache and be fetched again and again. Once
    // validated, the key walk keeps the DS fact itself for its validated TTL.
    if (ref.parentDs.length > 0)
      this.#parentDs.set(ref.zone.key(), ref.parentDs, Math.min(ttl, at.ttl.bogusTtl));
    const deleg: Delegation = { zone: ref.zone, servers: ref.servers };
    this.#delegations.set(ref.zone.key(), deleg, ttl);
    return deleg;
  }

  /** Server addresses of a delegation, resolving glueless name-server names on demand. */
  async #addresses(deleg: Delegation, ctx: FetchContext, resolving: Set<string>): Promise<ServerAddress[]> {
    if (deleg.fixed !== undefined) return [...deleg.fixed];
    for (const s of deleg.servers) {
      if (s.addresses.length === 0) s.addresses = this.#hostAddresses.get(s.name.key()) ?? [];
    }
    if (!deleg.servers.some((s) => s.addresses.length > 0)) {
      for (const s of deleg.servers) {
        const key = s.name.key();
        if (resolving.has(key)) continue; // a name server whose address needs itself
        resolving.add(key);
        const found = await this.#lookupAddress(s.name, ctx, resolving);
        resolving.delete(key);
        if (found.length > 0) {
          s.addresses = found;
          this.#hostAddresses.set(key, found, (ctx.ttl ?? DEFAULT_TTL_POLICY).maxTtl);
          break;
        }
      }
    }
    const out: ServerAddress[] = [];
    for (const s of deleg.servers) for (const a of s.addresses) out.push({ address: a, port: this.#port });
    // Spread load over equally good servers, as resolvers do.
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.#random.int(i + 1);
      [out[i], out[j]] = [out[j] as ServerAddress, out[i] as ServerAddress];
    }
    return out;
  }

  async #lookupAddress(host: Name, ctx: FetchContext, resolving: Set<string>): Promise<string[]> {
    for (const type of [RRType.A, RRType.AAAA]) {
      // The servers to avoid are those of the question being retried, not of this side lookup.
      const res = await this.#iterate(host, type, { ...ctx, avoid: undefined }, resolving);
      if (!res.ok) continue;
      const addrs = res.message.answers
        .filter((rr) => rr.type === type && rr.name.equals(host))
        .map((rr) => (rr.data as { address: string }).address);
      if (addrs.length > 0) return addrs;
    }
    return [];
  }
}

type FetchOk = Extract<FetchResult, { ok: true }>;
