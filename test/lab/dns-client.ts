/**
 * Test support: a minimal DNS client over UDP and TCP (RFC 1035 §4.2, RFC 7766 framing) for the
 * authority's tests, plus raw-octet sending for malformed input. Only talks to loopback
 * addresses; every wait has a deadline. Test support only; never imported by runtime code.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import {
  decodeMessage,
  encodeMessage,
  makeQuery,
  Name,
  RRClass,
  type Message,
} from '../../src/dns/wire/index.ts';

/** Options of `ask`. */
export interface AskOptions {
  port: number;
  address?: string;
  tcp?: boolean;
  /** Send an OPT record (default true). */
  edns?: boolean;
  dnssecOk?: boolean;
  udpSize?: number;
  rd?: boolean;
  cd?: boolean;
  id?: number;
}

function assertLoopback(address: string): void {
  if (!(address === '::1' || address.startsWith('127.'))) throw new Error(`not loopback: ${address}`);
}

/** Send raw octets over UDP; resolves with the first datagram back, or undefined after `waitMs`. */
export function sendUdp(
  bytes: Uint8Array,
  to: { address?: string; port: number; waitMs?: number },
): Promise<Buffer | undefined> {
  const address = to.address ?? '127.0.0.1';
  assertLoopback(address);
  return new Promise((resolve) => {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    const done = (value: Buffer | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(value);
    };
    const timer = setTimeout(() => {
      done(undefined);
    }, to.waitMs ?? 2000);
    sock.on('error', () => {
      done(undefined);
    });
    sock.on('message', (msg) => {
      done(msg);
    });
    sock.send(bytes, to.port, address);
  });
}

/** Send framed messages over one TCP connection; resolves with `expect` framed responses. */
export function sendTcp(
  chunks: readonly Uint8Array[],
  to: { address?: string; port: number; expect: number; waitMs?: number },
): Promise<Buffer[]> {
  const address = to.address ?? '127.0.0.1';
  assertLoopback(address);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: address, port: to.port });
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP: ${out.length} of ${to.expect} responses before the deadline`));
    }, to.waitMs ?? 3000);
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= to.expect) {
        clearTimeout(timer);
        sock.destroy();
        resolve(out);
      }
    });
    sock.on('connect', () => {
      for (const c of chunks) sock.write(c);
    });
  });
}

/** Frame a message for TCP (two-octet length prefix). */
export function frame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 2);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

let nextId = 1;

/** The query message `ask` would send. */
export function queryFor(name: Name | string, type: number, opts: Omit<AskOptions, 'port'> = {}): Message {
  const qname = typeof name === 'string' ? Name.parse(name) : name;
  nextId = (nextId + 1) & 0xffff;
  return makeQuery(
    { name: qname, type, class: RRClass.IN },
    {
      id: opts.id ?? nextId,
      rd: opts.rd ?? false,
      cd: opts.cd ?? false,
      dnssecOk: opts.dnssecOk ?? true,
      udpSize: opts.udpSize ?? 1232,
      edns: opts.edns ?? true,
    },
  );
}

/** Ask one question and decode the response; rejects when none arrives in time. */
export async function ask(name: Name | string, type: number, opts: AskOptions): Promise<Message> {
  const query = encodeMessage(queryFor(name, type, opts));
  const to = { port: opts.port, ...(opts.address === undefined ? {} : { address: opts.address }) };
  if (opts.tcp === true) {
    const [res] = await sendTcp([frame(query)], { ...to, expect: 1 });
    if (res === undefined) throw new Error('no TCP response');
    return decodeMessage(new Uint8Array(res));
  }
  const res = await sendUdp(query, to);
  if (res === undefined) throw new Error(`no UDP response for ${name.toString()}`);
  return decodeMessage(new Uint8Array(res));
}
