/**
 * Public surface of delivery: `deliver()`, `lookupRcpt()`, the per-domain engine, the transport
 * profile, the result types of DESIGN.md's CLI contract and the layer's diagnostics channels.
 */
export { deliver, groupByDomain, lookupRcpt, mergeResults, type Envelope } from './api.ts';
export {
  deliverJobs,
  deliverToDomain,
  type DeliverJobsOptions,
  type DeliverOptions,
  type DomainJob,
  type MoreJobs,
  type ResultFacts,
  type ResultListener,
} from './deliver.ts';
export { toALabels } from './names.ts';
export { formatHostPort, type OpenSession, type SmtpSession } from './connection.ts';
export {
  DEFAULT_DELIVERY_LIMITS,
  DEFAULT_MESSAGES_PER_CONNECTION,
  limitsOf,
  messagesPerConnectionOf,
  type DeliveryLimits,
  type TransportProfile,
} from './profile.ts';
export * from './types.ts';
export {
  attemptChannel,
  daneVerdictChannel,
  deliveryLogChannel,
  type AttemptMessage,
  type DaneVerdictMessage,
  type DeliveryLogMessage,
} from './channels.ts';
export {
  buildDsn,
  dsnMessage,
  dsnRecipients,
  headerSection,
  wantsDsn,
  DsnError,
  type BuiltDsn,
  type DsnInput,
  type DsnKind,
  type DsnOptions,
  type DsnOriginal,
  type DsnRecipient,
} from './dsn.ts';
