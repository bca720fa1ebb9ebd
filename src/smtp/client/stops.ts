/**
 * How a session or a transaction stops early, as error values the session code throws to
 * itself and turns into `failure` facts: whether QUIT may still be sent (the connection is in a
 * known state) and whether another transaction may follow on the same session.
 * RFC 5321 §3.8 (421 closes the session at any time), §4.1.1.5 (RSET), §4.2 (replies).
 * Must never: escape to a caller (they become facts); decide what a stop means for a message.
 */
import { SmtpError, type Reply, type SmtpErrorCode } from '../protocol/index.ts';
import { STATES, type State } from './session.ts';

/** What a stop leaves behind. */
export interface StopOptions {
  reply?: Reply;
  /** The state the stop belongs to (default: the state the session is in). */
  state?: State;
  /** QUIT may still be sent: the server and the connection are fine (default true). */
  polite?: boolean;
  /** Another transaction may follow on this session (default: same as `polite`). */
  reusable?: boolean;
}

/** A stop with its reply, state and what it leaves of the session. */
export class SessionStop extends SmtpError {
  readonly reply: Reply | undefined;
  readonly state: State | undefined;
  readonly polite: boolean;
  readonly reusable: boolean;
  constructor(code: SmtpErrorCode, message: string, options: StopOptions = {}) {
    super(code, message);
    this.reply = options.reply;
    this.state = options.state;
    this.polite = options.polite ?? true;
    this.reusable = options.reusable ?? this.polite;
  }
}

/** A non-success reply in `state` (SMTP_ERR_REPLY, reply attached). */
export function rejected(state: State, reply: Reply, options: Omit<StopOptions, 'reply'> = {}): SessionStop {
  return new SessionStop('SMTP_ERR_REPLY', `${replyLine(reply)} (${STATES[state].description})`, {
    reply,
    ...options,
  });
}

/** The reply as one line: `550 5.1.1 text`. */
export function replyLine(reply: Reply): string {
  const enhanced = reply.enhanced === undefined ? '' : ` ${reply.enhanced}`;
  const text = reply.text === '' ? '' : ` ${reply.text}`;
  return `${reply.code}${enhanced}${text}`;
}

/*
 * RFC 5321 §3.8: a server closes the connection "After detecting the need to shut down the SMTP
 * service and returning a 421 response code. This response code can be issued after the server
 * receives any command or, if necessary, asynchronously from command receipt".
 */
export function checkClosing(state: State, reply: Reply): Reply {
  if (reply.code === 421) {
    throw new SessionStop(
      'SMTP_ERR_REPLY',
      `server is closing the session: ${reply.code} ${reply.text}`.trim(),
      { reply, state, polite: false },
    );
  }
  return reply;
}
