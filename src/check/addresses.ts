/**
 * Address ranges a public checker must not connect to because DNS says so (a checker that
 * connects wherever an MX record points could be used to probe the operator's own network):
 * loopback, private, link-local, unique-local, carrier-grade NAT, unspecified and multicast —
 * RFC 1122 §3.2.1.3, RFC 1918 §3, RFC 3927, RFC 6598, RFC 4291 §2.5, RFC 4193, RFC 6890; IPv4
 * mapped into IPv6 (RFC 4291 §2.5.5.2) is judged as IPv4. Pure; no I/O.
 */
import { isIPv4, isIPv6 } from 'node:net';

const V4_RANGES: readonly {
  readonly net: readonly [number, number, number, number];
  readonly bits: number;
  readonly what: string;
}[] = [
  { net: [0, 0, 0, 0], bits: 8, what: '"this network" (RFC 1122)' },
  { net: [10, 0, 0, 0], bits: 8, what: 'private (RFC 1918)' },
  { net: [100, 64, 0, 0], bits: 10, what: 'shared carrier-grade NAT (RFC 6598)' },
  { net: [127, 0, 0, 0], bits: 8, what: 'loopback' },
  { net: [169, 254, 0, 0], bits: 16, what: 'link-local (RFC 3927)' },
  { net: [172, 16, 0, 0], bits: 12, what: 'private (RFC 1918)' },
  { net: [192, 168, 0, 0], bits: 16, what: 'private (RFC 1918)' },
  { net: [224, 0, 0, 0], bits: 4, what: 'multicast' },
  { net: [240, 0, 0, 0], bits: 4, what: 'reserved' },
];

function v4Octets(address: string): number[] {
  return address.split('.').map(Number);
}

function inV4(octets: readonly number[], net: readonly number[], bits: number): boolean {
  const value = (o: readonly number[]): number =>
    (((o[0] ?? 0) << 24) | ((o[1] ?? 0) << 16) | ((o[2] ?? 0) << 8) | (o[3] ?? 0)) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (value(octets) & mask) >>> 0 === (value(net) & mask) >>> 0;
}

/** The 8 16-bit groups of an IPv6 address (with `::` expanded and a dotted tail converted). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const o = v4Octets(dotted[1]);
    const hi = (((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16);
    const lo = (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16);
    text = `${text.slice(0, -dotted[1].length)}${hi}:${lo}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

function v4Range(address: string): string | undefined {
  const octets = v4Octets(address);
  return V4_RANGES.find((r) => inV4(octets, r.net, r.bits))?.what;
}

function v6Range(address: string): string | undefined {
  const g = v6Groups(address);
  const first = g[0] ?? 0;
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const v4 = `${(g[6] ?? 0) >> 8}.${(g[6] ?? 0) & 255}.${(g[7] ?? 0) >> 8}.${(g[7] ?? 0) & 255}`;
    return v4Range(v4);
  }
  if ((first & 0xfe00) === 0xfc00) return 'unique local (RFC 4193)';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  return undefined;
}

/**
 * The kind of range `address` lies in when it is not a public unicast address (`loopback`,
 * `private (RFC 1918)`, …), or undefined for an address a public checker may connect to.
 * Anything that is not an IP address is reported as such.
 */
export function nonPublicRange(address: string): string | undefined {
  if (isIPv4(address)) return v4Range(address);
  if (isIPv6(address)) return v6Range(address);
  return 'not an IP address';
}
