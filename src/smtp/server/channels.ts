/**
 * Intake events on node:diagnostics_channel (STYLE.md: core code publishes, obs/ subscribes;
 * nothing here imports a logger): one `mta:intake:accepted` per message acknowledged with 250
 * after it was stored, one `mta:intake:rejected` per transaction step we refused (MAIL, RCPT,
 * DATA, AUTH), one `mta:intake:disconnected` per client connection that ended. The same
 * payloads go to the `onEvent` callback of startIntake.
 * Must never: carry a password or message content.
 */
import { channel } from 'node:diagnostics_channel';

export const IntakeChannel = {
  /** `IntakeAccepted`: a message was stored and acknowledged. */
  ACCEPTED: 'mta:intake:accepted',
  /** `IntakeRejected`: a command or a message was refused. */
  REJECTED: 'mta:intake:rejected',
  /** `IntakeSessionFacts`: a client connection ended (whatever its state). */
  DISCONNECTED: 'mta:intake:disconnected',
} as const;

/** Facts of the session a transaction belongs to. */
export interface IntakeSessionFacts {
  /** Client IP address. */
  client: string;
  /** The listener, `IP:port` as bound (`[::1]:587` for IPv6). */
  listener: string;
  /** The session runs over TLS (STARTTLS done). */
  tls: boolean;
  /** Authenticated user (submission), if any. */
  user?: string;
}

export interface IntakeAccepted extends IntakeSessionFacts {
  /** Queue id. */
  id: string;
  /** Reverse path ('' for `<>`). */
  from: string;
  recipients: string[];
  /** Stored size in octets (our Received: header included). */
  size: number;
}

export interface IntakeRejected extends IntakeSessionFacts {
  /** Which step was refused. */
  stage: 'mail' | 'rcpt' | 'data' | 'auth';
  /** Reverse path, once MAIL was accepted. */
  from?: string;
  /** Recipients accepted so far (the refused one for stage rcpt is `recipient`). */
  recipients?: string[];
  /** The refused recipient (stage rcpt). */
  recipient?: string;
  /** Reply code and enhanced status code sent. */
  code: number;
  enhanced: string;
  /** The reply text (one line). */
  reason: string;
}

export type IntakeEvent =
  | ({ type: 'accepted' } & IntakeAccepted)
  | ({ type: 'rejected' } & IntakeRejected)
  | ({ type: 'disconnected' } & IntakeSessionFacts);

const accepted = channel(IntakeChannel.ACCEPTED);
const rejected = channel(IntakeChannel.REJECTED);
const disconnected = channel(IntakeChannel.DISCONNECTED);

export function publishAccepted(event: IntakeAccepted): void {
  if (accepted.hasSubscribers) accepted.publish(event);
}

export function publishRejected(event: IntakeRejected): void {
  if (rejected.hasSubscribers) rejected.publish(event);
}

export function publishDisconnected(event: IntakeSessionFacts): void {
  if (disconnected.hasSubscribers) disconnected.publish(event);
}
