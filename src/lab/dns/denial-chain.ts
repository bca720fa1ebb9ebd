/**
 * The authenticated-denial chains of a zone being signed: NSEC (RFC 4034 §4, RFC 4035 §2.3)
 * and NSEC3 (RFC 5155 §7.1, with Opt-Out), built from a ZoneIndex of the unsigned data plus
 * the apex DNSKEY and NSEC3PARAM. The records come out unsigned; signer.ts signs them.
 * Must never put a name below a zone cut (occluded data) into a chain.
 */
import { compareBytes } from '../../util/index.ts';
import { nsec3Hash } from '../../dns/dnssec/index.ts';
import {
  encodeTypeBitmap,
  makeNsec,
  makeRr,
  Name,
  RRType,
  toBase32Hex,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
} from '../../dns/wire/index.ts';
import type { NameNode, ZoneIndex } from './zone-index.ts';

/** NSEC3 chain parameters (RFC 5155 §3.1; RFC 9276 recommends 0 iterations and no salt). */
export interface Nsec3Params {
  iterations: number;
  salt: Uint8Array;
  /** RFC 5155 §6: leave insecure delegations out of the chain and set the Opt-Out flag. */
  optOut?: boolean;
}

/** A node of the zone that is part of the denial chain, with the types its bitmap lists. */
interface ChainName {
  name: Name;
  types: number[];
}

/** The nodes that hold authoritative data or a delegation (RFC 4035 §2.3), in canonical order. */
function chainNodes(index: ZoneIndex): { node: NameNode; delegation: boolean }[] {
  const out: { node: NameNode; delegation: boolean }[] = [];
  for (const node of index.nodes()) {
    const role = index.role(node.name);
    if (role === 'apex' || role === 'authoritative') out.push({ node, delegation: false });
    else if (role === 'delegation') out.push({ node, delegation: true });
  }
  return out;
}

/**
 * RFC 4035 §2.3: "The bitmap for the NSEC RR at a delegation point requires special attention.
 * Bits corresponding to the delegation NS RRset and any RRsets for which the parent zone has
 * authoritative data MUST be set; bits corresponding to any non-NS RRset for which the parent
 * is not authoritative MUST be clear." Every owner in the chain also has RRSIG and NSEC.
 */
function nsecTypes(node: NameNode, delegation: boolean): number[] {
  const own = delegation
    ? [RRType.NS, ...(node.rrsets.has(RRType.DS) ? [RRType.DS] : [])]
    : [...node.rrsets.keys()];
  return [...own, RRType.RRSIG, RRType.NSEC];
}

/**
 * The NSEC chain. RFC 4034 §4.1.1: "The value of the Next Domain Name field in the last NSEC
 * record in the zone is the name of the zone apex". RFC 4035 §2.3 / RFC 9077 §3.3: the TTL is
 * min(SOA TTL, SOA MINIMUM), passed in as `ttl`.
 */
export function buildNsecChain(index: ZoneIndex, ttl: number): Rr<NsecRdata>[] {
  const names: ChainName[] = chainNodes(index).map(({ node, delegation }) => ({
    name: node.name,
    types: nsecTypes(node, delegation),
  }));
  return names.map((c, i) =>
    makeRr({
      name: c.name,
      type: RRType.NSEC,
      ttl,
      data: makeNsec((names[(i + 1) % names.length] as ChainName).name, c.types),
    }),
  );
}

/**
 * RFC 5155 §7.1: the bitmap lists the types at the original owner name. An unsigned
 * delegation has no RRSIG there, so its bitmap is NS alone; a signed one has NS, DS, RRSIG.
 */
function nsec3Types(node: NameNode, delegation: boolean): number[] {
  if (!delegation) return [...node.rrsets.keys(), RRType.RRSIG];
  return node.rrsets.has(RRType.DS) ? [RRType.NS, RRType.DS, RRType.RRSIG] : [RRType.NS];
}

/**
 * The original owner names of the NSEC3 chain (RFC 5155 §7.1): every authoritative name and
 * delegation — without insecure delegations under Opt-Out — and every empty non-terminal above
 * one of them ("Each empty non-terminal MUST have a corresponding NSEC3 RR, unless the empty
 * non-terminal is only derived from an insecure delegation covered by an Opt-Out NSEC3 RR").
 */
function nsec3Names(index: ZoneIndex, optOut: boolean): ChainName[] {
  const out: ChainName[] = [];
  const ents = new Map<string, Name>();
  for (const { node, delegation } of chainNodes(index)) {
    if (optOut && delegation && !node.rrsets.has(RRType.DS)) continue;
    out.push({ name: node.name, types: nsec3Types(node, delegation) });
    for (
      let n = node.name.parent();
      n !== undefined && n.labelCount > index.origin.labelCount;
      n = n.parent()
    ) {
      if (index.isEnt(n)) ents.set(n.key(), n);
    }
  }
  for (const ent of ents.values()) out.push({ name: ent, types: [] });
  return out;
}

/**
 * The NSEC3 chain (RFC 5155 §7.1): one record per original owner name, owner
 * `base32hex(H(name)).apex`, next hashed owner the following hash in the chain (the last one
 * points back to the first), flags 1 when Opt-Out is used, hash algorithm 1 (SHA-1).
 */
export function buildNsec3Chain(index: ZoneIndex, params: Nsec3Params, ttl: number): Rr<Nsec3Rdata>[] {
  const hashed = nsec3Names(index, params.optOut === true)
    .map((c) => ({
      ...c,
      hash: nsec3Hash(c.name, { salt: params.salt, iterations: params.iterations }) as Uint8Array,
    }))
    .sort((a, b) => compareBytes(a.hash, b.hash));
  return hashed.map((c, i) => {
    const next = (hashed[(i + 1) % hashed.length] as { hash: Uint8Array }).hash;
    const types = [...new Set(c.types)].sort((a, b) => a - b);
    const data: Nsec3Rdata = {
      hashAlgorithm: 1,
      flags: params.optOut === true ? 1 : 0,
      iterations: params.iterations,
      salt: params.salt,
      nextHashed: next,
      types,
      bitmap: encodeTypeBitmap(types),
    };
    const owner = new Name([
      Uint8Array.from(toBase32Hex(c.hash), (ch) => ch.charCodeAt(0)),
      ...index.origin.labels,
    ]);
    return makeRr({ name: owner, type: RRType.NSEC3, ttl, data });
  });
}
