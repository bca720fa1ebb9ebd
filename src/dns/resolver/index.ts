/**
 * Public surface of the validating resolver: `Resolver` (modes validate / recursive / trust-ad),
 * upstreams, trust anchors, limits and the answer types. The network enters through
 * `DnsExchange`, wired to dns/transport by the composition root.
 */
export { TrustAnchors, type TrustAnchor } from './anchors.ts';
export { DEFAULT_LIMITS, type Limits } from './budget.ts';
export { TtlCache } from './cache.ts';
export { classifyResponse, type Classified } from './classify.ts';
export { ResolverError, type ResolverErrorCode } from './errors.ts';
export { IANA_ROOT_HINTS, rootHintsFromRecords } from './root-hints.ts';
export { IterativeUpstream, type IteratorOptions, type RootHint, type StubZone } from './iterator.ts';
export { DEFAULT_CRYPTO, type DnssecCrypto } from './verify-set.ts';
export {
  Resolver,
  type AliasLink,
  type Answer,
  type AnswerKind,
  type ResolverMode,
  type ResolverOptions,
} from './resolver.ts';
export {
  ForwardingUpstream,
  formatServer,
  isLoopback,
  SharedUpstream,
  type DnsExchange,
  type ExchangeResult,
  type FetchContext,
  type FetchResult,
  type ServerAddress,
  type Upstream,
} from './upstream.ts';
export { dnsAnswerChannel, type DnsAnswerMessage } from './channels.ts';
