/**
 * The vocabulary of the lab's receiving MX servers: their options, what they record about each
 * connection, session and accepted message (envelope, Message-ID, TLS facts, times from the
 * injected clock), their counters, the switches a test flips at runtime (temporary failures of
 * RCPT or of the final dot, RFC 5321 §4.2.5 "451 Requested action aborted: local error in
 * processing"; host down) and their typed errors. Types and the error class only; no behaviour.
 */
import type { KeyObject } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import { MtaError } from '../../util/index.ts';
import type { Clock } from '../../util/index.ts';

/** Machine codes of errors thrown by receivers. */
export type LabReceiverErrorCode =
  | 'LAB_ERR_RECEIVER_ARGUMENT'
  | 'LAB_ERR_RECEIVER_LISTEN'
  /** `waitFor` gave up (timeout, abort, or the receiver closed). */
  | 'LAB_ERR_RECEIVER_WAIT';

/** A bad receiver option, a failure to listen, or a wait that gave up. */
export class LabReceiverError extends MtaError<LabReceiverErrorCode> {
  constructor(
    code: LabReceiverErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'LabReceiverError';
  }
}

/** A refusal: the reply code (4xx or 5xx) and text. */
export interface SmtpRejection {
  code: number;
  /**
   * Reply text. With `enhancedStatusCodes` on (the default) smtp-server prefixes an enhanced
   * code derived from `code` (550 → 5.1.1, 450 → 4.2.1, 451 → 4.3.0, 554 → 5.6.0 …); turn it
   * off to write your own enhanced code at the start of the text.
   */
  message: string;
}

/** Key and certificate chain (leaf first, PEM) a receiver presents. */
export interface ReceiverCredentials {
  key: KeyObject | string;
  certChainPem: string;
}

/** TLS settings of a receiver. */
export interface ReceiverTlsOptions extends ReceiverCredentials {
  /** Other credentials chosen by the SNI name the client sends (matched case-insensitively). */
  sni?: Record<string, ReceiverCredentials>;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
}

/** Options of `startReceiver`. */
export interface StartReceiverOptions {
  /** 127.x.y.z or ::1 — nothing else. */
  address: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Name in the 220 banner and the EHLO reply. */
  hostname: string;
  /** Without it no STARTTLS is offered. */
  tls?: ReceiverTlsOptions;
  /** false → STARTTLS is neither advertised nor accepted even when `tls` is set. */
  offerStartTls?: boolean;
  /** Refuse every session in the greeting (e.g. 554 or 421). */
  rejectConnection?: SmtpRejection;
  rejectSender?: (address: string) => SmtpRejection | undefined;
  rejectRecipients?: (address: string) => SmtpRejection | undefined;
  /** Decide on a complete message after the final dot. */
  rejectData?: (message: {
    from: string;
    to: readonly string[];
    data: Uint8Array;
  }) => SmtpRejection | undefined;
  /** SIZE limit in octets; bigger messages get 552. */
  maxSize?: number;
  /** Advertise SMTPUTF8 (default true). */
  smtputf8?: boolean;
  /** Advertise ENHANCEDSTATUSCODES and use them in replies (default true). */
  enhancedStatusCodes?: boolean;
  /** Idle timeout per session (default 30 s). */
  idleTimeoutMs?: number;
  /** Clock for the recorded times (default: the system clock). */
  clock?: Clock;
  /** Called for every accepted message. */
  onMessage?: (message: ReceivedMessage) => void;
  /** smtp-server is always silent; only `false` is accepted. */
  logger?: false;
}

/** TLS facts of a session or a message. */
export interface ReceivedTls {
  used: boolean;
  /** The client sent STARTTLS (RFC 3207). */
  startTls: boolean;
  protocol?: string;
  cipher?: string;
  /** SNI name the client sent (lower case), if any. */
  servername?: string;
}

/** One connection, as the receiver saw it. Fields are filled in while the session runs. */
export interface ReceivedSession {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Time of the connection (the injected clock, ms). */
  readonly startedAt: number;
  closedAt?: number;
  /** Name given in the last HELO/EHLO. */
  heloName?: string;
  /**
   * TLS facts. `servername` is set when the handshake completes, or — for a failed handshake —
   * when exactly one session was waiting in a handshake as the ClientHello arrived. A client
   * that rejects the certificate after a TLS 1.2 handshake shows as `used` with no further
   * commands; after TLS 1.3 it shows as not `used` with an `error`.
   */
  tls: ReceivedTls & {
    /** Why the TLS handshake failed, when it did. */
    error?: string;
  };
  /** Command lines as received (never message content; AUTH arguments masked). */
  readonly commands: string[];
  /** Reply lines as sent. */
  readonly replies: string[];
  /** Mail transactions begun: MAIL commands the receiver accepted. */
  transactions: number;
  /** Messages accepted (250 after the final dot) on this session. */
  messagesAccepted: number;
  /** RSET commands (RFC 5321 §4.1.1.5), e.g. between the messages of one connection. */
  resets: number;
  /** Last connection-level error (handshake failure, reset …). */
  error?: string;
}

/** A message the receiver accepted (250 after DATA). */
export interface ReceivedMessage {
  sessionId: string;
  /** Which transaction of its session this was (1 for the first MAIL command accepted). */
  transaction: number;
  queueId: string;
  from: string;
  to: string[];
  /** The Message-ID header's value (RFC 5322 §3.6.4), as sent; undefined without one. */
  messageId?: string;
  data: Uint8Array;
  smtputf8: boolean;
  tls: ReceivedTls;
  /** Time of the final dot (the injected clock, ms). */
  receivedAt: number;
}

/** Where a temporary failure is answered: to RCPT, or to the final dot of DATA. */
export type FailureStage = 'rcpt' | 'data';

/** Options of `Receiver.failTemporarily`. */
export interface TemporaryFailureOptions {
  /**
   * How many messages fail (for `rcpt`: every RCPT of that many transactions); then the switch
   * turns itself off. Default: until `stopFailing`.
   */
  count?: number;
  /** The reply (default 451, text `Requested action aborted: local error in processing`). */
  reply?: SmtpRejection;
}

/** A receiver's counters. */
export interface ReceiverStats {
  /** TCP connections: accepted in all, open now, and the most open at once. */
  readonly connections: { readonly total: number; readonly open: number; readonly peak: number };
  readonly sessions: number;
  readonly messages: number;
  /** Refusals given by `failTemporarily`: RCPT commands, and messages at the final dot. */
  readonly temporaryFailures: { readonly rcpt: number; readonly data: number };
}

/** Options of `Receiver.waitFor`. */
export interface WaitOptions {
  /** Give up after this long (default 10 s): a safety net, not a measurement. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A running receiving MX. */
export interface Receiver {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly messages: ReceivedMessage[];
  readonly sessions: ReceivedSession[];
  /** Every SNI name seen in a ClientHello, in order (also from failed handshakes). */
  readonly sniSeen: string[];
  /** The counters, now. */
  stats(): ReceiverStats;
  /**
   * Answer a temporary failure (default 451 4.3.0) to RCPT or to the final dot, for the next
   * `count` messages or until `stopFailing`. Replaces an earlier switch of the same stage.
   */
  failTemporarily(stage: FailureStage, opts?: TemporaryFailureOptions): void;
  /** Turn the temporary failures of `stage` (default: both) off. */
  stopFailing(stage?: FailureStage): void;
  /**
   * Host down: stop listening, so new connections are refused (ECONNREFUSED); sessions in
   * progress go on unless `dropConnections` cuts them at once.
   */
  down(opts?: { dropConnections?: boolean }): Promise<void>;
  /** Listen again on the same address and port. */
  up(): Promise<void>;
  /** True between `down` and `up`. */
  readonly isDown: boolean;
  /**
   * Resolves once `condition` holds, checked at every recorded event (connection, command,
   * reply, message, close) — never by polling. Rejects with LAB_ERR_RECEIVER_WAIT on timeout,
   * abort, or when the receiver closes first (after close() it looks once).
   */
  waitFor(condition: (receiver: Receiver) => boolean, opts?: WaitOptions): Promise<void>;
  /** Stop listening and drop every open connection at once. */
  close(): Promise<void>;
}
