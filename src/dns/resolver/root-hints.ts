/**
 * Root hints for mode `recursive`: the IANA root servers built in (named.root, as published by
 * IANA), or a hints file in zone-file form (NS records at `.` plus A/AAAA for those names).
 */
import { isType, Name, RRType, type Rr } from '../wire/index.ts';
import type { RootHint } from './iterator.ts';

const IANA: readonly [string, string, string][] = [
  ['a', '198.41.0.4', '2001:503:ba3e::2:30'],
  ['b', '170.247.170.2', '2801:1b8:10::b'],
  ['c', '192.33.4.12', '2001:500:2::c'],
  ['d', '199.7.91.13', '2001:500:2d::d'],
  ['e', '192.203.230.10', '2001:500:a8::e'],
  ['f', '192.5.5.241', '2001:500:2f::f'],
  ['g', '192.112.36.4', '2001:500:12::d0d'],
  ['h', '198.97.190.53', '2001:500:1::53'],
  ['i', '192.36.148.17', '2001:7fe::53'],
  ['j', '192.58.128.30', '2001:503:c27::2:30'],
  ['k', '193.0.14.129', '2001:7fd::1'],
  ['l', '199.7.83.42', '2001:500:9f::42'],
  ['m', '202.12.27.33', '2001:dc3::35'],
];

/** The 13 IANA root servers (IPv4 and IPv6). */
export const IANA_ROOT_HINTS: readonly RootHint[] = IANA.map(([letter, v4, v6]) => ({
  name: Name.parse(`${letter}.root-servers.net.`),
  addresses: [v4, v6],
}));

/**
 * Root hints from zone records: every NS at the root with the A/AAAA records of its name.
 * Returns an error text when the file names no server with an address.
 */
export function rootHintsFromRecords(rrs: readonly Rr[]): { hints: RootHint[] } | { error: string } {
  const ns = rrs.filter((rr): rr is Rr<{ target: Name }> => isType(rr, RRType.NS) && rr.name.isRoot);
  const hints: RootHint[] = [];
  for (const rr of ns) {
    const host = rr.data.target;
    const addresses = rrs
      .filter((a) => (a.type === RRType.A || a.type === RRType.AAAA) && a.name.equals(host))
      .map((a) => (a.data as { address: string }).address);
    if (addresses.length > 0) hints.push({ name: host, addresses });
  }
  if (hints.length === 0)
    return { error: 'no root server with an address (need NS records at "." and A/AAAA records)' };
  return { hints };
}
