/**
 * Public surface of the interop test infrastructure: tool detection and the skip/fail rule,
 * per-test scopes, the loopback address plan, and helpers that run NSD, Unbound, the BIND and
 * ldns zone signers, Postfix and swaks. Interop test files import from here only.
 * Must never be imported by src/ (tests only).
 */
export * from './certs.ts';
export * from './dns-probe.ts';
export * from './errors.ts';
export * from './hierarchy.ts';
export * from './maildir.ts';
export * from './net.ts';
export * from './nsd.ts';
export * from './postfix.ts';
export * from './postfix-relay.ts';
export * from './proc-stats.ts';
export * from './process.ts';
export * from './scope.ts';
export * from './signers.ts';
export * from './smtp-source.ts';
export * from './swaks.ts';
export * from './tools.ts';
export * from './unbound.ts';
