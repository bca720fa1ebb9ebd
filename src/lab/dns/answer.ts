/**
 * How the lab's authoritative server answers one query (RFC 1034 §4.3.2 with RFC 4035 §3.1,
 * RFC 5155 §7.2, RFC 6672 §3.2, RFC 4592): picks the zone, then follows the algorithm — referral
 * at a zone cut, DNAME substitution, exact match, CNAME, wildcard, NODATA or NXDOMAIN — and adds
 * the DNSSEC records when DO is set. Also the header rules (RFC 1035 §4.1.1, RFC 6891 §6.1.1 EDNS,
 * RFC 4035 §3.1.6 CD) and the UDP size limit with truncation. Pure; never throws for bad input.
 */
import {
  decodeMessage,
  DEFAULT_FLAGS,
  encodeMessage,
  Opcode,
  Rcode,
  RRClass,
  RRType,
  type Message,
  type Name,
  type Question,
} from '../../dns/wire/index.ts';
import { answerName } from './answer-name.ts';
import { ResponseBuilder } from './answer-proofs.ts';
import type { ZoneIndex } from './zone-index.ts';

/** Largest UDP response the server sends (RFC 9715 / DNS Flag Day 2020: 1232). */
export const MAX_UDP_PAYLOAD = 1232;
/** RFC 1035 §4.2.1: "Messages carried by UDP are restricted to 512 bytes". */
const PLAIN_UDP_LIMIT = 512;
/** CNAME/DNAME links followed inside one response. */
const MAX_CHAIN = 12;

/** Query types the server does not implement (zone transfers, RFC 1035 §3.2.3 MAILB/MAILA). */
const NOT_IMPLEMENTED: ReadonlySet<number> = new Set([251, 252, 253, 254]);

/**
 * The served zone for a question: the deepest zone containing the name. RFC 4035 §3.1.4.1: a
 * DS query at a zone apex is answered from the parent side when the parent is served too.
 */
export function pickZone(
  zones: readonly ZoneIndex[],
  question: { name: Name; type: number },
): ZoneIndex | undefined {
  const { name: qname, type: qtype } = question;
  const containing = zones
    .filter((z) => qname.isSubdomainOf(z.origin))
    .sort((a, b) => b.origin.labelCount - a.origin.labelCount);
  const best = containing[0];
  if (qtype === RRType.DS && best !== undefined && best.origin.equals(qname) && !qname.isRoot) {
    return containing.find((z) => z.origin.labelCount < qname.labelCount) ?? best;
  }
  return best;
}

function reply(query: Message, rcode: number, questions: Question[]): Message {
  const msg: Message = {
    id: query.id,
    flags: { ...DEFAULT_FLAGS, qr: true, opcode: query.flags.opcode, rd: query.flags.rd, cd: query.flags.cd },
    rcode,
    questions,
    answers: [],
    authorities: [],
    additionals: [],
  };
  // RFC 6891 §7: "If an OPT record is present in a received request, compliant responders MUST
  // include an OPT record in their respective responses." RFC 3225 §3: the DO bit is copied.
  if (query.edns !== undefined) {
    msg.edns = { udpSize: MAX_UDP_PAYLOAD, version: 0, do: query.edns.do, options: [] };
  }
  return msg;
}

/** Follow the question through the served zones, CNAME and DNAME links included. */
function resolveInZones(b: ResponseBuilder, zones: readonly ZoneIndex[], question: Question): void {
  let zone = pickZone(zones, question);
  if (zone === undefined) {
    b.rcode = Rcode.REFUSED;
    return;
  }
  const seen = new Set<string>();
  let name: Name | undefined = question.name;
  for (let step = 0; name !== undefined && zone !== undefined && step < MAX_CHAIN; step++) {
    if (seen.has(name.key())) break;
    seen.add(name.key());
    name = answerName(b, zone, name, { qtype: question.type, first: step === 0 });
    if (name !== undefined) zone = pickZone(zones, { name, type: question.type });
  }
}

/**
 * The response to a decoded query, or undefined when it must be dropped (it is a response).
 * `zones` are the zones served on the address the query arrived at.
 */
export function answerQuery(query: Message, zones: readonly ZoneIndex[]): Message | undefined {
  if (query.flags.qr) return undefined;
  const question = query.questions[0];
  if (query.flags.opcode !== Opcode.QUERY) return reply(query, Rcode.NOTIMP, query.questions.slice(0, 1));
  if (query.questions.length !== 1 || question === undefined) return reply(query, Rcode.FORMERR, []);
  // RFC 6891 §6.1.3: a responder that does not implement the requested version "MUST respond
  // with RCODE=BADVERS".
  if (query.edns !== undefined && query.edns.version !== 0) return reply(query, Rcode.BADVERS, [question]);
  if (question.class !== RRClass.IN) return reply(query, Rcode.REFUSED, [question]);
  if (NOT_IMPLEMENTED.has(question.type)) return reply(query, Rcode.NOTIMP, [question]);
  const b = new ResponseBuilder(query.edns?.do === true);
  resolveInZones(b, zones, question);
  const msg = reply(query, b.rcode, [question]);
  msg.flags.aa = b.aa;
  msg.answers = b.sections.answer;
  msg.authorities = b.sections.authority;
  msg.additionals = b.sections.additional;
  return msg;
}

/** The UDP payload limit for a query: min(its EDNS size, 1232), at least 512; 512 without EDNS. */
export function udpLimit(query: Message): number {
  if (query.edns === undefined) return PLAIN_UDP_LIMIT;
  return Math.min(Math.max(query.edns.udpSize, PLAIN_UDP_LIMIT), MAX_UDP_PAYLOAD);
}

/**
 * Encode a response within `limit` octets. RFC 2181 §9: when the answer does not fit, the
 * server sets TC; here all record sections are dropped so the client retries over TCP.
 */
export function encodeResponse(response: Message, limit: number): Uint8Array {
  const full = encodeMessage(response);
  if (full.length <= limit) return full;
  return encodeMessage({
    ...response,
    flags: { ...response.flags, tc: true },
    answers: [],
    authorities: [],
    additionals: [],
  });
}

/** The outcome of handling one datagram or TCP message. */
export interface Handled {
  /** The decoded query, when it decoded. */
  query?: Message;
  /** The response (its RCODE is what the log records). */
  response?: Message;
  /** The octets to send back; absent when the input is dropped. */
  bytes?: Uint8Array;
}

/** RFC 1035 §4.1.1: FORMERR for a query that does not decode, when its header is readable. */
function formErr(bytes: Uint8Array): Handled {
  if (bytes.length < 12 || ((bytes[2] as number) & 0x80) !== 0) return {};
  const opcode = ((bytes[2] as number) >> 3) & 0xf;
  const response: Message = {
    id: ((bytes[0] as number) << 8) | (bytes[1] as number),
    flags: { ...DEFAULT_FLAGS, qr: true, opcode, rd: ((bytes[2] as number) & 1) !== 0 },
    rcode: Rcode.FORMERR,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  return { response, bytes: encodeMessage(response) };
}

/** Handle raw query octets from `transport`: decode, answer, encode (truncating over UDP). */
export function handleQueryBytes(
  bytes: Uint8Array,
  zones: readonly ZoneIndex[],
  opts: { transport: 'udp' | 'tcp' },
): Handled {
  let query: Message;
  try {
    query = decodeMessage(bytes);
  } catch {
    return formErr(bytes);
  }
  let response: Message | undefined;
  try {
    response = answerQuery(query, zones);
  } catch {
    // A name too long after DNAME substitution and similar corner cases end here.
    response = reply(query, Rcode.SERVFAIL, query.questions.slice(0, 1));
  }
  if (response === undefined) return { query };
  const limit = opts.transport === 'udp' ? udpLimit(query) : 0xffff;
  try {
    return { query, response, bytes: encodeResponse(response, limit) };
  } catch {
    const failed = reply(query, Rcode.SERVFAIL, query.questions.slice(0, 1));
    return { query, response: failed, bytes: encodeMessage(failed) };
  }
}
