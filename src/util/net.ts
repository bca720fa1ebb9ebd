/**
 * IP address facts every layer needs the same answer to: whether an address is loopback
 * (RFC 1122 §3.2.1.3: 127.0.0.0/8; RFC 4291 §2.5.3: ::1; and ::1's IPv4 counterpart written as an
 * IPv4-mapped IPv6 address, RFC 4291 §2.5.5.2: ::ffff:127.x.y.z) and how a server address is
 * written in messages (`192.0.2.1:53`, `[2001:db8::1]:53`, RFC 3986 §3.2.2 brackets).
 * One definition, used by the resolver's trust-ad check, the DNS transport and the lab's
 * servers. Must never: call something loopback that is not an IP literal (a host name, a
 * malformed address such as 127.300.0.1, or an address with a zone index).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A server to talk to: an IP literal (IPv6 without brackets) and a port. */
export interface HostPort {
  readonly address: string;
  readonly port: number;
}

/** Bits of the IPv6 groups of ::ffff:0:0/96 (RFC 4291 §2.5.5.2, IPv4-mapped). */
const V4_MAPPED_GROUP = 0xffff;
/** The IPv4 loopback network's first octet (RFC 1122 §3.2.1.3: "{ 127, <any> }"). */
const V4_LOOPBACK_OCTET = 127;

/**
 * The eight 16-bit groups of an IPv6 literal (`::` expanded, a dotted IPv4 tail folded into the
 * last two groups), or undefined when `text` is not one (zone indexes are refused).
 */
function ipv6Groups(text: string): number[] | undefined {
  if (text.includes('%') || !isIPv6(text)) return undefined;
  let body = text.toLowerCase();
  const lastColon = body.lastIndexOf(':');
  const v4 = body.slice(lastColon + 1);
  if (v4.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    body = `${body.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = body.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(halves[0] ?? '');
  const right = parse(halves[1] ?? '');
  const missing = 8 - left.length - right.length;
  if (halves.length === 1) return missing === 0 ? left : undefined;
  return [...left, ...Array<number>(Math.max(0, missing)).fill(0), ...right];
}

/**
 * True for the loopback addresses: 127.0.0.0/8, ::1, and 127.0.0.0/8 written IPv4-mapped
 * (::ffff:127.0.0.1, ::ffff:7f00:1). False for anything else, including host names and
 * malformed literals.
 */
export function isLoopback(address: string): boolean {
  if (isIPv4(address)) return Number(address.split('.')[0]) === V4_LOOPBACK_OCTET;
  const g = ipv6Groups(address);
  if (g === undefined) return false;
  const zeroPrefix = g.slice(0, 5).every((x) => x === 0);
  if (zeroPrefix && g[5] === 0 && g[6] === 0 && g[7] === 1) return true;
  return zeroPrefix && g[5] === V4_MAPPED_GROUP && (g[6] ?? 0) >> 8 === V4_LOOPBACK_OCTET;
}

/** `192.0.2.1:53` or `[2001:db8::1]:53` (an IPv6 literal in brackets, RFC 3986 §3.2.2). */
export function formatServer(server: HostPort): string {
  return server.address.includes(':')
    ? `[${server.address}]:${server.port}`
    : `${server.address}:${server.port}`;
}
