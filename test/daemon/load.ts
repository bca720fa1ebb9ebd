/**
 * Test support for scale-out load (issue #12): one-recipient messages with unique Message-IDs,
 * submitted over SMTP to several intakes at once (several messages per session; a refused or
 * broken session moves on to the next intake), and what landed at the lab's receivers — per
 * Message-ID (duplicates) and per sending address (which node delivered it). Test support only.
 */
import type { Internet } from '../../src/lab/index.ts';
import { openSession, uniformTimeouts, type Session } from '../../src/smtp/client/index.ts';

export interface Intake {
  address: string;
  port: number;
}

export interface LoadMessage {
  /** Message-ID header value, unique per message: how the receivers count it. */
  messageId: string;
  from: string;
  to: string;
  body: string;
}

/** `n` one-recipient messages, round-robin over `domains`, Message-IDs `<PREFIX-i@load.test>`. */
export function loadMessages(
  n: number,
  opts: { domains: readonly string[]; prefix: string; from?: string },
): LoadMessage[] {
  const from = opts.from ?? 'load@client.daemon.test';
  return Array.from({ length: n }, (_, i) => {
    const domain = opts.domains[i % opts.domains.length] ?? 'invalid';
    const to = `user${String(i)}@${domain}`;
    const messageId = `<${opts.prefix}-${String(i)}@load.test>`;
    const body = `Message-ID: ${messageId}\r\nFrom: ${from}\r\nTo: ${to}\r\nSubject: load ${String(i)}\r\n\r\nMessage ${String(i)} of the load.\r\n`;
    return { messageId, from, to, body };
  });
}

/**
 * What became of one submission: `accepted` (250, queue id), `refused` (a 4xx/5xx reply at any
 * stage, e.g. 451 4.3.0 while the store is down), or `unknown` (the session broke after the
 * message was sent, before the reply: it may or may not be queued, and is never resubmitted).
 */
export interface Submission {
  message: LoadMessage;
  outcome: 'accepted' | 'refused' | 'unknown';
  /** The intake that answered (`IP:port`). */
  target: string;
  /** Queue id (accepted). */
  id?: string;
  /** `CODE ENHANCED` of the refusal. */
  reply?: string;
}

export interface LoadOptions {
  /** Concurrent submitting sessions (default 6), spread over the intakes. */
  sessions?: number;
  /** Messages per session before it is closed and a new one opened (default 50). */
  perSession?: number;
}

/**
 * Submit `messages` over SMTP, `sessions` sessions at a time, session k starting at intake
 * k mod n. A session that cannot be opened, or breaks before the message was sent, moves on to
 * the next intake and the message goes there (after every intake failed, it is `unknown`).
 */
export async function submitLoad(
  intakes: () => readonly Intake[],
  messages: readonly LoadMessage[],
  opts: LoadOptions = {},
): Promise<Submission[]> {
  const out: Submission[] = [];
  let next = 0;
  const worker = async (k: number): Promise<void> => {
    let turn = k;
    let session: Session | undefined;
    let target = '';
    let sent = 0;
    for (;;) {
      const message = messages[next++];
      if (message === undefined) break;
      let done: Submission | undefined;
      for (let tries = 0; done === undefined && tries < intakes().length; tries++) {
        if (session === undefined || !session.usable || sent >= (opts.perSession ?? 50)) {
          await session?.close();
          const all = intakes();
          const intake = all[turn % all.length];
          if (intake === undefined) break;
          target = `${intake.address}:${String(intake.port)}`;
          session = await openSession({
            address: intake.address,
            port: intake.port,
            helo: 'client.daemon.test',
            starttls: 'never',
            timeouts: uniformTimeouts(30_000),
          });
          sent = 0;
        }
        done = await submitOn(session, message, target);
        sent++;
        if (done === undefined) {
          session.destroy();
          session = undefined;
          turn++;
        }
      }
      out.push(done ?? { message, outcome: 'unknown', target });
    }
    await session?.close();
  };
  await Promise.all(Array.from({ length: opts.sessions ?? 6 }, (_, k) => worker(k)));
  return out;
}

/** One message on an open session; undefined when it never reached the server's DATA stage. */
async function submitOn(session: Session, m: LoadMessage, target: string): Promise<Submission | undefined> {
  if (!session.usable) return undefined;
  const facts = await session.send({
    from: m.from,
    recipients: [{ address: m.to }],
    message: new TextEncoder().encode(m.body),
  });
  const refusal = [facts.mail, ...facts.recipients.map((r) => r.reply), facts.dataStart, facts.data].find(
    (r) => r !== undefined && r.code >= 400,
  );
  if (refusal !== undefined)
    return {
      message: m,
      outcome: 'refused',
      target,
      reply: `${String(refusal.code)} ${refusal.enhanced ?? ''}`,
    };
  const queued = /queued as ([0-9A-Z]{20})/.exec(facts.data?.text ?? '');
  if (queued !== null) return { message: m, outcome: 'accepted', target, id: queued[1] ?? '' };
  if (facts.dataStart === undefined) return undefined;
  return { message: m, outcome: 'unknown', target };
}

/** One message at a receiver: its Message-ID, the host, and the address it came from. */
export interface Landed {
  messageId: string;
  host: string;
  from: string;
}

/** Every message the lab's receivers accepted, with the remote address of its session. */
export function landed(net: Internet): Landed[] {
  const out: Landed[] = [];
  for (const [host, rx] of net.receivers) {
    const sessions = new Map(rx.sessions.map((s) => [s.id, s.remoteAddress.replace(/^::ffff:/, '')]));
    for (const m of rx.messages)
      out.push({ messageId: m.messageId ?? '', host, from: sessions.get(m.sessionId) ?? '' });
  }
  return out;
}

/** Messages accepted by the receivers so far (cheap: counters only). */
export function landedCount(net: Internet): number {
  let n = 0;
  for (const rx of net.receivers.values()) n += rx.stats().messages;
  return n;
}

/** How often each Message-ID landed. */
export function copies(all: readonly Landed[]): Map<string, Landed[]> {
  const by = new Map<string, Landed[]>();
  for (const l of all) by.set(l.messageId, [...(by.get(l.messageId) ?? []), l]);
  return by;
}
