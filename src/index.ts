/**
 * dane-mta's library API. Start with `createMta()`: one call gives an MTA whose `deliver`,
 * `lookupRcpt` and `resolve` follow RFC 7672 with DNSSEC validated in-process. Below it: the
 * validating resolver's factory and types, the transport profile, the result types of the CLI
 * contract, the DANE primitives, the diagnostics channels (typed payloads) and the error base
 * class. Internals of each layer stay behind their folders' index.ts.
 */

// The composition root.
export {
  createMta,
  createResolver,
  defaultProfile,
  MtaClosedError,
  MtaSetupError,
  type CallOptions,
  type DnsSettings,
  type Mta,
  type MtaOptions,
} from './mta/index.ts';

// Delivery: the profile, the envelope and what a delivery returns (DESIGN.md's CLI contract).
export {
  DEFAULT_DELIVERY_LIMITS,
  type AttemptRecord,
  type DaneStatus,
  type DeliveryLimits,
  type DeliveryOutcome,
  type DeliveryResult,
  type Envelope,
  type RecipientResult,
  type ReplyJson,
  type TlsLevel,
  type TransportProfile,
  type VerifyOutcome,
} from './delivery/index.ts';
export {
  INSECURE_MX_POLICIES,
  TLS_MODES,
  type EnhancedCode,
  type InsecureMxPolicy,
  type TlsMode,
} from './policy/index.ts';
export type { DsnRequest } from './smtp/protocol/index.ts';

// The validating resolver's answers.
export type { AliasLink, Answer, AnswerKind, Resolver, ResolverMode } from './dns/resolver/index.ts';

// DANE primitives: TLSA records from certificates and keys, usability, peer verification.
export {
  classifyTlsa,
  describeTlsaParams,
  formatTlsa,
  parseTlsa,
  SecureTlsa,
  tlsaFromCertificate,
  tlsaFromPublicKey,
  verifyDanePeer,
  type DaneVerdict,
  type TlsaRecord,
} from './dane/index.ts';
export { proven, Proven, requireProof, requireSecure, type Proof } from './dns/dnssec/index.ts';

// Observability: the channel names and their typed channels.
export {
  attemptChannel,
  daneVerdictChannel,
  deliveryLogChannel,
  type AttemptMessage,
  type DaneVerdictMessage,
  type DeliveryLogMessage,
} from './delivery/index.ts';
export { dnsAnswerChannel, type DnsAnswerMessage } from './dns/resolver/index.ts';
export {
  dnsDropChannel,
  dnsQueryChannel,
  type DnsDropEvent,
  type DnsQueryEvent,
} from './dns/transport/index.ts';
export { smtpCommandChannel, smtpReplyChannel, type SmtpChannelMessage } from './smtp/client/index.ts';
export { ChannelName, TypedChannel, MtaError } from './util/index.ts';

// The SMTP client underneath, for callers that drive SMTP themselves (facts, never decisions).
export {
  openSession,
  runTransaction,
  type MailTransaction,
  type Session,
  type SessionFacts,
  type SessionOptions,
  type TransactionFacts,
  type TransactionOptions,
  type TransactionResult,
} from './smtp/client/index.ts';
