/**
 * A zone's contents indexed for the signer and the authoritative server: RRsets and their
 * RRSIGs by owner and type, empty non-terminals, zone cuts and occluded names (RFC 1034 §4.2.1,
 * RFC 4035 §2.2), DNAME owners (RFC 6672 §2.4), closest encloser (RFC 4592 §3.3.1), the NSEC
 * chain in canonical order (RFC 4034 §6.1) and the NSEC3 chain in hash order (RFC 5155 §7.2).
 * Pure apart from NSEC3 hashing; never mutates the records it is given.
 */
import { compareBytes } from '../../util/index.ts';
import { nsec3Hash } from '../../dns/dnssec/index.ts';
import {
  compareNames,
  fromBase32Hex,
  isType,
  RRType,
  type Name,
  type Nsec3ParamRdata,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
  type RrsigRdata,
  type SoaRdata,
} from '../../dns/wire/index.ts';

/** The records at one owner name. */
export interface NameNode {
  readonly name: Name;
  /** RRsets by type (RRSIG and NSEC3 records are kept apart). */
  readonly rrsets: Map<number, Rr[]>;
  /** RRSIGs by the type they cover. */
  readonly sigs: Map<number, Rr<RrsigRdata>[]>;
}

/**
 * Where a name stands in the zone: the apex, authoritative data, a delegation point (the
 * parent side of a zone cut), occluded (below a cut or a DNAME: glue and the like), or outside.
 */
export type NameRole = 'apex' | 'authoritative' | 'delegation' | 'occluded' | 'outside';

/** One NSEC3 record of the chain with its decoded owner hash and signatures. */
export interface Nsec3Entry {
  readonly hash: Uint8Array;
  readonly rr: Rr<Nsec3Rdata>;
  readonly sigs: Rr<RrsigRdata>[];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The index of one zone. */
export class ZoneIndex {
  readonly origin: Name;
  readonly #nodes = new Map<string, NameNode>();
  readonly #ents = new Map<string, Name>();
  readonly #nsecOwners: Name[];
  readonly #nsec3: Nsec3Entry[];
  readonly #nsec3Sigs = new Map<string, Rr<RrsigRdata>[]>();

  /** Index `records` (those outside `origin` are ignored). */
  constructor(origin: Name, records: readonly Rr[]) {
    this.origin = origin;
    const nsec3: Rr<Nsec3Rdata>[] = [];
    for (const rr of records) {
      if (!rr.name.isSubdomainOf(origin)) continue;
      if (isType(rr, RRType.NSEC3)) nsec3.push(rr);
      else if (isType(rr, RRType.RRSIG) && rr.data.typeCovered === RRType.NSEC3)
        push(this.#nsec3Sigs, rr.name.key(), rr);
      else this.#add(rr);
    }
    for (const node of this.#nodes.values()) {
      for (let n = node.name.parent(); n !== undefined && n.labelCount > origin.labelCount; n = n.parent()) {
        if (!this.#nodes.has(n.key())) this.#ents.set(n.key(), n);
      }
    }
    this.#nsecOwners = [...this.#nodes.values()]
      .filter((n) => n.rrsets.has(RRType.NSEC))
      .map((n) => n.name)
      .sort(compareNames);
    this.#nsec3 = this.#buildNsec3(nsec3);
  }

  #add(rr: Rr): void {
    const key = rr.name.key();
    let node = this.#nodes.get(key);
    if (node === undefined) {
      node = { name: rr.name, rrsets: new Map(), sigs: new Map() };
      this.#nodes.set(key, node);
    }
    if (isType(rr, RRType.RRSIG)) push(node.sigs, rr.data.typeCovered, rr);
    else push(node.rrsets, rr.type, rr);
  }

  #buildNsec3(records: readonly Rr<Nsec3Rdata>[]): Nsec3Entry[] {
    const out: Nsec3Entry[] = [];
    for (const rr of records) {
      const label = rr.name.labels[0];
      const hash = label === undefined ? undefined : fromBase32Hex(String.fromCharCode(...label));
      if (hash === undefined || !rr.name.parent()?.equals(this.origin)) continue;
      out.push({ hash, rr, sigs: this.#nsec3Sigs.get(rr.name.key()) ?? [] });
    }
    return out.sort((a, b) => compareBytes(a.hash, b.hash));
  }

  /** The node at `name`, if it owns any record. */
  node(name: Name): NameNode | undefined {
    return this.#nodes.get(name.key());
  }

  /** Every node, in canonical order. */
  nodes(): NameNode[] {
    return [...this.#nodes.values()].sort((a, b) => compareNames(a.name, b.name));
  }

  /** The RRset of `type` at `name`. */
  rrset(name: Name, type: number): Rr[] | undefined {
    return this.#nodes.get(name.key())?.rrsets.get(type);
  }

  /** The RRSIGs over the RRset of `type` at `name`. */
  sigs(name: Name, type: number): Rr<RrsigRdata>[] {
    return this.#nodes.get(name.key())?.sigs.get(type) ?? [];
  }

  /** True when `name` is an empty non-terminal (it owns nothing, but a name below it does). */
  isEnt(name: Name): boolean {
    return this.#ents.has(name.key());
  }

  /** Every empty non-terminal, in canonical order. */
  ents(): Name[] {
    return [...this.#ents.values()].sort(compareNames);
  }

  /** True when `name` exists in the zone's tree (owns records or is an empty non-terminal). */
  exists(name: Name): boolean {
    return this.#nodes.has(name.key()) || this.#ents.has(name.key());
  }

  /** The apex SOA record, if the zone has one. */
  soa(): Rr<SoaRdata> | undefined {
    const rr = this.rrset(this.origin, RRType.SOA)?.[0];
    return rr !== undefined && isType(rr, RRType.SOA) ? rr : undefined;
  }

  /**
   * The highest zone cut at or above `name` (a name below the apex owning NS), which makes
   * every name below it occluded (RFC 1034 §4.2.1).
   */
  cutAtOrAbove(name: Name): Name | undefined {
    if (!name.isSubdomainOf(this.origin)) return undefined;
    for (let depth = this.origin.labelCount + 1; depth <= name.labelCount; depth++) {
      const n = name.suffix(depth);
      if (this.rrset(n, RRType.NS) !== undefined) return n;
    }
    return undefined;
  }

  /** The owner of a DNAME strictly above `name` (at or below the apex), if any. */
  dnameAbove(name: Name): Name | undefined {
    if (!name.isSubdomainOf(this.origin)) return undefined;
    for (let depth = this.origin.labelCount; depth < name.labelCount; depth++) {
      const n = name.suffix(depth);
      if (this.rrset(n, RRType.DNAME) !== undefined) return n;
    }
    return undefined;
  }

  /** The role of `name` in this zone (see NameRole). */
  role(name: Name): NameRole {
    if (!name.isSubdomainOf(this.origin)) return 'outside';
    if (name.equals(this.origin)) return 'apex';
    const cut = this.cutAtOrAbove(name);
    if (cut !== undefined) return cut.equals(name) ? 'delegation' : 'occluded';
    return this.dnameAbove(name) === undefined ? 'authoritative' : 'occluded';
  }

  /** The closest encloser of `name`: its deepest ancestor (or itself) that exists in the zone. */
  closestEncloser(name: Name): Name {
    for (let n: Name | undefined = name; n !== undefined && n.isSubdomainOf(this.origin); n = n.parent()) {
      if (n.equals(this.origin) || this.exists(n)) return n;
    }
    return this.origin;
  }

  /** The NSEC record at `name`. */
  nsecAt(name: Name): Rr<NsecRdata> | undefined {
    const rr = this.rrset(name, RRType.NSEC)?.[0];
    return rr !== undefined && isType(rr, RRType.NSEC) ? rr : undefined;
  }

  /**
   * The NSEC whose owner is the greatest NSEC owner sorting before `name` (wrapping to the last
   * one): the record that covers `name` in a complete chain (RFC 4034 §4.1.1).
   */
  nsecBefore(name: Name): Rr<NsecRdata> | undefined {
    const owners = this.#nsecOwners;
    let lo = 0;
    let hi = owners.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareNames(owners[mid] as Name, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    const owner = owners[lo === 0 ? owners.length - 1 : lo - 1];
    return owner === undefined ? undefined : this.nsecAt(owner);
  }

  /** True when the zone is signed with NSEC3 (it has NSEC3 records). */
  get hasNsec3(): boolean {
    return this.#nsec3.length > 0;
  }

  /** The hash parameters: the apex NSEC3PARAM, else those of the first NSEC3 record. */
  nsec3Params(): Nsec3ParamRdata | undefined {
    const param = this.rrset(this.origin, RRType.NSEC3PARAM)?.[0];
    if (param !== undefined && isType(param, RRType.NSEC3PARAM)) return param.data;
    return this.#nsec3[0]?.rr.data;
  }

  /** The NSEC3 hash of `name` with this zone's parameters. */
  hash(name: Name): Uint8Array | undefined {
    const p = this.nsec3Params();
    return p === undefined
      ? undefined
      : nsec3Hash(name, { salt: p.salt, iterations: p.iterations, hashAlgorithm: p.hashAlgorithm });
  }

  /** The NSEC3 whose owner hash equals hash(`name`) (RFC 5155 §7.2: "matches"). */
  nsec3Matching(name: Name): Nsec3Entry | undefined {
    const h = this.hash(name);
    return h === undefined ? undefined : this.#nsec3.find((e) => compareBytes(e.hash, h) === 0);
  }

  /** The NSEC3 with the greatest owner hash below hash(`name`), wrapping: the one that covers it. */
  nsec3Covering(name: Name): Nsec3Entry | undefined {
    const h = this.hash(name);
    if (h === undefined) return undefined;
    let best: Nsec3Entry | undefined;
    for (const e of this.#nsec3) if (compareBytes(e.hash, h) < 0) best = e;
    return best ?? this.#nsec3[this.#nsec3.length - 1];
  }

  /** The NSEC3 chain in hash order. */
  nsec3Chain(): readonly Nsec3Entry[] {
    return this.#nsec3;
  }
}
