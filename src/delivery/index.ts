/**
 * Public surface of delivery: `deliver()`, `lookupRcpt()`, the per-domain engine and the result
 * types of DESIGN.md's CLI contract.
 */
export { deliver, groupByDomain, lookupRcpt, mergeResults, type Envelope } from './api.ts';
export { deliverToDomain, type DeliverOptions, type DomainJob } from './deliver.ts';
export { toALabels } from './names.ts';
export type { Transact } from './attempt.ts';
export * from './types.ts';
export { DeliveryChannel } from './channels.ts';
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
