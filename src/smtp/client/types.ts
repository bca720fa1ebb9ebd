/**
 * The data types of the SMTP client: what a caller asks for (`SessionOptions` and
 * `MailTransaction`, together `TransactionOptions`), what it gets back (`SessionFacts`,
 * `TransactionFacts`, together `TransactionResult`; facts only), the peer verdict a caller's
 * verifyPeer returns, and the structured transcript events.
 * RFC 5321 (session), RFC 3207 (STARTTLS), RFC 3461 (DSN parameters), RFC 6531 (SMTPUTF8).
 * Must never: encode policy (defer / bounce / next MX) — results are facts.
 */
import type { Extensions, Reply, SmtpErrorCode } from '../protocol/index.ts';
import type { PeerInfo, TlsMinVersion, TrustStore } from './connection.ts';
import type { TicketWait } from './session-ticket.ts';
import type { State, Timeouts } from './session.ts';

/** What the caller's verifyPeer says about the TLS peer. `ok: false` stops the session. */
export interface PeerVerdict {
  ok: boolean;
  /** One-line reason, shown in the failure message when `ok` is false. */
  reason?: string;
  /** Anything the caller wants to keep with the result (matched TLSA record, depth, …). */
  details?: Readonly<Record<string, unknown>>;
}

/** STARTTLS behaviour: never, when the server offers it, or mandatory. */
export type StartTlsMode = 'never' | 'if-offered' | 'required';

/** One envelope recipient. */
export interface RecipientSpec {
  address: string;
  /** RFC 3461 parameters (NOTIFY=…, ORCPT=…); sent only when the server offers DSN. */
  params?: string[];
}

/** How a session connects and secures itself: everything but the envelope and the message. */
export interface SessionOptions {
  /** IPv4 or IPv6 address to connect to (never a host name: DNS is the caller's). */
  address: string;
  port: number;
  localAddress?: string;
  /** EHLO name; HELO is used when EHLO gets a 5xx reply. */
  helo: string;
  starttls: StartTlsMode;
  /** SNI name (not sent when it is an IP literal). */
  servername?: string;
  /** Reference name for Node's PKIX host-name check (default: servername, else address). */
  verifyHostname?: string;
  minTlsVersion?: TlsMinVersion;
  /** Extra PKIX roots (PEM) for Node's own check, added to its built-in roots. */
  ca?: string[];
  /**
   * The roots of Node's own PKIX check: 'system' (default) its built-in roots plus `ca`;
   * 'none' no roots at all (`ca` unused), so the chain verifyPeer sees is exactly the chain the
   * server sent — what DANE needs (RFC 7671 §5.2.2: the trust anchor must be in that chain).
   */
  trustStore?: TrustStore;
  /**
   * TLS 1.3: before the EHLO after STARTTLS, wait about one round trip for the server's session
   * ticket, so EHLO carries its ACK and a server using Nagle's algorithm (Postfix) does not hold
   * its reply for the client's delayed ACK (default true; see session-ticket.ts).
   */
  awaitSessionTicket?: boolean;
  /** Judge the TLS peer; `{ ok: false }` → QUIT and stop. A throw counts as `ok: false`. */
  verifyPeer?: (peer: PeerInfo) => PeerVerdict | Promise<PeerVerdict>;
  timeouts?: Partial<Timeouts>;
  /** Transcript events; a throwing handler is ignored. */
  onEvent?: (event: SmtpEvent) => void;
  signal?: AbortSignal;
}

/** One mail transaction on a session: the envelope and (optionally) the message. */
export interface MailTransaction {
  /** Reverse path; '' for the null reverse path `<>`. */
  from: string;
  /** RFC 3461 MAIL parameters (RET=…, ENVID=…); sent only when the server offers DSN. */
  mailParams?: string[];
  recipients: RecipientSpec[];
  /** The message. Absent → recipient verification: MAIL and RCPT, never DATA. */
  message?: Uint8Array | AsyncIterable<Uint8Array>;
  /** Require SMTPUTF8 even for ASCII addresses (e.g. a message/global body). */
  smtputf8?: boolean;
}

/**
 * The options of `runTransaction`: a session and its one transaction. Without a message it is
 * recipient verification: MAIL, RCPT, RSET, QUIT.
 */
export interface TransactionOptions extends SessionOptions, MailTransaction {}

/** Why a transaction stopped before its natural end. */
export interface TransactionFailure {
  code: SmtpErrorCode;
  /** One line for operators. */
  message: string;
  /** The state the session was in. */
  state: State;
  /** The server reply that stopped it (SMTP_ERR_REPLY, SMTP_ERR_STARTTLS_REFUSED). */
  reply?: Reply;
}

/** What happened with TLS. */
export interface TlsFacts {
  used: boolean;
  protocol?: string;
  cipher?: string;
  peer?: PeerInfo;
  verdict?: PeerVerdict;
}

/** Facts about the message that was (to be) sent. */
export interface MessageFacts {
  /** RFC 1870 size. */
  size: number;
  eightBit: boolean;
}

/** What a session found out while it was opened and closed, as facts. */
export interface SessionFacts {
  address: string;
  port: number;
  /** True once the TCP connection was established. */
  connected: boolean;
  greeting?: Reply;
  /** The last EHLO (or HELO) reply. */
  hello?: Reply;
  /** True when EHLO was refused and HELO used. */
  usedHelo: boolean;
  /** The extensions in force (after STARTTLS: those of the fresh EHLO). */
  extensions: Extensions;
  /** Whether the plaintext EHLO offered STARTTLS. */
  starttlsOffered: boolean;
  tls: TlsFacts;
  /** The reply to QUIT, once `close()` got one. */
  quit?: Reply;
  /** Why the session could not be opened (no transaction can be sent then). */
  failure?: TransactionFailure;
}

/** What one transaction on a session found out, as facts. */
export interface TransactionFacts {
  /** Reply to the RSET that preceded this transaction (every one after the first). */
  rset?: Reply;
  /** MAIL parameters actually sent. */
  mailParams: string[];
  mail?: Reply;
  recipients: { address: string; reply?: Reply }[];
  /** Reply to the DATA command itself (354 on success). */
  dataStart?: Reply;
  /** The final reply after the dot. */
  data?: Reply;
  message?: MessageFacts;
  failure?: TransactionFailure;
}

/** Everything a one-transaction session (`runTransaction`) found out, as facts. */
export interface TransactionResult extends SessionFacts, Omit<TransactionFacts, 'rset'> {}

/** Structured transcript events (also published on node:diagnostics_channel). */
export type SmtpEvent =
  | { type: 'connect'; address: string; port: number }
  | { type: 'reply'; state: State; reply: Reply }
  | { type: 'command'; state: State; line: string }
  | { type: 'body'; octets: number }
  | {
      type: 'tls';
      protocol: string;
      cipher: string;
      servername?: string;
      /** TLS 1.3: whether the server's session ticket came before the first command (session-ticket.ts). */
      sessionTicket: TicketWait;
    }
  | { type: 'verdict'; verdict: PeerVerdict }
  | { type: 'error'; code: SmtpErrorCode; message: string; state: State };
