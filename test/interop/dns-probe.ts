/**
 * A minimal DNS-over-UDP probe for the interop tests: builds one query (RFC 1035 §4.1, with an
 * optional EDNS0 OPT record carrying DO, RFC 6891 §6.1 / RFC 3225) and decodes only the header of
 * the answer. It is independent of src/dns on purpose, so the infrastructure does not depend on
 * the code under test. Must never query a non-loopback address.
 */
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { InteropError, InteropErrorCode } from './errors.ts';
import { sleep } from './process.ts';

const TYPES: Readonly<Record<string, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  ANY: 255,
};

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;

/** The decoded header of a DNS response. */
export interface DnsHeader {
  readonly id: number;
  readonly rcode: string;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

/** Options of {@link rawDnsQuery}. */
export interface RawQueryOptions {
  /** Query name (default "."). */
  readonly name?: string;
  /** Mnemonic (A, SOA, DNSKEY, …) or number (default SOA). */
  readonly type?: string | number;
  /** Set RD (default false: authoritative-style query). */
  readonly recursionDesired?: boolean;
  /** Add an EDNS0 OPT record with the DO bit (default false). */
  readonly dnssecOk?: boolean;
  /** Per-query timeout (default 2 s). */
  readonly timeoutMs?: number;
}

function encodeName(name: string): Buffer {
  const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > 63) {
      throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `bad DNS name: ${name}`);
    }
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function typeNumber(type: string | number): number {
  const n = typeof type === 'number' ? type : TYPES[type.toUpperCase()];
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `unknown DNS type: ${String(type)}`);
  }
  return n;
}

/** Encodes a query message (exported for the probe's own tests). */
export function encodeQuery(id: number, options: RawQueryOptions = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(options.recursionDesired === true ? 0x0100 : 0, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(options.dnssecOk === true ? 1 : 0, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(typeNumber(options.type ?? 'SOA'), 0);
  question.writeUInt16BE(1, 2);
  const parts = [header, encodeName(options.name ?? '.'), question];
  if (options.dnssecOk === true) {
    // OPT: root name, TYPE 41, CLASS = UDP size 1232, TTL = ext-rcode 0, version 0, DO bit.
    parts.push(Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]));
  }
  return Buffer.concat(parts);
}

/** Decodes the header of a response (exported for the probe's own tests). */
export function decodeHeader(packet: Buffer): DnsHeader {
  if (packet.length < 12) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `DNS response too short (${packet.length} octets)`);
  }
  const flags = packet.readUInt16BE(2);
  const rcode = flags & 0x0f;
  return {
    id: packet.readUInt16BE(0),
    rcode: RCODES[rcode] ?? `RCODE${rcode}`,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    qdcount: packet.readUInt16BE(4),
    ancount: packet.readUInt16BE(6),
    nscount: packet.readUInt16BE(8),
    arcount: packet.readUInt16BE(10),
  };
}

/**
 * Sends one UDP query to address:port and resolves with the response header; rejects with
 * INTEROP_ERR_TIMEOUT when no response with the query's ID arrives in time.
 */
export function rawDnsQuery(
  address: string,
  port: number,
  options: RawQueryOptions = {},
): Promise<DnsHeader> {
  if (!(address === '::1' || address.startsWith('127.'))) {
    return Promise.reject(
      new InteropError(InteropErrorCode.BAD_ARGUMENT, `not a loopback address: ${address}`),
    );
  }
  const id = randomInt(0x10000);
  const query = encodeQuery(id, options);
  const timeoutMs = options.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    const finish = (err: Error | undefined, header?: DnsHeader): void => {
      clearTimeout(timer);
      sock.close();
      if (header !== undefined) resolve(header);
      else reject(err ?? new Error('no answer'));
    };
    const timer = setTimeout(() => {
      finish(new InteropError(InteropErrorCode.TIMEOUT, `no DNS answer from ${address}:${port}`));
    }, timeoutMs);
    sock.on('error', (err) => {
      finish(err);
    });
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg.readUInt8(2) & 0x80) === 0) return;
      finish(undefined, decodeHeader(msg));
    });
    sock.send(query, port, address);
  });
}

/**
 * Resolves with the first response header once a DNS server answers on address:port (any
 * RCODE counts), polling until `timeoutMs` (default 15 s); INTEROP_ERR_TIMEOUT otherwise.
 */
export async function waitForUdpDns(
  address: string,
  port: number,
  options: RawQueryOptions & { readonly deadlineMs?: number } = {},
): Promise<DnsHeader> {
  const deadline = Date.now() + (options.deadlineMs ?? 15_000);
  for (;;) {
    try {
      return await rawDnsQuery(address, port, { ...options, timeoutMs: options.timeoutMs ?? 500 });
    } catch (err) {
      if (err instanceof InteropError && err.code === InteropErrorCode.BAD_ARGUMENT) throw err;
    }
    if (Date.now() > deadline) {
      throw new InteropError(InteropErrorCode.TIMEOUT, `no DNS server answers on ${address}:${port}`);
    }
    await sleep(100);
  }
}
