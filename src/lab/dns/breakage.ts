/**
 * Ways to break a signed zone for test scenarios, each returning a modified copy: an RRset
 * signed with an expired or not-yet-valid window (RFC 4035 §5.3.1), unsigned, or with a
 * corrupted signature; a DS that matches no DNSKEY (RFC 4035 §5.2); an NSEC/NSEC3 record
 * removed or shrunk so it no longer covers a name (RFC 4035 §5.4, RFC 5155 §8). A scenario
 * catalogue can say "the TLSA RRset at X is bogus" as `breakRrset(zone, X, RRType.TLSA, 'expired')`.
 * Must never modify the zone passed in.
 */
import { compareBytes } from '../../util/index.ts';
import {
  isType,
  makeNsec,
  makeRr,
  Name,
  RRType,
  encodeTypeBitmap,
  type DsRdata,
  type Nsec3Rdata,
  type NsecRdata,
  type Rr,
} from '../../dns/wire/index.ts';
import { LabDnsError } from './lab-dns-error.ts';
import { signZone, sortRecords, type SignedZone } from './signer.ts';
import { ZoneIndex } from './zone-index.ts';
import { signRrset } from './zone-keys.ts';

/** How `breakRrset` breaks an RRset's signatures. */
export type RrsetBreakage = 'expired' | 'not-yet-valid' | 'bad-signature' | 'unsigned';

/** A name given as a Name, or as text relative to the zone's origin unless it ends in a dot. */
export type NameLike = Name | string;

function nameIn(zone: SignedZone, name: NameLike): Name {
  return typeof name === 'string' ? Name.parse(name, zone.origin) : name;
}

function withRecords(zone: SignedZone, records: readonly Rr[]): SignedZone {
  return { ...zone, records: sortRecords(records) };
}

function isSigOf(rr: Rr, name: Name, type: number): boolean {
  return isType(rr, RRType.RRSIG) && rr.data.typeCovered === type && rr.name.equals(name);
}

function rrsetOf(zone: SignedZone, name: Name, type: number): Rr[] {
  const set = zone.records.filter((r) => r.type === type && r.name.equals(name));
  if (set.length === 0) {
    throw new LabDnsError(
      'LAB_ERR_DNS_ARGUMENT',
      `zone ${zone.origin.toString()} has no ${type} RRset at ${name.toString()}`,
    );
  }
  return set;
}

/** An RRset of a zone: owner (relative names allowed) and type. */
export interface RrsetRef {
  name: NameLike;
  type: number;
}

/** Re-sign an RRset with another validity window (seconds since the epoch). */
export function resignRrset(
  zone: SignedZone,
  target: RrsetRef & { inception: number; expiration: number },
): SignedZone {
  const { type } = target;
  const owner = nameIn(zone, target.name);
  const rrset = rrsetOf(zone, owner, type);
  const key = type === RRType.DNSKEY ? zone.keys.ksk : zone.keys.zsk;
  const sig = signRrset(rrset, key, {
    signer: zone.origin,
    inception: target.inception,
    expiration: target.expiration,
  });
  return withRecords(zone, [...zone.records.filter((r) => !isSigOf(r, owner, type)), sig]);
}

/**
 * Validators tolerate some clock skew around a signature's window (Unbound: 10 % of the window,
 * at least 1 hour and at most 24 hours, `val-sig-skew-min/max`); broken windows keep this much
 * distance from the zone's own window so that no validator accepts them.
 */
const SKEW_MARGIN = 2 * 86_400;

/**
 * The RRset signed with a window that ended well before the zone's own inception, so it is
 * expired whenever the rest of the zone is valid ("The validator's notion of the current time
 * MUST be less than or equal to the time listed in the RRSIG RR's Expiration field").
 */
export function expireSignatures(zone: SignedZone, name: NameLike, type: number): SignedZone {
  const span = zone.options.expiration - zone.options.inception;
  const expiration = zone.options.inception - Math.max(span, SKEW_MARGIN);
  return resignRrset(zone, { name, type, inception: expiration - span, expiration });
}

/** The RRset signed with a window that starts well after the zone's own expiration. */
export function notYetValidSignatures(zone: SignedZone, name: NameLike, type: number): SignedZone {
  const span = zone.options.expiration - zone.options.inception;
  const inception = zone.options.expiration + Math.max(span, SKEW_MARGIN);
  return resignRrset(zone, { name, type, inception, expiration: inception + span });
}

/** Remove the RRSIGs over the RRset of `type` at `name` (the data stays). */
export function stripSignatures(zone: SignedZone, name: NameLike, type: number): SignedZone {
  const owner = nameIn(zone, name);
  rrsetOf(zone, owner, type);
  return withRecords(
    zone,
    zone.records.filter((r) => !isSigOf(r, owner, type)),
  );
}

/** Flip one bit of each signature over the RRset of `type` at `name` (it no longer verifies). */
export function corruptSignature(zone: SignedZone, name: NameLike, type: number): SignedZone {
  const owner = nameIn(zone, name);
  rrsetOf(zone, owner, type);
  const records = zone.records.map((r) => {
    if (!isSigOf(r, owner, type) || !isType(r, RRType.RRSIG)) return r;
    const signature = r.data.signature.slice();
    const at = Math.floor(signature.length / 2);
    signature[at] = (signature[at] ?? 0) ^ 0x01;
    return makeRr({ name: r.name, type: r.type, ttl: r.ttl, class: r.class, data: { ...r.data, signature } });
  });
  return withRecords(zone, records);
}

/**
 * Break the signatures of an RRset in one of the ways a validator must reject, e.g. "the TLSA
 * RRset at X is bogus": `breakRrset(zone, X, RRType.TLSA, 'expired')`. (Positional like the
 * helpers it dispatches to, so a scenario catalogue can pass its fields straight through.)
 */
export function breakRrset(zone: SignedZone, name: NameLike, type: number, how: RrsetBreakage): SignedZone {
  switch (how) {
    case 'expired':
      return expireSignatures(zone, name, type);
    case 'not-yet-valid':
      return notYetValidSignatures(zone, name, type);
    case 'bad-signature':
      return corruptSignature(zone, name, type);
    case 'unsigned':
      return stripSignatures(zone, name, type);
  }
}

/**
 * Re-sign the zone from its unsigned source after `edit` changed the records (same keys, window
 * and denial mode): add or remove data and get a consistent chain and signatures again.
 */
export function editZone(zone: SignedZone, edit: (records: readonly Rr[]) => readonly Rr[]): SignedZone {
  return signZone({ origin: zone.origin, records: edit(zone.source) }, zone.options);
}

/** Replace the DS RRset of the delegation `child` in the parent `zone` ([] removes it) and re-sign. */
export function replaceDs(zone: SignedZone, child: NameLike, ds: readonly DsRdata[]): SignedZone {
  const cut = nameIn(zone, child);
  if (!zone.source.some((r) => r.type === RRType.NS && r.name.equals(cut)) || cut.equals(zone.origin)) {
    throw new LabDnsError(
      'LAB_ERR_DNS_ARGUMENT',
      `${cut.toString()} is not a delegation in ${zone.origin.toString()}`,
    );
  }
  const ttl = zone.source.find((r) => r.type === RRType.DS && r.name.equals(cut))?.ttl ?? 3600;
  return editZone(zone, (records) => [
    ...records.filter((r) => !(r.type === RRType.DS && r.name.equals(cut))),
    ...ds.map((data) => makeRr({ name: cut, type: RRType.DS, ttl, data })),
  ]);
}

/** A copy of `ds` with its digest altered: it names the same key tag but matches no DNSKEY. */
export function bogusDs(ds: DsRdata): DsRdata {
  const digest = ds.digest.slice();
  digest[0] = (digest[0] ?? 0) ^ 0xff;
  return { ...ds, digest };
}

interface DenialHit {
  rr: Rr;
}

/** The NSEC or NSEC3 record matching `name`, else the one covering it. */
function denialFor(zone: SignedZone, name: Name): DenialHit | undefined {
  const index = new ZoneIndex(zone.origin, zone.records);
  if (index.hasNsec3) {
    const e = index.nsec3Matching(name) ?? index.nsec3Covering(name);
    return e === undefined ? undefined : { rr: e.rr };
  }
  const rr = index.nsecAt(name) ?? index.nsecBefore(name);
  return rr === undefined ? undefined : { rr };
}

function sameRecord(a: Rr, b: Rr): boolean {
  return a.type === b.type && a.name.equals(b.name) && compareBytes(a.rdata, b.rdata) === 0;
}

/** Remove the NSEC/NSEC3 record that matches or covers `name`, with its signatures. */
export function dropNsec(zone: SignedZone, name: NameLike): SignedZone {
  const hit = denialFor(zone, nameIn(zone, name));
  if (hit === undefined)
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `zone ${zone.origin.toString()} has no NSEC/NSEC3 chain`);
  return withRecords(
    zone,
    zone.records.filter((r) => !sameRecord(r, hit.rr) && !isSigOf(r, hit.rr.name, hit.rr.type)),
  );
}

/**
 * Shrink the NSEC/NSEC3 record covering `name` so that it ends at `name` and no longer covers
 * it — validly re-signed, so only the denial proof fails. `name` must not exist in the zone.
 */
export function uncoverName(zone: SignedZone, name: NameLike): SignedZone {
  const qname = nameIn(zone, name);
  const index = new ZoneIndex(zone.origin, zone.records);
  if (index.exists(qname) || index.nsec3Matching(qname) !== undefined) {
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `${qname.toString()} exists in ${zone.origin.toString()}`);
  }
  const hit = denialFor(zone, qname);
  if (hit === undefined)
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `zone ${zone.origin.toString()} has no NSEC/NSEC3 chain`);
  let changed: Rr;
  if (isType(hit.rr, RRType.NSEC)) {
    const data: NsecRdata = makeNsec(qname, hit.rr.data.types);
    changed = makeRr({ name: hit.rr.name, type: RRType.NSEC, ttl: hit.rr.ttl, data });
  } else if (isType(hit.rr, RRType.NSEC3)) {
    const hash = index.hash(qname) as Uint8Array;
    const data: Nsec3Rdata = {
      ...hit.rr.data,
      nextHashed: hash,
      bitmap: encodeTypeBitmap(hit.rr.data.types),
    };
    changed = makeRr({ name: hit.rr.name, type: RRType.NSEC3, ttl: hit.rr.ttl, data });
  } else {
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', 'unexpected denial record');
  }
  const sig = signRrset([changed], zone.keys.zsk, { signer: zone.origin, ...zone.options });
  const rest = zone.records.filter((r) => !sameRecord(r, hit.rr) && !isSigOf(r, hit.rr.name, hit.rr.type));
  return withRecords(zone, [...rest, changed, sig]);
}
