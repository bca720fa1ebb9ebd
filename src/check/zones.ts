/**
 * DNSSEC facts about the zones a check goes through (RFC 4035 §4.3, §5; RFC 9276): the apex of
 * the zone holding a name (found by asking for SOA upwards), whether the zone is signed with a
 * chain of trust, unsigned, or signed without one (an island: DNSKEYs, but no DS at the parent),
 * its NSEC3 parameters, and the earliest expiration of the signatures the check saw in it.
 * Reads DNS only through the resolver it is given; the time is passed in.
 */
import { serialCompare, serialDistance } from '../dns/dnssec/index.ts';
import type { DaneResolver } from '../dane/index.ts';
import type { Answer } from '../dns/resolver/index.ts';
import { isType, RRType, type Name } from '../dns/wire/index.ts';
import { toHex } from '../util/index.ts';
import type { ZoneReport } from './types.ts';

/** What is known about one zone. */
export interface ZoneFacts {
  readonly apex: Name;
  readonly status: ZoneReport['status'];
  readonly nsec3: { readonly iterations: number; readonly salt: string } | null;
  /** For an island: the parent proved that it has no DS (else: the parent is unsigned too). */
  readonly parentProvesNoDs: boolean;
  /** Why the status is bogus or unknown. */
  readonly failure?: Answer;
}

/** Most labels walked up when looking for a zone apex. */
const MAX_WALK = 12;

/**
 * The apex of the zone holding `name`: the closest enclosing name that owns an SOA record
 * itself (not through an alias). Undefined when a lookup on the way failed.
 */
export async function findApex(name: Name, resolver: DaneResolver): Promise<Name | undefined> {
  let at: Name | undefined = name;
  for (let i = 0; at !== undefined && i < MAX_WALK; i++) {
    const a = await resolver.lookup(at, RRType.SOA);
    if (a.kind === 'failed' || a.status === 'bogus') return undefined;
    const owner = at;
    if (
      a.kind === 'answer' &&
      a.aliases.length === 0 &&
      a.rrset.require('insecure').some((r) => r.type === RRType.SOA && r.name.equals(owner))
    )
      return at;
    if (at.isRoot) return undefined;
    at = at.parent();
  }
  return undefined;
}

async function nsec3Params(apex: Name, resolver: DaneResolver): Promise<ZoneFacts['nsec3']> {
  const a = await resolver.lookup(apex, RRType.NSEC3PARAM);
  if (a.kind !== 'answer') return null;
  const rr = a.rrset.require('insecure').find((r) => isType(r, RRType.NSEC3PARAM));
  if (rr === undefined || !isType(rr, RRType.NSEC3PARAM)) return null;
  return { iterations: rr.data.iterations, salt: toHex(rr.data.salt) };
}

/** Signed, unsigned, island or bogus — from the zone's DNSKEY RRset and the parent's DS. */
export async function zoneFacts(apex: Name, resolver: DaneResolver): Promise<ZoneFacts> {
  const keys = await resolver.lookup(apex, RRType.DNSKEY);
  if (keys.kind === 'failed' || keys.status === 'bogus') {
    const status = keys.status === 'bogus' ? 'bogus' : 'unknown';
    return { apex, status, nsec3: null, parentProvesNoDs: false, failure: keys };
  }
  if (keys.kind !== 'answer') return { apex, status: 'unsigned', nsec3: null, parentProvesNoDs: false };
  const nsec3 = await nsec3Params(apex, resolver);
  if (keys.status === 'secure') return { apex, status: 'signed', nsec3, parentProvesNoDs: false };
  // DNSKEYs that do not validate as secure, without being bogus: RFC 4035 §4.3 "Insecure" — no
  // chain of trust reaches them. A secure proof that the parent has no DS makes it an island.
  const ds = await resolver.lookup(apex, RRType.DS);
  const parentProvesNoDs = (ds.kind === 'nodata' || ds.kind === 'nxdomain') && ds.status === 'secure';
  return { apex, status: 'island', nsec3, parentProvesNoDs };
}

/**
 * The earliest expiration (seconds since the epoch) of the signatures made by `apex` over secure
 * answers the check received, or undefined when there were none. RFC 4034 §3.1.5: the fields
 * compare by serial number arithmetic.
 */
export function earliestExpiry(
  answers: readonly Answer[],
  apex: Name,
  nowSeconds: number,
): number | undefined {
  let best: number | undefined;
  for (const a of answers) {
    if (a.status !== 'secure') continue;
    for (const sig of a.signatures) {
      if (!sig.data.signerName.equals(apex)) continue;
      if (serialCompare(nowSeconds, sig.data.expiration) === 1) continue;
      const at = nowSeconds + serialDistance(nowSeconds, sig.data.expiration);
      if (best === undefined || at < best) best = at;
    }
  }
  return best;
}
