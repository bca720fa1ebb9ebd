/**
 * Public surface of the daemon: `startDaemon` (what `dane-mta serve` runs), the configuration's
 * DNS settings, the queue events it publishes, and the DSN builder the admin commands share.
 */
export { dnsSettingsOf, startDaemon, type Daemon, type DaemonOptions } from './daemon.ts';
export { queueEventChannel, type AttemptEvent, type QueueEvent } from './events.ts';
export { applyResult, buildDsns, type QueueJob } from './outcomes.ts';
export { checkHealth, type HealthReport } from './health.ts';
