/**
 * The validating resolver facade: `lookup(name, type)` → one `Answer` with a single security
 * status (RFC 4035 §4.3) and a result kind that never confuses "proven no records" (nodata,
 * nxdomain) with "lookup failed" (failed). Follows CNAME/DNAME chains across responses, each link
 * validated (the final status is the weakest link); caches answers (positive, negative and
 * briefly bogus ones), validated keys and NSEC proofs (RFC 8198); concurrent identical lookups
 * share one resolution, and concurrent identical upstream fetches share one exchange.
 * Modes: `validate` and `recursive` prove everything from the trust anchors; `trust-ad` believes
 * the AD bit of a resolver on loopback (as Postfix and Maddy do) and refuses any other.
 * Must never: return bogus data as records, or throw for a DNS condition.
 */
import { Ede, type Proof } from '../dnssec/index.ts';
import { Name, Rcode, rcodeToString, RRType, type Message, type Rr, type RrsigRdata } from '../wire/index.ts';
import { unixSeconds, type Clock } from '../../util/index.ts';
import type { TrustAnchors } from './anchors.ts';
import { dnsAnswerChannel } from './channels.ts';
import { Budget, BudgetExceeded, DEFAULT_LIMITS, type Limits } from './budget.ts';
import { InFlight, TtlCache } from './cache.ts';
import { classifyResponse, type Classified } from './classify.ts';
import { ResolverError } from './errors.ts';
import { KeyFinder, type WalkFact } from './key-finder.ts';
import { NsecCache, type SynthesizedDenial } from './nsec-cache.ts';
import type { RRset } from './rrset.ts';
import { ForwardingUpstream, isLoopback, SharedUpstream, type Upstream } from './upstream.ts';
import { ResponseValidator, weaker, type PartVerdict, type ResponseVerdict } from './validate-response.ts';
import { DEFAULT_CRYPTO, type DnssecCrypto, type ValidationContext } from './verify-set.ts';

export type ResolverMode = 'validate' | 'recursive' | 'trust-ad';
export type AnswerKind = 'answer' | 'nodata' | 'nxdomain' | 'failed';

export interface AliasLink {
  kind: 'cname' | 'dname';
  from: Name;
  to: Name;
  status: Proof;
}

export interface Answer {
  readonly name: Name;
  readonly type: number;
  readonly kind: AnswerKind;
  readonly status: Proof;
  readonly rcode: number;
  /** The RRset at the final name (only for kind `answer`). */
  readonly records: readonly Rr[];
  readonly signatures: readonly Rr<RrsigRdata>[];
  readonly aliases: readonly AliasLink[];
  /** The name after following aliases (the question name when there are none). */
  readonly canonicalName: Name;
  readonly ttl: number;
  readonly reason?: string;
  readonly ede?: number;
  readonly fromCache: boolean;
  readonly trace?: readonly string[];
}

export interface ResolverOptions {
  upstream: Upstream;
  mode: ResolverMode;
  anchors: TrustAnchors;
  clock: Clock;
  limits?: Partial<Limits>;
  cacheEntries?: number;
  /** Seconds a bogus verdict is cached (default 60). */
  bogusTtl?: number;
  /** Upper bound on any cached TTL (default 86400). */
  maxTtl?: number;
  /** Answer from cached NSEC proofs (RFC 8198; default true). */
  aggressiveNsec?: boolean;
  /** Crypto override — for replaying Unbound's test data only; never in product code. */
  crypto?: DnssecCrypto;
}

const DEFAULT_MAX_TTL = 86_400;

/** The state of one lookup across the responses of its alias chain. */
interface Chain {
  aliases: AliasLink[];
  seen: Set<string>;
  verdict: PartVerdict;
  carried: RRset[];
}

/** Refuse trust-ad unless the upstream is a forwarder to loopback resolvers without CD. */
function checkTrustAd(upstream: Upstream): void {
  if (!(upstream instanceof ForwardingUpstream) || upstream.checkingDisabled) {
    throw new ResolverError(
      'DNS_ERR_BAD_OPTIONS',
      'mode trust-ad needs a forwarding upstream that sends no CD bit',
    );
  }
  const remote = upstream.servers.filter((s) => !isLoopback(s.address));
  if (remote.length > 0 || upstream.servers.length === 0) {
    const which = remote.map((s) => s.address).join(', ') || 'none configured';
    throw new ResolverError(
      'DNS_ERR_TRUST_AD_NOT_LOOPBACK',
      `mode trust-ad believes the AD bit only from a resolver on loopback (127.0.0.0/8, ::1), not ${which}`,
    );
  }
}

export class Resolver {
  readonly #o: ResolverOptions;
  readonly #upstream: Upstream;
  readonly #limits: Limits;
  readonly #maxTtl: number;
  readonly #answers: TtlCache<Answer>;
  readonly #inflight = new InFlight<Answer>();
  readonly #keys: KeyFinder;
  readonly #validator: ResponseValidator;
  readonly #keyCache: TtlCache<WalkFact>;
  readonly #nsec: NsecCache | undefined;

  constructor(opts: ResolverOptions) {
    if (opts.mode === 'trust-ad') checkTrustAd(opts.upstream);
    this.#o = opts;
    this.#upstream = new SharedUpstream(opts.upstream);
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.#maxTtl = opts.maxTtl ?? DEFAULT_MAX_TTL;
    const size = opts.cacheEntries ?? 20_000;
    this.#answers = new TtlCache(opts.clock, size);
    this.#keyCache = new TtlCache<WalkFact>(opts.clock, size);
    this.#nsec =
      opts.aggressiveNsec === false ? undefined : new NsecCache(opts.clock, Math.max(16, size >> 4));
    const common = { crypto: opts.crypto ?? DEFAULT_CRYPTO, maxKeysPerTag: this.#limits.maxKeysPerTag };
    this.#keys = new KeyFinder({
      upstream: this.#upstream,
      anchors: opts.anchors,
      cache: this.#keyCache,
      bogusTtl: opts.bogusTtl ?? 60,
      ...common,
    });
    const nsec = this.#nsec;
    this.#validator = new ResponseValidator(this.#keys, {
      ...common,
      ...(nsec === undefined
        ? {}
        : {
            learnDenial: (zone, sets, ttl) => {
              nsec.add(zone, sets, ttl);
            },
          }),
    });
  }

  get mode(): ResolverMode {
    return this.#o.mode;
  }

  /** Where answers come from, for traces (`validate via 127.0.0.1:53`). */
  get description(): string {
    return this.#upstream.description;
  }

  /** Cache statistics. */
  stats(): { answers: number; keys: number; hits: number; misses: number; inflight: number } {
    return {
      answers: this.#answers.size,
      keys: this.#keyCache.size,
      hits: this.#answers.hits,
      misses: this.#answers.misses,
      inflight: this.#inflight.size,
    };
  }

  /** Forget every cached answer, key, proof and verdict. */
  flush(): void {
    this.#answers.clear();
    this.#keyCache.clear();
    this.#nsec?.clear();
  }

  /** Look up (name, type) and prove the answer. Never throws for DNS conditions. */
  async lookup(name: Name | string, type: number, opts: { trace?: boolean } = {}): Promise<Answer> {
    const a = await this.#lookup(name, type, opts);
    if (dnsAnswerChannel.hasSubscribers) {
      dnsAnswerChannel.publish({
        name: a.name.toString(),
        type: a.type,
        kind: a.kind,
        status: a.status,
        fromCache: a.fromCache,
        reason: a.reason ?? null,
      });
    }
    return a;
  }

  #lookup(name: Name | string, type: number, opts: { trace?: boolean }): Promise<Answer> {
    const qname = typeof name === 'string' ? Name.parse(name) : name;
    const key = `${qname.key()}|${type}`;
    if (opts.trace !== true) {
      const hit = this.#answers.get(key);
      if (hit !== undefined)
        return Promise.resolve({ ...hit, fromCache: true, ttl: this.#answers.ttlLeft(key) });
      return this.#inflight.run(key, () => this.#resolveAndCache(qname, type, key, false));
    }
    return this.#resolveAndCache(qname, type, key, true);
  }

  async #resolveAndCache(qname: Name, type: number, key: string, trace: boolean): Promise<Answer> {
    const lines: string[] = [];
    const ctx: ValidationContext = {
      budget: new Budget(this.#limits),
      now: unixSeconds(this.#o.clock),
      proofs: [],
      trace: trace ? (l) => lines.push(l) : undefined,
    };
    let answer: Answer;
    try {
      answer = await this.#resolve(qname, type, ctx);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      answer = failed(qname, type, { status: 'bogus', reason: e.message, ede: Ede.DNSSEC_BOGUS });
    }
    const bogusTtl = this.#o.bogusTtl ?? 60;
    const ttl = answer.kind === 'failed' ? (answer.status === 'bogus' ? bogusTtl : 0) : answer.ttl;
    this.#answers.set(key, answer, Math.min(ttl, this.#maxTtl));
    return trace ? { ...answer, trace: lines } : answer;
  }

  async #resolve(qname: Name, type: number, ctx: ValidationContext): Promise<Answer> {
    const chain: Chain = {
      aliases: [],
      seen: new Set([qname.key()]),
      verdict: { status: 'secure', ttl: this.#maxTtl },
      carried: [],
    };
    let sname = qname;
    for (;;) {
      const synth = this.#fromNsecCache(sname, type, ctx);
      if (synth !== undefined) {
        const v = weaker(chain.verdict, { status: 'secure', ttl: synth.ttl });
        return this.#finish(qname, type, negativeFromCache(sname, synth.kind), v, chain.aliases);
      }
      const res = await this.#upstream.fetch(sname, type, ctx);
      if (!res.ok) {
        const why = { status: 'indeterminate', reason: res.reason, ede: Ede.NETWORK_ERROR } as const;
        return failed(qname, type, why, chain.aliases);
      }
      ctx.trace?.(
        `; response for ${sname.toString()} from ${res.server} (rcode ${rcodeToString(res.message.rcode)}${res.message.flags.ad ? ', AD' : ''})`,
      );
      const { cls, proofSets } = await this.#judge(res.message, sname, type, chain, ctx);
      const stop = this.#stopEarly(qname, type, chain.verdict, chain.aliases);
      if (stop !== undefined) return stop;
      for (let i = 0; i < cls.aliases.length; i++) ctx.budget.spendAlias();
      if (cls.kind !== 'incomplete') return this.#finish(qname, type, cls, chain.verdict, chain.aliases);
      if (chain.seen.has(cls.finalName.key())) {
        const reason = `alias loop at ${cls.finalName.toString()}`;
        return failed(qname, type, { status: 'bogus', reason, ede: Ede.DNSSEC_BOGUS }, chain.aliases);
      }
      chain.seen.add(cls.finalName.key());
      // Signed NSEC/NSEC3 records of earlier responses of the chain stay usable as proofs: an
      // authoritative server often says in the CNAME response that the target is an insecure
      // delegation, and answers the target itself from the unsigned child without any proof.
      chain.carried.push(...proofSets);
      sname = cls.finalName;
    }
  }

  /** RFC 8198: a NODATA / NXDOMAIN the cached NSEC records already prove. */
  #fromNsecCache(sname: Name, type: number, ctx: ValidationContext): SynthesizedDenial | undefined {
    if (this.#o.mode === 'trust-ad' || this.#nsec === undefined) return undefined;
    const governedBy = this.#o.anchors.closest(sname)?.zone;
    const synth = this.#nsec.synthesize(sname, type, { limits: this.#limits, governedBy });
    if (synth !== undefined) {
      ctx.trace?.(
        `; ${synth.kind.toUpperCase()} ${sname.toString()} from cached NSEC of ${synth.zone.toString()} (RFC 8198)`,
      );
    }
    return synth;
  }

  /** Classify and prove (or, in mode trust-ad, believe) one response; fold it into the chain. */
  async #judge(
    msg: Message,
    sname: Name,
    type: number,
    chain: Chain,
    ctx: ValidationContext,
  ): Promise<{ cls: Classified; proofSets: RRset[] }> {
    let cls = classifyResponse(msg, sname, type, { referrals: this.#o.mode === 'recursive' });
    const proofSets = cls.authority.filter((s) => s.type === RRType.NSEC || s.type === RRType.NSEC3);
    ctx.proofs?.push(...proofSets);
    if (chain.carried.length > 0 && (cls.kind === 'nodata' || cls.kind === 'nxdomain'))
      cls = { ...cls, authority: [...cls.authority, ...chain.carried] };
    let v: ResponseVerdict;
    if (this.#o.mode === 'trust-ad') {
      const status: Proof = msg.flags.ad ? 'secure' : 'insecure';
      v = { status, ttl: minTtl(cls), links: cls.aliases.map(() => ({ status, ttl: 0 })) };
    } else {
      v = await this.#validator.validate(cls, type, ctx);
      if (v.correctedKind === 'nodata') cls = { ...cls, kind: 'nodata', rcode: Rcode.NOERROR };
    }
    cls.aliases.forEach((a, i) => {
      chain.aliases.push({ kind: a.kind, from: a.from, to: a.to, status: v.links[i]?.status ?? v.status });
    });
    chain.verdict = weaker(chain.verdict, v);
    return { cls, proofSets };
  }

  /** A failed key lookup or a bogus part ends the lookup at once. */
  #stopEarly(qname: Name, type: number, verdict: PartVerdict, aliases: AliasLink[]): Answer | undefined {
    if (verdict.status === 'bogus') {
      const reason = verdict.reason ?? 'validation failed';
      return failed(qname, type, { status: 'bogus', reason, ede: verdict.ede ?? Ede.DNSSEC_BOGUS }, aliases);
    }
    if (verdict.lookupFailed === true) {
      const reason = verdict.reason ?? 'a key lookup failed';
      return failed(
        qname,
        type,
        { status: 'indeterminate', reason, ede: verdict.ede ?? Ede.NETWORK_ERROR },
        aliases,
      );
    }
    return undefined;
  }

  #finish(qname: Name, type: number, cls: Classified, v: PartVerdict, aliases: AliasLink[]): Answer {
    const base = {
      name: qname,
      type,
      aliases,
      canonicalName: cls.finalName,
      fromCache: false,
      rcode: cls.rcode,
    };
    const extra = {
      ...(v.reason === undefined ? {} : { reason: v.reason }),
      ...(v.ede === undefined ? {} : { ede: v.ede }),
    };
    const ttl = Math.max(0, Math.min(v.ttl, this.#maxTtl));
    switch (cls.kind) {
      case 'positive':
        return {
          ...base,
          ...extra,
          kind: 'answer',
          status: v.status,
          records: cls.answers.flatMap((s) => s.rrs),
          signatures: cls.answers.flatMap((s) => s.sigs),
          ttl,
        };
      case 'nodata':
      case 'nxdomain':
        return { ...base, ...extra, kind: cls.kind, status: v.status, records: [], signatures: [], ttl };
      case 'error': {
        const reason = cls.problem ?? `upstream answered ${rcodeToString(cls.rcode)}`;
        return failed(
          qname,
          type,
          { status: 'indeterminate', reason, ede: Ede.NETWORK_ERROR, rcode: cls.rcode },
          aliases,
        );
      }
      default: {
        const reason = `unexpected ${cls.kind} response for ${cls.finalName.toString()}`;
        return failed(
          qname,
          type,
          { status: 'indeterminate', reason, ede: Ede.NETWORK_ERROR, rcode: cls.rcode },
          aliases,
        );
      }
    }
  }
}

function negativeFromCache(name: Name, kind: 'nxdomain' | 'nodata'): Classified {
  return {
    rcode: kind === 'nxdomain' ? Rcode.NXDOMAIN : Rcode.NOERROR,
    aliases: [],
    finalName: name,
    kind,
    answers: [],
    authority: [],
    additional: [],
  };
}

function minTtl(cls: Classified): number {
  const ttls = [...cls.answers, ...cls.aliases.map((a) => a.rrset), ...cls.authority].map((s) => s.ttl);
  return ttls.length === 0 ? 0 : Math.min(...ttls);
}

function failed(
  name: Name,
  type: number,
  why: { status: Proof; reason: string; ede: number; rcode?: number },
  aliases: AliasLink[] = [],
): Answer {
  return {
    name,
    type,
    kind: 'failed',
    status: why.status,
    rcode: why.rcode ?? Rcode.SERVFAIL,
    records: [],
    signatures: [],
    aliases,
    canonicalName: aliases.at(-1)?.to ?? name,
    ttl: 0,
    reason: why.reason,
    ede: why.ede,
    fromCache: false,
  };
}
