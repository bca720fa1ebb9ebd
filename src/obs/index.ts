/** Public surface of obs: the daemon's logger (pino) and its Prometheus metrics (prom-client). */
export * from './log.ts';
export * from './metrics.ts';
