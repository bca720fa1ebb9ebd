/**
 * What the hooks of one listener share: the listener's context (policy, limits, queue, clock),
 * per-session state, our refusal replies (with their own enhanced codes) and the
 * `mta:intake:rejected` events that go with them.
 * Must never: put a password or message content into an event.
 */
import type { BlockList } from 'node:net';
import type { SMTPServerSession } from 'smtp-server';
import type { LimitsConfig } from '../../config/index.ts';
import type { QueueStore } from '../../queue/index.ts';
import type { Clock, Random } from '../../util/index.ts';
import {
  publishRejected,
  type IntakeEvent,
  type IntakeRejected,
  type IntakeSessionFacts,
} from './channels.ts';
import { mailFlags, type MailFlags, type Refusal } from './envelope.ts';
import type { Users } from './users.ts';

/** What the hooks of one listener need. */
export interface ListenerContext {
  /** Bound address, `IP:port`. */
  name: string;
  mode: 'relay' | 'submission';
  /** relay: who may relay without AUTH. */
  networks: BlockList;
  users: Users | undefined;
  hostname: string;
  limits: LimitsConfig;
  queue: Pick<QueueStore, 'enqueue'>;
  newId: (now: number, random: Random) => string;
  clock: Clock;
  random: Random;
  onEvent: ((event: IntakeEvent) => void) | undefined;
  /** Per-session state, shared with the listener's close(). */
  sessions: Map<string, SessionState>;
  /** Stores in progress, awaited by close(). */
  inflight: Set<Promise<unknown>>;
}

export interface SessionState {
  /** In DATA or storing the message: close() lets it finish. */
  inData: boolean;
  /** The client has gone. */
  closed: boolean;
  authFailures: number;
  /** The checked reverse path of the current transaction. */
  from: string;
}

export type Done = (err?: Error | null) => void;

/** An error whose message carries our enhanced code (connection.ts sends it as is). */
export function replyError(r: Refusal): Error & { responseCode: number } {
  return Object.assign(new Error(`${r.enhanced} ${r.text}`), { responseCode: r.code });
}

export function facts(ctx: ListenerContext, session: SMTPServerSession): IntakeSessionFacts {
  // A session refused before it started (too many clients) has no address fields yet.
  const client: unknown = session.remoteAddress;
  const secure: unknown = session.secure;
  const f: IntakeSessionFacts = {
    client: typeof client === 'string' ? client : '',
    listener: ctx.name,
    tls: secure === true,
  };
  if (typeof session.user === 'string') f.user = session.user;
  return f;
}

/** The session's state; created in onConnect, so a missing one belongs to a client that left. */
export function state(ctx: ListenerContext, session: SMTPServerSession): SessionState {
  return ctx.sessions.get(session.id) ?? { inData: false, closed: true, authFailures: 0, from: '' };
}

export function rejected(
  ctx: ListenerContext,
  session: SMTPServerSession,
  stage: IntakeRejected['stage'],
  r: Refusal,
  extra: Partial<IntakeRejected> = {},
): Error {
  const event: IntakeRejected = {
    ...facts(ctx, session),
    stage,
    code: r.code,
    enhanced: r.enhanced,
    reason: r.text,
    ...extra,
  };
  if (stage !== 'mail' && stage !== 'auth') {
    event.from = state(ctx, session).from;
    event.recipients = session.envelope.rcptTo.map((a) => a.address);
  }
  publishRejected(event);
  ctx.onEvent?.({ type: 'rejected', ...event });
  return replyError(r);
}

/** The flags of the transaction's accepted MAIL command. */
export function flagsOf(session: SMTPServerSession): MailFlags {
  const mail = session.envelope.mailFrom;
  return mailFlags(mail === false ? false : mail.args);
}
