/**
 * Reply acceptance (spoofing resistance, RFC 5452 §3 and §9.1): a reply is taken only when it
 * comes from the server's address and port, carries the query's ID, has QR set, the same
 * opcode, and the same question (name compared case-insensitively, type, class). Everything
 * else is dropped and counted by reason; the caller keeps waiting for the real reply.
 * Must never: throw on hostile bytes (a WireError becomes the drop reason `malformed`).
 */
import { decodeMessage, Rcode, WireError, type Message } from '../wire/index.ts';
import { normalizeAddress, type ServerAddress } from './servers.ts';

/** Why a datagram or TCP message was not accepted as the reply. */
export type DropReason = 'source' | 'id' | 'qr' | 'opcode' | 'question' | 'malformed';

/** Counters of dropped replies, one per reason. */
export type DropCounts = Record<DropReason, number>;

/** A zeroed counter set. */
export function emptyDropCounts(): DropCounts {
  return { source: 0, id: 0, qr: 0, opcode: 0, question: 0, malformed: 0 };
}

export type Acceptance =
  { accepted: true; message: Message } | { accepted: false; reason: DropReason; detail: string };

function drop(reason: DropReason, detail: string): Acceptance {
  return { accepted: false, reason, detail };
}

/*
 * RFC 5452 §3: "DNS data is accepted by a resolver if and only if: 1. The question section of
 * the reply packet is equivalent to that of a question packet currently waiting for a response.
 * 2. The ID field of the reply packet matches that of the question packet. 3. The response
 * comes from the same network address to which the question was sent. 4. The response comes in
 * on the same network address, including port number, from which the question was sent."
 * Point 4 holds by construction: every query has a socket of its own.
 */

/** Point 3 of RFC 5452 §3 (including the port): is `from` the server we asked? */
export function isFromServer(server: ServerAddress, from: { address: string; port: number }): boolean {
  return from.port === server.port && normalizeAddress(from.address) === normalizeAddress(server.address);
}

/** Error rcodes for which a server may legitimately omit the question section. */
const QUESTIONLESS_OK: ReadonlySet<number> = new Set([Rcode.FORMERR, Rcode.NOTIMP, Rcode.REFUSED]);

function sameQuestion(query: Message, reply: Message): boolean {
  const q = query.questions[0];
  const r = reply.questions[0];
  if (reply.questions.length === 0) return query.questions.length === 0 || QUESTIONLESS_OK.has(reply.rcode);
  if (q === undefined || r === undefined || reply.questions.length !== query.questions.length) return false;
  return r.type === q.type && r.class === q.class && r.name.equals(q.name);
}

/**
 * Decide whether `bytes` (already known to come from the right source) is the reply to `query`.
 * A reply without a question section is accepted only with FORMERR, NOTIMP or REFUSED, which
 * some servers send that way; it can at worst make us move on to the next server.
 */
export function checkReply(query: Message, bytes: Uint8Array): Acceptance {
  // The ID is checked before decoding so a flood of wrong-ID junk costs no parsing.
  if (bytes.length < 2) return drop('malformed', `${bytes.length}-octet datagram`);
  const id = ((bytes[0] as number) << 8) | (bytes[1] as number);
  if (id !== query.id) return drop('id', `ID ${id}, expected ${query.id}`);
  let reply: Message;
  try {
    reply = decodeMessage(bytes);
  } catch (e) {
    if (e instanceof WireError) return drop('malformed', e.message);
    throw e;
  }
  if (!reply.flags.qr) return drop('qr', 'QR bit clear (a query, not a response)');
  if (reply.flags.opcode !== query.flags.opcode)
    return drop('opcode', `opcode ${reply.flags.opcode}, expected ${query.flags.opcode}`);
  if (!sameQuestion(query, reply)) {
    const got = reply.questions.map((q) => `${q.name.toString()}/${q.type}/${q.class}`).join(', ');
    return drop('question', `question '${got}' does not match`);
  }
  return { accepted: true, message: reply };
}
