/**
 * VALIDATE (as Unbound's validator): given a classified response, prove each part of it — every
 * CNAME/DNAME link, the answer RRset(s) (with the wildcard proof when a signature shows
 * expansion, RFC 4035 §5.3.4), or the NODATA / NXDOMAIN proof (RFC 4035 §5.4, RFC 5155 §8) —
 * against the key set that governs it (key-finder.ts). Which zone signed a part is read from
 * its RRSIGs: the deepest signer that is an ancestor of the name (for DS: of its parent, since
 * the DS RRset belongs to the parent zone, RFC 4035 §5.2). The status of the whole is its
 * weakest part. Must never: return `secure` for data whose signature was not verified.
 */
import { Ede, type InsecureKind, type Proof } from '../dnssec/index.ts';
import { Name, Rcode, RRType, typeToString, type Rr, type SoaRdata } from '../wire/index.ts';
import type { AliasStep, Classified } from './classify.ts';
import { denialContext, proveNegative, proveWildcardExpansion } from './denial.ts';
import type { KeyFinder, ZoneKeys } from './key-finder.ts';
import { verifiedProofs } from './proofs.ts';
import type { RRset } from './rrset.ts';
import { verifySet, type DnssecCrypto, type ValidationContext } from './verify-set.ts';
import { DEFAULT_NEGATIVE_TTL } from './defaults.ts';

export interface PartVerdict {
  status: Proof;
  reason?: string;
  ede?: number;
  /** Seconds the verdict may be cached (RRset TTLs clamped by signature lifetimes). */
  ttl: number;
  /** A DS or DNSKEY needed for the chain of trust could not be fetched: the lookup failed. */
  lookupFailed?: boolean;
  /** Why an insecure verdict is insecure, when that matters (InsecureKind). */
  insecureKind?: InsecureKind;
  /**
   * The verdict is bogus because the keys of the signer are (a cached or just-found bogus chain
   * of trust), not because of this response's own data: asking another server for the same
   * question would not help.
   */
  keysBogus?: boolean;
}

export interface ResponseVerdict extends PartVerdict {
  /** Status of each alias link, in chain order. */
  links: PartVerdict[];
  /**
   * Set when the proofs contradict the rcode in a way that is safe to correct: an NXDOMAIN
   * whose NSEC records prove an existing name without the type (a known server bug) is a NODATA.
   */
  correctedKind?: 'nodata';
}

const RANK: Record<Proof, number> = { secure: 0, insecure: 1, indeterminate: 2, bogus: 3 };

/**
 * Combine two verdicts: the weaker status wins; the reason of the weaker one is kept. Of two
 * insecure parts, an insecure kind of either survives (the whole rests on that part too).
 */
export function weaker(a: PartVerdict, b: PartVerdict): PartVerdict {
  const worst = RANK[b.status] > RANK[a.status] ? b : a;
  const failed = a.lookupFailed === true || b.lookupFailed === true;
  const kind =
    worst.status !== 'insecure'
      ? undefined
      : [a, b].find((v) => v.status === 'insecure' && v.insecureKind !== undefined)?.insecureKind;
  const { insecureKind: _kind, ...rest } = worst;
  return {
    ...rest,
    ttl: Math.min(a.ttl, b.ttl),
    ...(failed ? { lookupFailed: true } : {}),
    ...(kind === undefined ? {} : { insecureKind: kind }),
  };
}

function bogus(reason: string, ede: number = Ede.DNSSEC_BOGUS): PartVerdict {
  return { status: 'bogus', reason, ede, ttl: 0 };
}

/** The name whose zone holds `set`: the owner, or for DS the parent (RFC 4035 §5.2). */
function lookupName(owner: Name, type: number): Name {
  return type === RRType.DS && !owner.isRoot ? (owner.parent() as Name) : owner;
}

/** The deepest signer among the RRSIGs of `sets` that is an ancestor of `name` (val_find_best_signer). */
export function bestSigner(sets: readonly RRset[], name: Name): Name | undefined {
  let best: Name | undefined;
  for (const set of sets) {
    for (const sig of set.sigs) {
      const s = sig.data.signerName;
      if (name.isSubdomainOf(s) && (best === undefined || s.labelCount > best.labelCount)) best = s;
    }
  }
  return best;
}

export interface ResponseValidatorOptions {
  crypto: DnssecCrypto;
  maxKeysPerTag: number;
  /** Told about NSEC/NSEC3 RRsets of `zone` that proved a negative answer secure (RFC 8198). */
  learnDenial?: (zone: Name, sets: RRset[], ttl: number) => void;
}

export class ResponseValidator {
  readonly #keys: KeyFinder;
  readonly #opts: ResponseValidatorOptions;

  constructor(keys: KeyFinder, opts: ResponseValidatorOptions) {
    this.#keys = keys;
    this.#opts = opts;
  }

  /** Validate everything `cls` says about (qname, qtype). */
  async validate(cls: Classified, qtype: number, ctx: ValidationContext): Promise<ResponseVerdict> {
    const links: PartVerdict[] = [];
    let all: PartVerdict = { status: 'secure', ttl: ctx.ttl.maxTtl };
    for (const step of cls.aliases) {
      const v = await this.#alias(step, cls, ctx);
      links.push(v);
      all = weaker(all, v);
      if (v.status === 'bogus') return { ...all, links };
    }
    if (cls.kind === 'positive') {
      let final: PartVerdict = { status: 'secure', ttl: ctx.ttl.maxTtl };
      for (const set of cls.answers) {
        final = weaker(final, await this.rrset(set, cls, ctx));
        if (final.status === 'bogus') break;
      }
      return { ...weaker(all, final), links };
    }
    if (cls.kind === 'nodata' || cls.kind === 'nxdomain') {
      const neg = await this.#negative(cls.finalName, qtype, cls.kind, cls.authority, ctx);
      return {
        ...weaker(all, neg),
        links,
        ...(neg.correctedKind === undefined ? {} : { correctedKind: neg.correctedKind }),
      };
    }
    return { ...all, links }; // incomplete / referral / error: nothing more to prove here
  }

  async #alias(step: AliasStep, cls: Classified, ctx: ValidationContext): Promise<PartVerdict> {
    let v = await this.rrset(step.rrset, cls, ctx);
    if (v.status === 'secure' && step.contradictingCname !== undefined) {
      // RFC 6672 §3.3: the synthesized CNAME must carry the DNAME substitution. A secure DNAME
      // beside a CNAME that points elsewhere is forged evidence, not something to repair.
      v = bogus(
        `the CNAME synthesized from the DNAME ${step.rrset.name.toString()} points to ${step.contradictingCname.toString()}, not ${step.to.toString()}`,
      );
    }
    ctx.trace?.(`; ${step.kind.toUpperCase()} ${step.from.toString()} -> ${step.to.toString()}: ${v.status}`);
    return v;
  }

  /** Validate one RRset (answer or alias) against the key set of its signer. */
  async rrset(set: RRset, cls: Classified, ctx: ValidationContext): Promise<PartVerdict> {
    if (set.type === RRType.RRSIG) {
      // RFC 4035 §2.2: RRSIG RRsets are never signed themselves; nothing proves them.
      return { status: 'indeterminate', reason: 'RRSIG records cannot be validated', ttl: 0 };
    }
    const lookup = lookupName(set.name, set.type);
    const signer = bestSigner([set], lookup);
    const zk = await this.#keys.keysFor(lookup, ctx, { signer });
    if (zk.status !== 'secure') return fromKeys(zk, set.ttl);
    if (signer === undefined) {
      return bogus(
        `${describe(set)} has no signature in the signed zone ${zk.zone.toString()}`,
        Ede.RRSIGS_MISSING,
      );
    }
    if (!zk.zone.equals(signer)) {
      return bogus(
        `${describe(set)} is signed by ${signer.toString()}, which is not a zone apex (the chain of trust ends at ${zk.zone.toString()})`,
      );
    }
    const v = verifySet(set, zk, ctx, this.#opts);
    if (!v.ok) return bogus(`${describe(set)}: ${v.reason}`, v.ede);
    const ttl = Math.min(set.ttl, v.ttl, zk.ttl);
    if (v.wildcard === undefined) {
      ctx.trace?.(`; ${describe(set)} secure (key ${v.keyTag ?? '?'} of ${zk.zone.toString()})`);
      return { status: 'secure', ttl };
    }
    // RFC 6672 §3.3 ("DNAME RRs MUST NOT" be used with wildcards: a wildcard DNAME's expansion is
    // undefined, RFC 4592 §4.4) — an expanded DNAME is refused.
    if (set.type === RRType.DNAME) return bogus(`${describe(set)} was synthesized from a wildcard DNAME`);
    // RFC 4035 §5.3.4: an expanded wildcard answer needs proof that the name itself does not exist.
    const wildcard = v.wildcard;
    const { sets: _sets, ...proof } = this.#prove(cls.authority, zk, ctx, (sets) =>
      proveWildcardExpansion(set.name, wildcard, sets, zk.zone, denialContext(ctx)),
    );
    ctx.trace?.(`; ${describe(set)} from wildcard ${wildcard.toString()}: ${proof.status}`);
    return { ...proof, ttl: Math.min(ttl, proof.ttl) };
  }

  async #negative(
    name: Name,
    qtype: number,
    kind: 'nodata' | 'nxdomain',
    authority: RRset[],
    ctx: ValidationContext,
  ): Promise<PartVerdict & { correctedKind?: 'nodata' }> {
    const negTtl = negativeTtl(authority);
    const lookup = lookupName(name, qtype);
    const proofTypes: readonly number[] = [RRType.NSEC, RRType.NSEC3, RRType.SOA];
    const signer = bestSigner(
      authority.filter((s) => proofTypes.includes(s.type)),
      lookup,
    );
    const zk = await this.#keys.keysFor(lookup, ctx, { signer, nxdomain: kind === 'nxdomain' });
    if (zk.status !== 'secure') return fromKeys(zk, negTtl);
    const label = kind === 'nxdomain' ? 'NXDOMAIN' : 'NODATA';
    if (signer === undefined || !zk.zone.equals(signer)) {
      return bogus(
        `${label} for ${name.toString()} without a signed proof from ${zk.zone.toString()}`,
        Ede.NSEC_MISSING,
      );
    }
    const soa = this.#soa(authority, zk, ctx);
    if (soa !== undefined) return soa;
    const dc = denialContext(ctx);
    let v = this.#prove(authority, zk, ctx, (sets) =>
      proveNegative({ name, qtype, kind, proofs: sets, zone: zk.zone, dc }),
    );
    let corrected: 'nodata' | undefined;
    if (kind === 'nxdomain' && v.status === 'bogus') {
      // A server that says NXDOMAIN for an existing name (an empty non-terminal) while its
      // NSEC records prove "no data of this type" has told the authenticated truth of NODATA.
      const alt = this.#prove(authority, zk, ctx, (sets) =>
        proveNegative({ name, qtype, kind: 'nodata', proofs: sets, zone: zk.zone, dc }),
      );
      if (alt.status === 'secure') {
        v = alt;
        corrected = 'nodata';
      }
    }
    ctx.trace?.(
      `; ${label} ${name.toString()}: ${v.status}${v.reason === undefined ? '' : ` (${v.reason})`}`,
    );
    if (v.status === 'secure' && v.sets !== undefined)
      this.#opts.learnDenial?.(zk.zone, v.sets, Math.min(v.ttl, negTtl));
    const { sets: _sets, ...verdict } = v;
    return {
      ...verdict,
      ttl: Math.min(v.ttl, negTtl),
      ...(corrected === undefined ? {} : { correctedKind: corrected }),
    };
  }

  /**
   * The zone's SOA RRset in a negative answer must verify like the proof beside it: a NODATA or
   * NXDOMAIN is the zone's signed statement, and a forged or broken part makes it bogus (as
   * Unbound validates every RRset of the authority section). RFC 4035 §3.1.3: the SOA is
   * included "along with" its RRSIGs. An absent SOA is left to the proof (RFC 2308 servers send
   * one; the negative TTL then defaults). Undefined when there is nothing wrong.
   */
  #soa(
    authority: RRset[],
    zk: ZoneKeys & { status: 'secure' },
    ctx: ValidationContext,
  ): PartVerdict | undefined {
    const set = authority.find((s) => s.type === RRType.SOA && s.name.equals(zk.zone));
    if (set === undefined) return undefined;
    const v = verifySet(set, zk, ctx, this.#opts);
    return v.ok ? undefined : bogus(`${describe(set)}: ${v.reason}`, v.ede);
  }

  /** Verify the NSEC/NSEC3 RRsets of the authority section with `zk`, then run `prove` on them. */
  #prove(
    authority: RRset[],
    zk: ZoneKeys & { status: 'secure' },
    ctx: ValidationContext,
    prove: (sets: RRset[]) => { status: Proof; reason?: string; ede?: number; insecureKind?: InsecureKind },
  ): PartVerdict & { sets?: RRset[] } {
    const verified = verifiedProofs(authority, zk, ctx, this.#opts);
    if (!verified.ok) return bogus(verified.reason, verified.ede);
    const p = prove(verified.sets);
    return {
      sets: verified.sets,
      status: p.status,
      ttl: p.status === 'bogus' ? 0 : verified.ttl,
      ...(p.reason === undefined ? {} : { reason: p.reason }),
      ...(p.ede === undefined ? {} : { ede: p.ede }),
      ...(p.status === 'insecure' && p.insecureKind !== undefined ? { insecureKind: p.insecureKind } : {}),
    };
  }
}

function fromKeys(zk: ZoneKeys, ttl: number): PartVerdict {
  const transient = zk.status === 'indeterminate' && zk.transient === true;
  return {
    status: zk.status,
    ttl:
      zk.status === 'insecure'
        ? Math.min(ttl, zk.ttl)
        : zk.status === 'indeterminate' && !transient
          ? ttl
          : 0,
    ...('reason' in zk ? { reason: zk.reason } : {}),
    ...(zk.status !== 'secure' && zk.ede !== undefined ? { ede: zk.ede } : {}),
    ...(transient ? { lookupFailed: true } : {}),
    ...(zk.status === 'insecure' && zk.insecureKind !== undefined ? { insecureKind: zk.insecureKind } : {}),
    ...(zk.status === 'bogus' ? { keysBogus: true } : {}),
  };
}

function describe(set: RRset): string {
  return `${set.name.toString()} ${typeToString(set.type)}`;
}

/** Negative-caching TTL (RFC 2308 §5): min(SOA TTL, SOA MINIMUM). */
export function negativeTtl(authority: RRset[]): number {
  const soa = authority.find((s) => s.type === RRType.SOA);
  const rr = soa?.rrs[0] as Rr<SoaRdata> | undefined;
  if (soa === undefined || rr === undefined) return DEFAULT_NEGATIVE_TTL;
  return Math.min(soa.ttl, rr.data.minimum);
}

/** The rcode a corrected verdict stands for. */
export function correctedRcode(kind: 'nodata' | undefined, rcode: number): number {
  return kind === 'nodata' ? Rcode.NOERROR : rcode;
}
