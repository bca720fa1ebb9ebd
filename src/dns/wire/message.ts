/**
 * DNS messages (RFC 1035 §4.1): header, question, answer, authority and additional sections,
 * with EDNS(0) (RFC 6891: payload size, DO bit, extended RCODE, options) and Extended DNS Errors
 * (RFC 8914) lifted out of the OPT record. Decoding is bounded and strict (trailing octets are an
 * error); encoding compresses names. Pure; no I/O.
 */
import { WireError } from './errors.ts';
import type { Name } from './name.ts';
import type { EdnsOptionData, OptRdata } from './rdata/opt.ts';
import { Reader } from './reader.ts';
import { readRr, writeRr, type Rr } from './record.ts';
import { EdnsOption, RRType } from './types.ts';
import { Writer } from './writer.ts';

export interface Question {
  name: Name;
  type: number;
  class: number;
}

export interface Flags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: boolean;
  ad: boolean;
  cd: boolean;
}

/** An Extended DNS Error (RFC 8914 §2). */
export interface ExtendedError {
  infoCode: number;
  text: string;
}

export interface Edns {
  /** Requestor's UDP payload size (RFC 6891 §6.2.3). */
  udpSize: number;
  version: number;
  /** DNSSEC OK (RFC 3225). */
  do: boolean;
  options: EdnsOptionData[];
}

export interface Message {
  id: number;
  flags: Flags;
  /** Full RCODE: the header's 4 bits plus the OPT record's upper 8 bits. */
  rcode: number;
  questions: Question[];
  answers: Rr[];
  authorities: Rr[];
  /** Additional records without the OPT pseudo-record. */
  additionals: Rr[];
  edns?: Edns;
}

export const DEFAULT_FLAGS: Flags = {
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  z: false,
  ad: false,
  cd: false,
};

function decodeFlags(v: number): { flags: Flags; rcode: number } {
  return {
    flags: {
      qr: (v & 0x8000) !== 0,
      opcode: (v >> 11) & 0xf,
      aa: (v & 0x0400) !== 0,
      tc: (v & 0x0200) !== 0,
      rd: (v & 0x0100) !== 0,
      ra: (v & 0x0080) !== 0,
      z: (v & 0x0040) !== 0,
      ad: (v & 0x0020) !== 0,
      cd: (v & 0x0010) !== 0,
    },
    rcode: v & 0xf,
  };
}

function encodeFlags(f: Flags, rcode: number): number {
  return (
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.z ? 0x0040 : 0) |
    (f.ad ? 0x0020 : 0) |
    (f.cd ? 0x0010 : 0) |
    (rcode & 0xf)
  );
}

/** Decode a whole message; any malformation is a WireError with its offset. */
export function decodeMessage(bytes: Uint8Array): Message {
  // RFC 1035 §4.2.2: "The message is prefixed with a two byte length field which gives the
  // message length" — so no DNS message is longer than 65535 octets.
  if (bytes.length > 0xffff) {
    throw new WireError('DNS_ERR_TOO_BIG', `message of ${bytes.length} octets (limit 65535)`, 0xffff);
  }
  const r = new Reader(bytes);
  const id = r.u16('message ID');
  const { flags, rcode: low } = decodeFlags(r.u16('flags'));
  const counts = [r.u16('QDCOUNT'), r.u16('ANCOUNT'), r.u16('NSCOUNT'), r.u16('ARCOUNT')] as const;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    questions.push({ name: r.name('question name'), type: r.u16('QTYPE'), class: r.u16('QCLASS') });
  }
  const sections: Rr[][] = [[], [], []];
  for (let s = 0; s < 2; s++) {
    for (let i = 0; i < (counts[s + 1] as number); i++) (sections[s] as Rr[]).push(readRr(r));
  }
  const opt = readAdditional(r, counts[3], sections[2] as Rr[]);
  if (r.remaining !== 0)
    throw new WireError('DNS_ERR_TRAILING', `${r.remaining} octets after the last record`, r.offset);
  const [answers, authorities, additionals] = sections as [Rr[], Rr[], Rr[]];
  const msg: Message = { id, flags, rcode: low, questions, answers, authorities, additionals };
  if (opt !== undefined) {
    msg.rcode = ((opt.ttl >>> 24) << 4) | low;
    msg.edns = {
      udpSize: opt.class,
      version: (opt.ttl >>> 16) & 0xff,
      do: (opt.ttl & 0x8000) !== 0,
      options: (opt.data as OptRdata).options,
    };
  }
  return msg;
}

/**
 * Read the additional section into `out`, lifting out the OPT pseudo-record (RFC 6891 §6.1.1:
 * "If a query message with more than one OPT RR is received, a FORMERR (RCODE=1) MUST be
 * returned"; its owner "MUST be 0 (root domain)"). Errors carry the offending record's offset.
 */
function readAdditional(r: Reader, count: number, out: Rr[]): Rr | undefined {
  let opt: Rr | undefined;
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const rr = readRr(r);
    if (rr.type !== RRType.OPT) {
      out.push(rr);
      continue;
    }
    if (opt !== undefined) throw new WireError('DNS_ERR_BAD_RDATA', 'more than one OPT record', at);
    if (!rr.name.isRoot) throw new WireError('DNS_ERR_BAD_RDATA', 'OPT record owner is not the root', at);
    opt = rr;
  }
  return opt;
}

/** Encode a message with name compression. */
export function encodeMessage(msg: Message, opts: { compress?: boolean } = {}): Uint8Array {
  const compress = opts.compress ?? true;
  const w = new Writer(512);
  w.u16(msg.id);
  w.u16(encodeFlags(msg.flags, msg.rcode & 0xf));
  const extra = msg.edns === undefined ? 0 : 1;
  w.u16(msg.questions.length);
  w.u16(msg.answers.length);
  w.u16(msg.authorities.length);
  w.u16(msg.additionals.length + extra);
  for (const q of msg.questions) {
    w.name(q.name, { compress });
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...msg.answers, ...msg.authorities, ...msg.additionals]) writeRr(w, rr, { compress });
  if (msg.edns !== undefined) writeOpt(w, msg.edns, msg.rcode);
  return w.finish();
}

function writeOpt(w: Writer, e: Edns, rcode: number): void {
  w.u8(0);
  w.u16(RRType.OPT);
  w.u16(e.udpSize);
  w.u32((((rcode >> 4) & 0xff) << 24) | ((e.version & 0xff) << 16) | (e.do ? 0x8000 : 0));
  let len = 0;
  for (const o of e.options) len += 4 + o.data.length;
  w.u16(len);
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

/** The Extended DNS Errors carried in a message's OPT record (RFC 8914 §2). */
export function extendedErrors(msg: Message): ExtendedError[] {
  const out: ExtendedError[] = [];
  for (const o of msg.edns?.options ?? []) {
    if (o.code !== EdnsOption.EDE || o.data.length < 2) continue;
    const infoCode = ((o.data[0] as number) << 8) | (o.data[1] as number);
    out.push({ infoCode, text: new TextDecoder('utf-8', { fatal: false }).decode(o.data.subarray(2)) });
  }
  return out;
}

/** An EDE option (RFC 8914 §2) to put into `edns.options`. */
export function edeOption(infoCode: number, text = ''): EdnsOptionData {
  const body = new TextEncoder().encode(text);
  const data = new Uint8Array(2 + body.length);
  data[0] = infoCode >> 8;
  data[1] = infoCode & 0xff;
  data.set(body, 2);
  return { code: EdnsOption.EDE, data };
}

/** A query message: one question, RD as given, EDNS with DO (and CD) as given. */
export function makeQuery(
  question: Question,
  opts: { id: number; rd?: boolean; cd?: boolean; dnssecOk?: boolean; udpSize?: number; edns?: boolean },
): Message {
  const useEdns = opts.edns ?? true;
  return {
    id: opts.id,
    flags: { ...DEFAULT_FLAGS, rd: opts.rd ?? true, cd: opts.cd ?? false },
    rcode: 0,
    questions: [question],
    answers: [],
    authorities: [],
    additionals: [],
    ...(useEdns
      ? { edns: { udpSize: opts.udpSize ?? 1232, version: 0, do: opts.dnssecOk ?? true, options: [] } }
      : {}),
  };
}
