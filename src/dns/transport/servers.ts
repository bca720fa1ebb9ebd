/**
 * Which DNS servers to ask: operator specs (`--resolver ADDR[:PORT]`) and `/etc/resolv.conf`
 * (resolv.conf(5): `nameserver` lines, `options timeout:N attempts:N rotate use-vc`).
 * Addresses only — a resolver named by a host name would need a resolver to find it.
 * Must never: throw for a bad resolv.conf line (it is skipped with a warning); accept a host
 * name, a port outside 1–65535 or an IPv4 address with a zone index.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import { formatServer } from '../../util/index.ts';
import { DNS_PORT } from '../wire/index.ts';
import { TransportError } from './errors.ts';

/** One DNS server. IPv6 addresses are kept without brackets and may carry a zone (`fe80::1%eth0`). */
export interface ServerAddress {
  address: string;
  port: number;
}

/** resolv.conf(5): "Up to MAXNS (currently 3) name servers may be listed". */
export const MAX_RESOLV_CONF_SERVERS = 3;

/** resolv.conf(5): `options timeout:n` "is capped to 30" (seconds). */
const MAX_RESOLV_CONF_TIMEOUT_S = 30;
/** resolv.conf(5): `options attempts:n` "is capped to 5". */
const MAX_RESOLV_CONF_ATTEMPTS = 5;
/** The highest TCP/UDP port number. */
const MAX_PORT = 0xffff;

const ZONE = /^[A-Za-z0-9_.-]{1,64}$/;

function bad(spec: string, why: string): TransportError {
  return new TransportError('DNS_ERR_BAD_SERVER', `bad DNS server '${spec}': ${why}`, {
    details: { spec },
  });
}

function parsePort(spec: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw bad(spec, `port '${text}' is not a number`);
  const port = Number(text);
  if (port < 1 || port > MAX_PORT) throw bad(spec, `port ${port} is outside 1-${MAX_PORT}`);
  return port;
}

function checkIPv6(spec: string, text: string): string {
  const pct = text.indexOf('%');
  const bare = pct < 0 ? text : text.slice(0, pct);
  if (!isIPv6(bare)) throw bad(spec, `'${bare}' is not an IPv6 address`);
  if (pct >= 0 && !ZONE.test(text.slice(pct + 1))) throw bad(spec, 'bad zone index after %');
  return text;
}

/**
 * Parse `ADDR`, `ADDR:PORT`, `[v6]`, `[v6]:PORT` or a bare IPv6 address such as `::1`
 * (port 53 unless given). Throws `TransportError` `DNS_ERR_BAD_SERVER` with a one-line reason.
 */
export function parseServerSpec(spec: string, opts: { defaultPort?: number } = {}): ServerAddress {
  const text = spec.trim();
  const defaultPort = opts.defaultPort ?? DNS_PORT;
  if (text === '') throw bad(spec, 'empty');
  if (text.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (m === null) throw bad(spec, "expected '[IPv6]' or '[IPv6]:PORT'");
    const port = m[2] === undefined ? defaultPort : parsePort(spec, m[2]);
    return { address: checkIPv6(spec, m[1] ?? ''), port };
  }
  const colons = text.split(':').length - 1;
  if (colons > 1) return { address: checkIPv6(spec, text), port: defaultPort };
  const [host = '', portText] = text.split(':');
  if (!isIPv4(host)) {
    if (host.includes('%')) throw bad(spec, 'a zone index (%…) is allowed on IPv6 addresses only');
    const why = /[a-z]/i.test(host)
      ? 'not an IP address (name the server by address)'
      : 'not an IPv4 address';
    throw bad(spec, `'${host}' is ${why}`);
  }
  return { address: host, port: portText === undefined ? defaultPort : parsePort(spec, portText) };
}

/**
 * Why `server` cannot be used as it is (not an IP literal, port outside 1–65535), or undefined.
 * The sockets would otherwise look a host name up through the system resolver, or throw.
 */
export function serverProblem(server: ServerAddress): string | undefined {
  const [bare = '', zone] = server.address.split('%');
  const isIp = zone === undefined ? isIPv4(bare) || isIPv6(bare) : isIPv6(bare) && ZONE.test(zone);
  if (!isIp) return `'${server.address}' is not an IP address`;
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > MAX_PORT)
    return `port ${server.port} is outside 1-${MAX_PORT}`;
  return undefined;
}

/** 4 or 6 for the address family of a server (zone indexes allowed). */
export function addressFamily(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/**
 * A canonical form of an IP address for comparisons: lower case, IPv6 compressed, zone index
 * dropped (replies carry none). Returns the input lower-cased when it is not an address.
 */
export function normalizeAddress(address: string): string {
  const bare = address.split('%')[0] ?? address;
  if (!bare.includes(':')) return bare;
  try {
    return new SocketAddress({ address: bare, family: 'ipv6' }).address.toLowerCase();
  } catch {
    return bare.toLowerCase();
  }
}

/** What resolv.conf says, plus a warning for every line that was skipped. */
export interface ResolvConf {
  servers: ServerAddress[];
  /** `options timeout:N` in milliseconds (N capped at 30 s, as glibc does). */
  timeoutMs?: number;
  /** `options attempts:N` (capped at 5, as glibc does). */
  attempts?: number;
  /** `options rotate`. */
  rotate: boolean;
  /** `options use-vc`: always use TCP. */
  useTcp: boolean;
  warnings: string[];
}

function applyOption(conf: ResolvConf, opt: string, lineNo: number): void {
  const m = /^(timeout|attempts):(\d+)$/.exec(opt);
  if (m !== null) {
    const n = Number(m[2]);
    if (m[1] === 'timeout') conf.timeoutMs = Math.min(Math.max(n, 1), MAX_RESOLV_CONF_TIMEOUT_S) * 1000;
    else conf.attempts = Math.min(Math.max(n, 1), MAX_RESOLV_CONF_ATTEMPTS);
  } else if (opt === 'rotate') conf.rotate = true;
  else if (opt === 'use-vc' || opt === 'usevc') conf.useTcp = true;
  else if (/^(timeout|attempts):/.test(opt)) conf.warnings.push(`line ${lineNo}: bad option '${opt}'`);
  // Other options (ndots, edns0, trust-ad, …) do not concern this transport.
}

function addServer(conf: ResolvConf, value: string | undefined, lineNo: number): void {
  if (value === undefined) {
    conf.warnings.push(`line ${lineNo}: nameserver without an address`);
    return;
  }
  if (conf.servers.length >= MAX_RESOLV_CONF_SERVERS) {
    conf.warnings.push(
      `line ${lineNo}: more than ${MAX_RESOLV_CONF_SERVERS} nameservers, '${value}' ignored`,
    );
    return;
  }
  // A nameserver line holds an address only; brackets and ports are not resolv.conf syntax.
  if (!isIPv4(value) && !value.includes(':')) {
    conf.warnings.push(`line ${lineNo}: '${value}' is not an IP address`);
    return;
  }
  try {
    conf.servers.push(parseServerSpec(value.includes(':') ? `[${value}]` : value));
  } catch (e) {
    conf.warnings.push(`line ${lineNo}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Parse resolv.conf text. Never throws; unusable lines become `warnings`. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { servers: [], rotate: false, useTcp: false, warnings: [] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\s*[#;]/.test(line)) continue;
    const [keyword, ...args] = line.trim().split(/\s+/);
    if (keyword === 'nameserver') addServer(conf, args[0], i + 1);
    else if (keyword === 'options') for (const opt of args) applyOption(conf, opt, i + 1);
  }
  return conf;
}

/** The server used when resolv.conf names none (as the C library does): the local host. */
export const FALLBACK_SERVER: ServerAddress = { address: '127.0.0.1', port: DNS_PORT };

/**
 * Read and parse resolv.conf (default `/etc/resolv.conf`). A missing or unreadable file, or one
 * without a usable nameserver, yields `127.0.0.1:53` with a warning. Never throws.
 */
export function readResolvConf(
  opts: { path?: string; readFile?: (path: string) => string } = {},
): ResolvConf {
  const path = opts.path ?? '/etc/resolv.conf';
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let conf: ResolvConf;
  try {
    conf = parseResolvConf(read(path));
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    conf = { servers: [], rotate: false, useTcp: false, warnings: [`cannot read ${path}: ${why}`] };
  }
  if (conf.servers.length === 0) {
    conf.servers.push({ ...FALLBACK_SERVER });
    conf.warnings.push(`no usable nameserver in ${path}, using ${formatServer(FALLBACK_SERVER)}`);
  }
  return conf;
}
