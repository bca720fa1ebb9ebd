/**
 * Public surface of config: the daemon's configuration file — schema and types, `loadConfig`
 * (one-line `file:line:column` errors, exit 78 in the CLI), the value parsers, and
 * `destinationPolicy` (per-destination settings and DANE exceptions).
 */
export {
  configSchema,
  DEFAULT_RELAY_NETWORKS,
  type Config,
  type DeliveryConfig,
  type DnsConfig,
  type LimitsConfig,
  type ListenConfig,
  type QueueConfig,
} from './schema.ts';
export {
  ConfigLoadError,
  formatKeyPath,
  loadConfig,
  parseConfig,
  type LoadedConfig,
  type LoadOptions,
} from './load.ts';
export {
  destinationPolicy,
  findDestination,
  normalizeDestinationKey,
  type Destination,
  type DestinationPolicy,
  type PolicyConfig,
} from './destinations.ts';
export {
  INSECURE_MX_POLICIES,
  NON_DANE_MODES,
  TLS_ALIASES,
  TLS_MODES,
  type InsecureMxPolicy,
  type RateLimits,
  type TlsMode,
} from './fields.ts';
export {
  domainToALabels,
  formatDuration,
  parseCidr,
  parseDuration,
  parseHostPort,
  parseSize,
  type HostPort,
} from './units.ts';
export { renderConfigReference } from './reference.ts';
