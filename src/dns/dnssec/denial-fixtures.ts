/**
 * Test support for the denial tests: the complete NSEC chain (RFC 4034 §4.1) and NSEC3 chain
 * (RFC 5155 §7.1, with empty non-terminals) of a small zone described as data, so one zone can
 * be put through both proof families, and RRSIG records with a chosen Labels field (RFC 4034
 * §3.1.3) for the wildcard-expansion checks. Test support only; never imported by runtime code.
 */
import { compareBytes, fromHex } from '../../util/index.ts';
import {
  compareNames,
  Name,
  parseZone,
  toBase32Hex,
  typeToString,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
  type RrsigRdata,
} from '../wire/index.ts';
import { nsec3Hash } from './nsec3.ts';

/** A zone as data: its apex and, per owner name, the RR types present there (presentation text). */
export interface ZoneSpec {
  apex: string;
  /** Owner → types, e.g. `{ 'a.example.': 'A', 'sub.example.': 'NS' }`; the apex is listed too. */
  names: Readonly<Record<string, string>>;
}

/** Hash parameters of an NSEC3 chain; `salt` in hex or '-' for none. */
export interface ChainParams {
  salt: string;
  iterations: number;
  optOut?: boolean;
}

function owners(spec: ZoneSpec): Name[] {
  return Object.keys(spec.names).map((s) => Name.parse(s));
}

function typesAt(spec: ZoneSpec, name: Name): string {
  const hit = Object.entries(spec.names).find(([k]) => Name.parse(k).equals(name));
  return hit?.[1] ?? '';
}

/** The NSEC chain of the zone in canonical order; the last NSEC points back at the apex. */
export function nsecChain(spec: ZoneSpec): Rr<NsecRdata>[] {
  const names = owners(spec).sort(compareNames);
  const lines = names.map((name, i) => {
    const next = names[i + 1] ?? Name.parse(spec.apex);
    return `${name.toString()} 300 IN NSEC ${next.toString()} ${typesAt(spec, name)} RRSIG NSEC`;
  });
  return parseZone(lines.join('\n')) as Rr<NsecRdata>[];
}

/** Every owner plus the empty non-terminals between owners and the apex (RFC 5155 §7.1). */
function withEmptyNonTerminals(spec: ZoneSpec): Name[] {
  const apex = Name.parse(spec.apex);
  const all = new Map<string, Name>();
  for (const name of owners(spec)) {
    for (let n: Name | undefined = name; n?.isSubdomainOf(apex) === true; n = n.parent()) all.set(n.key(), n);
  }
  return [...all.values()];
}

/** The NSEC3 chain of the zone with the given parameters, sorted by hash (RFC 5155 §7.1). */
export function nsec3Chain(spec: ZoneSpec, params: ChainParams): Rr<Nsec3Rdata>[] {
  const salt = params.salt === '-' ? new Uint8Array() : fromHex(params.salt);
  const hashed = withEmptyNonTerminals(spec).map((name) => {
    const hash = nsec3Hash(name, { salt, iterations: params.iterations }) as Uint8Array;
    return { name, hash };
  });
  hashed.sort((a, b) => compareBytes(a.hash, b.hash));
  const flags = params.optOut === true ? 1 : 0;
  const lines = hashed.map((h, i) => {
    const next = (hashed[i + 1] ?? hashed[0]) as { hash: Uint8Array };
    const types = typesAt(spec, h.name);
    const signed = types === '' || types === 'NS' ? types : `${types} RRSIG`;
    const owner = `${toBase32Hex(h.hash)}.${spec.apex}`;
    return `${owner} 300 IN NSEC3 1 ${flags} ${params.iterations} ${params.salt} ${toBase32Hex(next.hash)} ${signed}`;
  });
  return parseZone(lines.join('\n')) as Rr<Nsec3Rdata>[];
}

/**
 * An RRSIG over `rr`'s RRset by `signer` with the given Labels field (default: the owner's label
 * count, i.e. not a wildcard expansion). The signature octets are filler: these RRSIGs are never
 * verified, only their Labels field is read.
 */
export function rrsigOver(rr: Rr, opts: { signer: string; labels?: number }): Rr<RrsigRdata> {
  const labels = opts.labels ?? (rr.name.isWildcard ? rr.name.labelCount - 1 : rr.name.labelCount);
  const text = `${rr.name.toString()} 300 IN RRSIG ${typeToString(rr.type)} 13 ${labels} 300 20300101000000 20200101000000 1 ${opts.signer} AAAA`;
  return parseZone(text)[0] as Rr<RrsigRdata>;
}
