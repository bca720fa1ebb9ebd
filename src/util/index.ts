/** Public surface of util: bytes, clock, randomness, errors, results and IP address facts. */
export * from './bytes.ts';
export * from './clock.ts';
export * from './errors.ts';
export * from './random.ts';
export * from './result.ts';
export * from './diagnostics.ts';
export * from './net.ts';
