/**
 * Public surface of the composition root: `createMta` (the library's MTA: deliver, lookupRcpt,
 * resolve, close) and `createResolver` (DNS settings → a ready validating resolver).
 */
export * from './mta.ts';
export * from './resolver.ts';
