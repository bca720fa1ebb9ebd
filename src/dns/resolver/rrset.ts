/**
 * RRsets as the validator sees them: records of one owner, type and class, with the RRSIGs that
 * cover them gathered from anywhere in the message (servers are not always tidy about which
 * section a signature lands in). Pure.
 */
import { isType, Name, RRType, type Message, type Rr, type RrsigRdata } from '../wire/index.ts';

export interface RRset {
  readonly name: Name;
  readonly type: number;
  readonly class: number;
  /** Smallest TTL of the records. */
  readonly ttl: number;
  readonly rrs: Rr[];
  readonly sigs: Rr<RrsigRdata>[];
}

interface Group {
  name: Name;
  type: number;
  class: number;
  rrs: Rr[];
  sigs: Rr<RrsigRdata>[];
}

/**
 * Group the records of one section into RRsets (RRSIGs excluded), in order of first appearance,
 * each with the RRSIGs covering it. Sections are small, so a linear scan (type and class
 * compared before the name) is cheaper than building string keys.
 */
export function groupRrsets(rrs: readonly Rr[], allSigs: readonly Rr<RrsigRdata>[]): RRset[] {
  const groups: Group[] = [];
  for (const rr of rrs) {
    if (rr.type === RRType.RRSIG) continue;
    let g = groups.find((x) => x.type === rr.type && x.class === rr.class && x.name.equals(rr.name));
    if (g === undefined) {
      g = { name: rr.name, type: rr.type, class: rr.class, rrs: [], sigs: [] };
      groups.push(g);
    }
    g.rrs.push(rr);
  }
  for (const sig of allSigs) {
    const covered = sig.data.typeCovered;
    const g = groups.find((x) => x.type === covered && x.class === sig.class && x.name.equals(sig.name));
    g?.sigs.push(sig);
  }
  return groups.map((g) => {
    let ttl = Infinity;
    for (const r of g.rrs) ttl = Math.min(ttl, r.ttl);
    return { ...g, ttl };
  });
}

/** All RRSIG records of a message, from every section. */
export function allSignatures(msg: Message): Rr<RrsigRdata>[] {
  const out: Rr<RrsigRdata>[] = [];
  for (const rr of [...msg.answers, ...msg.authorities, ...msg.additionals]) {
    if (isType(rr, RRType.RRSIG)) out.push(rr);
  }
  return out;
}

/** The RRsets of each section of a message with their signatures attached. */
export function sectionRrsets(msg: Message): { answer: RRset[]; authority: RRset[]; additional: RRset[] } {
  const sigs = allSignatures(msg);
  return {
    answer: groupRrsets(msg.answers, sigs),
    authority: groupRrsets(msg.authorities, sigs),
    additional: groupRrsets(msg.additionals, sigs),
  };
}

/** Distinct signer names of an RRset's signatures. */
export function signerNames(set: RRset): Name[] {
  const out: Name[] = [];
  for (const s of set.sigs) if (!out.some((n) => n.equals(s.data.signerName))) out.push(s.data.signerName);
  return out;
}

/** The RRSIG records at `name` in the answer section as one (unsigned) RRset, for qtype RRSIG. */
export function rrsigRrset(msg: Message, name: Name): RRset | undefined {
  const rrs = msg.answers.filter((rr) => rr.type === RRType.RRSIG && rr.name.equals(name));
  const first = rrs[0];
  if (first === undefined) return undefined;
  return {
    name,
    type: RRType.RRSIG,
    class: first.class,
    ttl: Math.min(...rrs.map((r) => r.ttl)),
    rrs,
    sigs: [],
  };
}
