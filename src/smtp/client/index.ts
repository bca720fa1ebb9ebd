/**
 * Public surface of smtp/client: `openSession` (a session carrying several transactions, RSET
 * between them), `runTransaction` (one SMTP transaction on a connection of its own, facts out),
 * the state table and timeouts, the connection for callers that need raw access, and the event
 * types.
 */
export { runTransaction } from './transaction.ts';
export { openSession, type Session } from './smtp-session.ts';
export type {
  MailTransaction,
  MessageFacts,
  PeerVerdict,
  RecipientSpec,
  SessionFacts,
  SessionOptions,
  SmtpEvent,
  StartTlsMode,
  TlsFacts,
  TransactionFacts,
  TransactionFailure,
  TransactionOptions,
  TransactionResult,
} from './types.ts';
export {
  SmtpConnection,
  formatAddress,
  type ConnectOptions,
  type PeerInfo,
  type StartTlsOptions,
  type TlsMinVersion,
  type TrustStore,
} from './connection.ts';
export {
  DEFAULT_TIMEOUTS,
  STATES,
  State,
  isSuccessIn,
  resolveTimeouts,
  uniformTimeouts,
  timeoutFor,
  type StateInfo,
  type Timeouts,
} from './session.ts';
export { smtpCommandChannel, smtpReplyChannel, type SmtpChannelMessage } from './events.ts';
export type { TicketWait } from './session-ticket.ts';
export { BODY_BLOCK_OCTETS } from './message.ts';
export type { Extensions, Reply, SmtpErrorCode } from '../protocol/index.ts';
