/**
 * FIND_KEY (as Unbound's validator): establish the validated DNSKEY set of the zone that signed
 * some data, by walking down from the closest trust anchor one label at a time with DS queries
 * (RFC 4035 §5: DS → DNSKEY per zone cut, every link verified). Each step ends in a secure key
 * set, "no zone cut here" (a proven NODATA for DS at a non-delegation), an insecure delegation
 * (proven absence of DS, or only unsupported algorithms/digests — RFC 4035 §5.2, RFC 6840 §5.2),
 * or bogus. Results are cached per name; bogus ones briefly.
 */
import { Ede, type InsecureKind } from '../dnssec/index.ts';
import {
  DnskeyFlag,
  isType,
  Name,
  rcodeToString,
  RRType,
  type DnskeyRdata,
  type DsRdata,
  type Message,
  type Rr,
} from '../wire/index.ts';
import { InFlight, type TtlCache } from './cache.ts';
import { classifyResponse } from './classify.ts';
import { fetchJudged } from './retry.ts';
import { classifyDsDenial, denialContext } from './denial.ts';
import { suffixKeys } from './name-keys.ts';
import { verifiedProofs } from './proofs.ts';
import type { TrustAnchor, TrustAnchors } from './anchors.ts';
import type { RRset } from './rrset.ts';
import type { Upstream } from './upstream.ts';
import { DEFAULT_CRYPTO, verifySet, type DnssecCrypto, type ValidationContext } from './verify-set.ts';

export type ZoneKeys =
  | { status: 'secure'; zone: Name; keys: Rr<DnskeyRdata>[]; ttl: number }
  | { status: 'insecure'; zone: Name; reason: string; ttl: number; ede?: number; insecureKind?: InsecureKind }
  | { status: 'bogus'; zone: Name; reason: string; ede: number }
  | { status: 'indeterminate'; zone: Name; reason: string; ede?: number; transient?: boolean };

/** A cached fact about one name on the way down: its own keys, or "not a zone cut". */
export type WalkFact = ZoneKeys | { status: 'nocut'; ttl: number };

export interface KeyFinderOptions {
  upstream: Upstream;
  anchors: TrustAnchors;
  cache: TtlCache<WalkFact>;
  crypto: DnssecCrypto;
  /** TTL for cached bogus verdicts, seconds (≈60, as Unbound's val-bogus-ttl). */
  bogusTtl: number;
  /** Upper bound on the TTL of any cached key fact, seconds (the resolver's maxTtl). */
  maxTtl: number;
  maxKeysPerTag: number;
}

type Stop = { status: 'stop' };

/** A DS or DNSKEY question that got no usable answer: the lookup failed (not cached). */
function unusable(reason: string, zone: Name): ZoneKeys {
  return { status: 'indeterminate', zone, reason, ede: Ede.NETWORK_ERROR, transient: true };
}

function noAnchor(name: Name): ZoneKeys {
  return {
    status: 'indeterminate',
    zone: Name.ROOT,
    reason: `no trust anchor covers ${name.toString()}`,
    ede: Ede.DNSSEC_INDETERMINATE,
  };
}

export class KeyFinder {
  readonly #o: KeyFinderOptions;
  /** Walk steps in progress: concurrent lookups under one zone share its DS and DNSKEY work. */
  readonly #anchorsInFlight = new InFlight<ZoneKeys>();
  readonly #stepsInFlight = new InFlight<WalkFact | Stop>();

  constructor(opts: KeyFinderOptions) {
    this.#o = opts;
  }

  /**
   * The key set that governs data at `name` (for a DS RRset: its parent). The trust anchor is the
   * closest one above `name` (RFC 4035 §4.3: an anchor is where a chain of trust starts); the
   * walk goes from it down to `signer` (the deepest signer of the data), or to `name` itself
   * for unsigned data, which is proven insecure or found missing its signatures on the way.
   * A signer above the anchor cannot speak for names below the anchor: bogus — except that a
   * signed parent may deny the anchor's very existence (`nxdomain`), which is validated from the
   * parent's own anchor, or is indeterminate when the parent has none.
   */
  async keysFor(
    name: Name,
    ctx: ValidationContext,
    opts: { signer?: Name | undefined; nxdomain?: boolean } = {},
  ): Promise<ZoneKeys> {
    const signer = opts.signer !== undefined && name.isSubdomainOf(opts.signer) ? opts.signer : undefined;
    let anchor = this.#o.anchors.closest(name);
    if (anchor === undefined) return noAnchor(name);
    if (anchor.negative === true) {
      const reason = `${anchor.zone.toString()} has a negative trust anchor (RFC 7646)`;
      return { status: 'insecure', zone: anchor.zone, reason, ttl: this.#o.maxTtl };
    }
    if (signer !== undefined && anchor.zone.labelCount > signer.labelCount) {
      if (opts.nxdomain !== true) {
        return {
          status: 'bogus',
          zone: signer,
          reason: `${name.toString()} is signed by ${signer.toString()}, above its trust anchor ${anchor.zone.toString()}`,
          ede: Ede.DNSSEC_BOGUS,
        };
      }
      anchor = this.#o.anchors.closest(signer);
      if (anchor === undefined || anchor.negative === true) {
        return {
          status: 'indeterminate',
          zone: signer,
          reason: `the unsigned parent zone ${signer.toString()} denies the trust anchor`,
          ede: Ede.DNSSEC_INDETERMINATE,
        };
      }
    }
    const target = signer ?? name;
    const keys = suffixKeys(target);
    const a = anchor;
    const cachedAnchor = this.#o.cache.get(a.zone.key());
    let cur: ZoneKeys =
      cachedAnchor !== undefined && cachedAnchor.status !== 'nocut'
        ? cachedAnchor
        : await this.#anchorsInFlight.run(a.zone.key(), () => this.#anchorKeys(a, ctx));
    let steps = 0;
    for (let k = anchor.zone.labelCount + 1; k <= target.labelCount && cur.status === 'secure'; k++) {
      const key = keys[target.labelCount - k] as string;
      const secure = cur;
      let fact: WalkFact | Stop | undefined = this.#o.cache.get(key);
      if (fact === undefined) {
        ctx.budget.checkWalkStep(++steps);
        fact = await this.#stepsInFlight.run(`${key}|${secure.zone.key()}`, () =>
          this.#step(secure, target.suffix(k), ctx),
        );
      }
      if (fact.status === 'nocut') continue;
      if (fact.status === 'stop') return cur;
      cur = fact;
    }
    return cur;
  }

  #remember(name: Name, fact: WalkFact): WalkFact {
    if (fact.status === 'bogus') this.#o.cache.set(name.key(), fact, this.#o.bogusTtl);
    else if (fact.status === 'indeterminate') {
      if (fact.transient !== true) this.#o.cache.set(name.key(), fact, this.#o.bogusTtl);
    } else this.#o.cache.set(name.key(), fact, Math.min(fact.ttl, this.#o.maxTtl));
    return fact;
  }

  async #anchorKeys(anchor: TrustAnchor, ctx: ValidationContext): Promise<ZoneKeys> {
    const cached = this.#o.cache.get(anchor.zone.key());
    if (cached !== undefined && cached.status !== 'nocut') return cached;
    ctx.trace?.(
      `; trust anchor ${anchor.zone.toString()} (${anchor.ds.length} DS, ${anchor.dnskeys.length} DNSKEY)`,
    );
    const fact = await this.#fetchKeys(anchor.zone, ctx, {
      ds: anchor.ds,
      dnskeys: anchor.dnskeys,
      ttl: this.#o.maxTtl,
      what: 'trust anchor',
    });
    return this.#remember(anchor.zone, fact) as ZoneKeys;
  }

  /** One label down from the secure zone `cur`: DS query for `cand`. */
  async #step(
    cur: ZoneKeys & { status: 'secure' },
    cand: Name,
    ctx: ValidationContext,
  ): Promise<WalkFact | Stop> {
    const known = this.#fromKnownProofs(cur, cand, ctx);
    if (known !== undefined) return known.status === 'stop' ? known : this.#remember(cand, known);
    const fact = await fetchJudged(
      (avoid) => this.#o.upstream.fetch(cand, RRType.DS, { ...ctx, avoid }),
      (res) => this.#judgeDs(cur, cand, res.message, ctx),
      {
        isBogus: (f) => f.status === 'bogus',
        failed: (why) => unusable(`DS lookup for ${cand.toString()} failed: ${why}`, cand),
        onRetry: (server) => {
          // The DS (or no-DS proof) a referral carried may be what was bogus: forget it.
          this.#o.upstream.forget?.(cand, RRType.DS);
          ctx.trace?.(`; bogus DS answer for ${cand.toString()} from ${server}: asking another server`);
        },
      },
    );
    return fact.status === 'stop' ? fact : this.#remember(cand, fact);
  }

  /** What one response to the DS query for `cand` says (nothing cached here). */
  async #judgeDs(
    cur: ZoneKeys & { status: 'secure' },
    cand: Name,
    msg: Message,
    ctx: ValidationContext,
  ): Promise<WalkFact | Stop> {
    const cls = classifyResponse(msg, cand, RRType.DS);
    if (cls.aliases.length > 0 && cls.kind !== 'error') {
      const alias = cls.aliases[0]?.rrset;
      return this.#judgeDenial(cur, cand, { kind: 'nodata', authority: cls.authority, alias }, ctx);
    }
    if (cls.kind === 'positive') {
      const dsSet = cls.answers[0] as RRset;
      const v = this.#verify(dsSet, cur, ctx);
      if (!v.ok)
        return { status: 'bogus', zone: cand, reason: `DS ${cand.toString()}: ${v.reason}`, ede: v.ede };
      ctx.trace?.(`; DS ${cand.toString()} secure (signed by ${cur.zone.toString()})`);
      const ds = dsSet.rrs.filter((rr): rr is Rr<DsRdata> => isType(rr, RRType.DS)).map((rr) => rr.data);
      return this.#fetchKeys(cand, ctx, { ds, dnskeys: [], ttl: Math.min(dsSet.ttl, v.ttl), what: 'DS' });
    }
    if (cls.kind === 'nodata' || cls.kind === 'nxdomain') {
      return this.#judgeDenial(cur, cand, { kind: cls.kind, authority: cls.authority }, ctx);
    }
    return unusable(
      `DS lookup for ${cand.toString()} failed: unusable response (${rcodeToString(cls.rcode)}, ${cls.kind})`,
      cand,
    );
  }

  /**
   * What NSEC/NSEC3 records (from a DS response, or seen earlier in this lookup) say about a
   * zone cut at `cand`: no cut, an insecure delegation, a name that does not exist, or bogus.
   */
  #judgeDenial(
    cur: ZoneKeys & { status: 'secure' },
    cand: Name,
    src: { kind: 'nodata' | 'nxdomain'; authority: readonly RRset[]; alias?: RRset | undefined },
    ctx: ValidationContext,
  ): WalkFact | Stop {
    const fail = (reason: string, ede: number = Ede.DNSSEC_BOGUS): WalkFact => ({
      status: 'bogus',
      zone: cand,
      reason,
      ede,
    });
    if (src.alias !== undefined) {
      // An alias owner can be no delegation point (RFC 1034 §3.6.2): no zone cut here.
      const v = this.#verify(src.alias, cur, ctx);
      if (!v.ok) return fail(`CNAME at ${cand.toString()}: ${v.reason}`, v.ede);
      return { status: 'nocut', ttl: v.ttl };
    }
    const verified = verifiedProofs(src.authority, cur, ctx, {
      crypto: this.#o.crypto,
      maxKeysPerTag: this.#o.maxKeysPerTag,
    });
    if (!verified.ok) return fail(`no DS at ${cand.toString()}: ${verified.reason}`, verified.ede);
    if (verified.sets.length === 0)
      return fail(`no NSEC/NSEC3 proof for the missing DS at ${cand.toString()}`, Ede.NSEC_MISSING);
    const ttl = verified.ttl;
    const verdict = classifyDsDenial(cand, src.kind, verified.sets, cur.zone, denialContext(ctx));
    ctx.trace?.(`; no DS at ${cand.toString()}: ${verdict.outcome} (${verdict.reason})`);
    switch (verdict.outcome) {
      case 'nocut':
        return { status: 'nocut', ttl };
      case 'nxdomain':
        return { status: 'stop' };
      case 'insecure':
        // A "no DS" that is insecure only because of its NSEC3 iterations proves nothing: the
        // chain is cut without proof, and the kind travels with everything below it, so DANE
        // counts it as a failed lookup rather than an insecure delegation.
        return {
          status: 'insecure',
          zone: cand,
          reason: verdict.reason,
          ttl,
          ...(verdict.insecureKind === undefined
            ? {}
            : { insecureKind: verdict.insecureKind, ede: Ede.UNSUPPORTED_NSEC3_ITERATIONS }),
        };
      case 'bogus':
        return fail(verdict.reason, verdict.ede ?? Ede.DNSSEC_BOGUS);
    }
  }

  /**
   * Signed NSEC/NSEC3 records already seen in this lookup may prove there is no DS at `cand`
   * (as Unbound reuses cached NSECs for DS): used when they prove it, never to fail.
   */
  #fromKnownProofs(
    cur: ZoneKeys & { status: 'secure' },
    cand: Name,
    ctx: ValidationContext,
  ): WalkFact | Stop | undefined {
    const known = (ctx.proofs ?? []).filter((s) => s.name.isSubdomainOf(cur.zone));
    if (known.length === 0) return undefined;
    const fact = this.#judgeDenial(cur, cand, { kind: 'nodata', authority: known }, ctx);
    return fact.status === 'bogus' ? undefined : fact;
  }

  /** Fetch and authenticate the DNSKEY RRset of `zone` from DS records or anchor keys. */
  async #fetchKeys(
    zone: Name,
    ctx: ValidationContext,
    src: { ds: DsRdata[]; dnskeys: DnskeyRdata[]; ttl: number; what: string },
  ): Promise<ZoneKeys> {
    const crypto = this.#o.crypto;
    const usableDs = selectDs(src.ds, crypto);
    const usableKeys = src.dnskeys.filter((k) => crypto.isAlgorithmSupported(k.algorithm));
    if (usableDs.length === 0 && usableKeys.length === 0) {
      // RFC 8914 §4.2/§4.3: unsupported DNSKEY algorithm (1), unsupported DS digest type (2).
      const digestsOnly = src.ds.length > 0 && src.ds.every((d) => !crypto.isDigestSupported(d.digestType));
      const ede = digestsOnly ? Ede.UNSUPPORTED_DS_DIGEST : Ede.UNSUPPORTED_DNSKEY_ALGORITHM;
      const reason = `${src.what} of ${zone.toString()} lists only unsupported algorithms or digest types`;
      ctx.trace?.(`; ${reason}: insecure (RFC 4035 §5.2)`);
      return { status: 'insecure', zone, reason, ttl: src.ttl, ede };
    }
    const entryOf = { ds: usableDs, anchors: usableKeys };
    return fetchJudged(
      (avoid) => this.#o.upstream.fetch(zone, RRType.DNSKEY, { ...ctx, avoid }),
      (res) => Promise.resolve(this.#judgeDnskey(zone, res.message, ctx, { ...src, ...entryOf })),
      {
        isBogus: (f) => f.status === 'bogus',
        failed: (why) => unusable(`DNSKEY lookup for ${zone.toString()} failed: ${why}`, zone),
        onRetry: (server) => {
          ctx.trace?.(`; bogus DNSKEY answer for ${zone.toString()} from ${server}: asking another server`);
        },
      },
    );
  }

  /** What one response to the DNSKEY query for `zone` says, given the DS or anchor keys. */
  #judgeDnskey(
    zone: Name,
    msg: Message,
    ctx: ValidationContext,
    src: { ds: DsRdata[]; anchors: DnskeyRdata[]; ttl: number; what: string },
  ): ZoneKeys {
    const crypto = this.#o.crypto;
    const cls = classifyResponse(msg, zone, RRType.DNSKEY);
    const set = cls.kind === 'positive' && cls.aliases.length === 0 ? cls.answers[0] : undefined;
    if (set === undefined) {
      return {
        status: 'bogus',
        zone,
        reason: `no DNSKEY RRset for ${zone.toString()} (${cls.kind})`,
        ede: Ede.DNSKEY_MISSING,
      };
    }
    const keys = set.rrs.filter((rr): rr is Rr<DnskeyRdata> => isType(rr, RRType.DNSKEY));
    const entry = keys.filter((k) => isEntryKey(k, zone, { ds: src.ds, anchors: src.anchors, crypto }));
    if (entry.length === 0) {
      return {
        status: 'bogus',
        zone,
        reason: `no DNSKEY of ${zone.toString()} matches its ${src.what}`,
        ede: Ede.DNSKEY_MISSING,
      };
    }
    const v = this.#verify(set, { status: 'secure', zone, keys: entry, ttl: src.ttl }, ctx);
    if (!v.ok) return { status: 'bogus', zone, reason: `DNSKEY ${zone.toString()}: ${v.reason}`, ede: v.ede };
    ctx.trace?.(`; DNSKEY ${zone.toString()} secure (${keys.length} keys, entry key ${v.keyTag ?? '?'})`);
    return { status: 'secure', zone, keys, ttl: Math.min(src.ttl, v.ttl, set.ttl) };
  }

  #verify(
    set: RRset,
    keys: ZoneKeys & { status: 'secure' },
    ctx: ValidationContext,
  ): { ok: true; ttl: number; keyTag?: number } | { ok: false; reason: string; ede: number } {
    return verifySet(set, keys, ctx, { crypto: this.#o.crypto, maxKeysPerTag: this.#o.maxKeysPerTag });
  }
}

/**
 * Usable DS records: supported digest and algorithm; SHA-1 ignored when SHA-256 is present
 * (RFC 4509 §3: "Validator implementations SHOULD ignore DS RRs containing SHA-1 digests if DS
 * RRs with SHA-256 digests are present in the DS RRset.").
 */
export function selectDs(ds: readonly DsRdata[], crypto: DnssecCrypto = DEFAULT_CRYPTO): DsRdata[] {
  const usable = ds.filter(
    (d) => crypto.isDigestSupported(d.digestType) && crypto.isAlgorithmSupported(d.algorithm),
  );
  const hasSha256 = usable.some((d) => d.digestType === 2);
  return hasSha256 ? usable.filter((d) => d.digestType !== 1) : usable;
}

function isEntryKey(
  k: Rr<DnskeyRdata>,
  zone: Name,
  src: { ds: DsRdata[]; anchors: DnskeyRdata[]; crypto: DnssecCrypto },
): boolean {
  const d = k.data;
  if ((d.flags & DnskeyFlag.ZONE) === 0 || d.protocol !== 3 || (d.flags & DnskeyFlag.REVOKE) !== 0)
    return false;
  if (!src.crypto.isAlgorithmSupported(d.algorithm)) return false;
  if (src.ds.some((x) => x.algorithm === d.algorithm && src.crypto.dsMatchesKey(x, zone, d) === true))
    return true;
  return src.anchors.some(
    (a) =>
      a.algorithm === d.algorithm &&
      a.flags === d.flags &&
      a.protocol === d.protocol &&
      a.publicKey.length === d.publicKey.length &&
      a.publicKey.every((b, i) => b === d.publicKey[i]),
  );
}
