/**
 * Changing a served zone the way an operator does: replace one RRset, bump the SOA serial
 * (RFC 1035 §3.3.13, RFC 1982 serial arithmetic) and, for a signed zone, re-sign it with its own
 * keys, signature window and denial mode (RFC 4035 §2), so the parent's DS still matches.
 * Returns a new zone; must never modify the zone it is given, and never reads the clock.
 */
import { isType, makeRr, RRType, type Name, type Rr } from '../../dns/wire/index.ts';
import { LabDnsError } from './lab-dns-error.ts';
import { signZone, sortRecords, type SignedZone, type ZoneData } from './signer.ts';

/** True for a zone made by signZone (it keeps its unsigned source and options for re-signing). */
export function isSignedZone(zone: ZoneData): zone is SignedZone {
  return 'source' in zone && 'options' in zone && 'keys' in zone;
}

/**
 * RFC 1035 §3.3.13: SERIAL is "The unsigned 32 bit version number of the original copy of the
 * zone. Zone transfers preserve this value. This value wraps and should be compared using
 * sequence space arithmetic." RFC 1982 §3.1: "Serial numbers may be incremented by the addition
 * of a positive integer n" — here n = 1, modulo 2^32.
 */
export function bumpSerial(records: readonly Rr[], origin: Name): { records: Rr[]; serial: number } {
  let serial: number | undefined;
  const out = records.map((rr) => {
    if (!isType(rr, RRType.SOA) || !rr.name.equals(origin)) return rr;
    serial = (rr.data.serial + 1) % 2 ** 32;
    return makeRr({
      name: rr.name,
      type: RRType.SOA,
      ttl: rr.ttl,
      class: rr.class,
      data: { ...rr.data, serial },
    });
  });
  if (serial === undefined) {
    throw new LabDnsError('LAB_ERR_DNS_ARGUMENT', `zone ${origin.toString()} has no SOA record at its apex`);
  }
  return { records: out, serial };
}

/** What replaces an RRset: its owner and type, and the new records ([] removes the RRset). */
export interface RrsetReplacement {
  readonly name: Name;
  readonly type: number;
  readonly records: readonly Rr[];
}

function replaced(records: readonly Rr[], r: RrsetReplacement): Rr[] {
  for (const rr of r.records) {
    if (rr.type !== r.type || !rr.name.equals(r.name)) {
      throw new LabDnsError(
        'LAB_ERR_DNS_ARGUMENT',
        `a record for ${rr.name.toString()} type ${rr.type} does not belong to the RRset being replaced`,
      );
    }
  }
  return [...records.filter((rr) => rr.type !== r.type || !rr.name.equals(r.name)), ...r.records];
}

/**
 * Replace one RRset and bump the serial; a signed zone comes back re-signed from its unsigned
 * source (every signature and the NSEC/NSEC3 chain made anew), an unsigned zone as records.
 */
export function replaceRrset(zone: SignedZone, r: RrsetReplacement): { zone: SignedZone; serial: number };
export function replaceRrset(zone: ZoneData, r: RrsetReplacement): { zone: ZoneData; serial: number };
export function replaceRrset(zone: ZoneData, r: RrsetReplacement): { zone: ZoneData; serial: number } {
  if (!r.name.isSubdomainOf(zone.origin)) {
    throw new LabDnsError(
      'LAB_ERR_DNS_ARGUMENT',
      `${r.name.toString()} is outside the zone ${zone.origin.toString()}`,
    );
  }
  if (isSignedZone(zone)) {
    const { records, serial } = bumpSerial(replaced(zone.source, r), zone.origin);
    return { zone: signZone({ origin: zone.origin, records }, zone.options), serial };
  }
  const { records, serial } = bumpSerial(replaced(zone.records, r), zone.origin);
  return { zone: { origin: zone.origin, records: sortRecords(records) }, serial };
}
