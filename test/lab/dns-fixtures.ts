/**
 * Test support for the lab's DNS tests (signer, breakage, authority): one small zone with every
 * shape the signer and server must handle — apex data, a wildcard, an empty non-terminal, a
 * signed and an unsigned delegation with glue, a deep unsigned delegation, a CNAME, a DNAME and
 * a large TXT RRset — plus keys shared per algorithm (RSA generation is slow) and a fixed
 * signature window. Test support only; never imported by runtime code.
 */
import { Name, parseZone, type Rr } from '../../src/dns/wire/index.ts';
import { signZone, type DenialMode, type SignedZone, type ZoneKeys } from '../../src/lab/dns/signer.ts';
import { generateZoneKey, type ZoneAlgorithm } from '../../src/lab/dns/zone-keys.ts';

/** RRSIG inception of the fixtures (2023-11-14T22:13:20Z). */
export const INCEPTION = 1_700_000_000;
/** RRSIG expiration of the fixtures: 30 days later. */
export const EXPIRATION = INCEPTION + 30 * 86_400;
/** A validator's "now" inside the window. */
export const NOW = INCEPTION + 86_400;

/** A 2 000-octet TXT RRset (does not fit into a 1232-octet UDP response). */
const BIG_TXT = Array.from({ length: 8 }, (_, i) => `big IN TXT "${String(i).repeat(250)}"`).join('\n');

/** The fixture zone, names relative to the origin. */
export const FIXTURE_ZONE_TEXT = `$TTL 3600
@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ IN NS ns1
@ IN MX 10 mx1
ns1 IN A 192.0.2.53
www IN A 192.0.2.1
www IN AAAA 2001:db8::1
mx1 IN A 192.0.2.25
_25._tcp.mx1 IN TLSA 3 1 1 2d2d1b5cc48ec4b0d3e37cce36e3d78009beb80ec862ba77a819cf871e1cd5c4
*.wild IN TXT "wildcard"
x.y.ent IN A 192.0.2.9
sec IN NS ns.sec
ns.sec IN A 192.0.2.54
sec IN DS 12345 13 2 2d2d1b5cc48ec4b0d3e37cce36e3d78009beb80ec862ba77a819cf871e1cd5c4
insec IN NS ns.insec
ns.insec IN A 192.0.2.55
a.b.deep IN NS ns.elsewhere.example.net.
alias IN CNAME www
dn IN DNAME target
host.target IN A 192.0.2.77
${BIG_TXT}
`;

/** The fixture records at `origin`. */
export function fixtureRecords(origin: Name | string, extra = ''): Rr[] {
  const o = typeof origin === 'string' ? Name.parse(origin) : origin;
  return parseZone(FIXTURE_ZONE_TEXT + extra, { origin: o });
}

const keyCache = new Map<number, ZoneKeys>();

/** A KSK and ZSK of `algorithm`, generated once per process. */
export function fixtureKeys(algorithm: ZoneAlgorithm): ZoneKeys {
  let keys = keyCache.get(algorithm);
  if (keys === undefined) {
    keys = {
      ksk: generateZoneKey(algorithm, { ksk: true }),
      zsk: generateZoneKey(algorithm, { ksk: false }),
    };
    keyCache.set(algorithm, keys);
  }
  return keys;
}

/** Denial modes by short name. */
export const DENIALS: Readonly<Record<'nsec' | 'nsec3' | 'optout', DenialMode>> = {
  nsec: 'nsec',
  nsec3: { nsec3: { iterations: 0, salt: new Uint8Array(0) } },
  optout: { nsec3: { iterations: 2, salt: Uint8Array.of(0xab, 0xcd), optOut: true } },
};

/** The fixture zone at `origin`, signed with the shared keys and the fixed window. */
export function signFixture(
  origin: string,
  opts: {
    algorithm: ZoneAlgorithm;
    denial: keyof typeof DENIALS;
    extra?: string;
    extraRecords?: readonly Rr[];
  },
): SignedZone {
  return signZone(
    {
      origin: Name.parse(origin),
      records: [...fixtureRecords(origin, opts.extra), ...(opts.extraRecords ?? [])],
    },
    {
      algorithm: opts.algorithm,
      keys: fixtureKeys(opts.algorithm),
      denial: DENIALS[opts.denial],
      inception: INCEPTION,
      expiration: EXPIRATION,
    },
  );
}
