/**
 * dane-mta's library API: delivery and recipient verification by RFC 7672, the validating
 * resolver, the DANE primitives and the SMTP client. Each folder's index.ts is its public surface.
 */
export {
  deliver,
  lookupRcpt,
  type DeliverOptions,
  type DeliveryResult,
  type Envelope,
} from './delivery/index.ts';
export {
  classifyTlsa,
  formatTlsa,
  lookupHost,
  lookupMx,
  lookupTlsa,
  parseTlsa,
  SecureTlsa,
  tlsaFromCertificate,
  tlsaFromPublicKey,
  verifyDanePeer,
  type TlsaRecord,
} from './dane/index.ts';
export { proven, Proven, requireProof, requireSecure, type Proof } from './dns/dnssec/index.ts';
export {
  ForwardingUpstream,
  IterativeUpstream,
  Resolver,
  TrustAnchors,
  type Answer,
  type ResolverMode,
} from './dns/resolver/index.ts';
export { createExchange, query as dnsQuery } from './dns/transport/index.ts';
export { Name, parseZone, formatRr, RRType } from './dns/wire/index.ts';
export { decideHostPolicy, TLS_MODES, type TlsMode, type InsecureMxPolicy } from './policy/index.ts';
export { runTransaction, type TransactionOptions, type TransactionResult } from './smtp/client/index.ts';
export * from './util/index.ts';
