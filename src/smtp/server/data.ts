/**
 * DATA at intake: the message is read (bounded by message_size), scanned as it arrives and
 * judged when complete — size (RFC 1870), bare line ends and line length (RFC 5321 §2.3.8,
 * §4.5.3.1.6), 8-bit data without BODY=8BITMIME (RFC 6152 §3), loops (Received: count,
 * RFC 5321 §6.3) — then stored with our Received: field (and, for submissions, Date and
 * Message-ID, RFC 6409 §8). The reply is `250 2.0.0 Ok: queued as ID` only after
 * `queue.enqueue` resolved (durable), 451 4.3.0 when it failed.
 * Must never: acknowledge a message the store did not take; store one whose client left.
 */
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { NewMessage, NewRecipient, NotifyKeyword } from '../../queue/index.ts';
import { describeError } from '../../util/index.ts';
import { formatMessageDate } from '../protocol/index.ts';
import { publishAccepted } from './channels.ts';
import { facts, flagsOf, rejected, state, type ListenerContext, type SessionState } from './context.ts';
import { checkAddress, isRefusal, type Refusal } from './envelope.ts';
import { DataScanner, finalMessage, receivedHeader, scanHeader } from './message.ts';

function toRecipient(a: SMTPServerAddress, smtputf8: boolean): NewRecipient | undefined {
  const checked = checkAddress(a.address, { smtputf8, role: 'recipient' });
  if (isRefusal(checked)) return undefined;
  const r: NewRecipient = { address: checked.address, domain: checked.domain };
  if (a.dsn?.notify !== undefined) r.notify = a.dsn.notify as NotifyKeyword[];
  if (a.dsn?.orcpt !== undefined) r.orcpt = a.dsn.orcpt;
  return r;
}

/** The refusal for a complete DATA, or undefined when it may be stored. */
function dataRefusal(
  ctx: ListenerContext,
  session: SMTPServerSession,
  size: number,
  scan: DataScanner,
  received: number,
): Refusal | undefined {
  if (size > ctx.limits.message_size)
    return { code: 552, enhanced: '5.3.4', text: `Message larger than ${ctx.limits.message_size} octets` };
  if (scan.bareLineEnd)
    return {
      code: 554,
      enhanced: '5.6.0',
      text: 'Bare CR or LF in message data; lines must end in CRLF (RFC 5321 §2.3.8)',
    };
  if (scan.longLine)
    return {
      code: 554,
      enhanced: '5.6.0',
      text: 'Message has a line longer than 998 octets (RFC 5321 §4.5.3.1.6)',
    };
  const flags = flagsOf(session);
  // RFC 6152 §3: a client "MUST NOT" send 8-bit data without BODY=8BITMIME (SMTPUTF8 implies it).
  if (scan.eightBit && !flags.eightBitMime && !flags.smtputf8)
    return {
      code: 554,
      enhanced: '5.6.1',
      text: '8-bit data without BODY=8BITMIME (RFC 6152); send it with BODY=8BITMIME',
    };
  if (received > ctx.limits.received_headers)
    return { code: 554, enhanced: '5.4.6', text: `Too many Received: headers (${received}): mail loop` };
  return undefined;
}

/** Build the message to store from the complete DATA. */
function newMessage(
  ctx: ListenerContext,
  session: SMTPServerSession,
  data: Uint8Array,
  id: string,
  now: number,
): NewMessage {
  const env = session.envelope;
  const flags = flagsOf(session);
  const smtputf8 = flags.smtputf8;
  const recipients = env.rcptTo
    .map((a) => toRecipient(a, smtputf8))
    .filter((r): r is NewRecipient => r !== undefined);
  const header = scanHeader(data);
  const cipher = session.tlsOptions === false ? undefined : session.tlsOptions;
  const received = receivedHeader({
    helo: session.hostNameAppearsAs || '?',
    client: session.remoteAddress,
    esmtp: session.openingCommand !== 'HELO',
    ...(cipher === undefined ? {} : { tls: { protocol: cipher.version, cipher: cipher.name } }),
    authenticated: typeof session.user === 'string',
    smtputf8,
    hostname: ctx.hostname,
    id,
    ...(recipients.length === 1 && recipients[0] !== undefined ? { for: recipients[0].address } : {}),
    now,
  });
  const add =
    ctx.mode === 'submission'
      ? {
          ...(header.hasDate ? {} : { date: formatMessageDate(now) }),
          ...(header.hasMessageId ? {} : { messageId: `<${id}@${ctx.hostname}>` }),
        }
      : {};
  const msg: NewMessage = {
    id,
    from: state(ctx, session).from,
    received: now,
    body: finalMessage(data, { received, header, add }),
    smtputf8,
    eightBitMime: flags.eightBitMime,
    requireTls: flags.requireTls,
    origin: { address: session.remoteAddress, helo: session.hostNameAppearsAs, listener: ctx.name },
    kind: 'normal',
    recipients,
  };
  if (typeof session.user === 'string' && msg.origin !== undefined) msg.origin.user = session.user;
  if (flags.envid !== undefined) msg.envid = flags.envid;
  if (flags.ret !== undefined) msg.ret = flags.ret;
  return msg;
}

/** Decide on a complete message: refuse, or store and acknowledge. */
async function finish(
  ctx: ListenerContext,
  session: SMTPServerSession,
  input: { data: Uint8Array; size: number; scan: DataScanner; st: SessionState },
  reply: (err: Error | null, message?: string) => void,
): Promise<void> {
  const st = input.st;
  const refusal = dataRefusal(ctx, session, input.size, input.scan, scanHeader(input.data).received);
  if (refusal !== undefined) {
    reply(rejected(ctx, session, 'data', refusal));
    return;
  }
  // The client left after its final dot: it never sees our 250, so nothing is stored.
  if (st.closed) return;
  const now = ctx.clock.now();
  const id = ctx.newId(now, ctx.random);
  const msg = newMessage(ctx, session, input.data, id, now);
  const store = ctx.queue.enqueue(msg);
  ctx.inflight.add(store);
  try {
    await store;
  } catch (e) {
    const r = {
      code: 451,
      enhanced: '4.3.0',
      text: `Requested action aborted: cannot store the message (${describeError(e)})`,
    };
    reply(rejected(ctx, session, 'data', r));
    return;
  } finally {
    ctx.inflight.delete(store);
  }
  const event = {
    ...facts(ctx, session),
    id,
    from: msg.from,
    recipients: msg.recipients.map((r) => r.address),
    size: msg.body.length,
  };
  publishAccepted(event);
  ctx.onEvent?.({ type: 'accepted', ...event });
  reply(null, `2.0.0 Ok: queued as ${id}`);
}

export function onData(
  ctx: ListenerContext,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  reply: (err?: Error | null, message?: string) => void,
): void {
  const st = state(ctx, session);
  st.inData = true;
  const chunks: Buffer[] = [];
  const scan = new DataScanner();
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    scan.push(chunk);
    size += chunk.length;
    if (size <= ctx.limits.message_size) chunks.push(chunk);
  });
  // A client that disconnects mid-DATA destroys the stream: no 'end', nothing stored.
  stream.on('error', () => {
    st.inData = false;
  });
  stream.on('end', () => {
    const data = new Uint8Array(Buffer.concat(chunks));
    void finish(ctx, session, { data, size: Math.max(size, stream.byteLength), scan, st }, (err, message) => {
      st.inData = false;
      reply(err, message);
    });
  });
}
