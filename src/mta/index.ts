/**
 * Public surface of the composition root: `createResolver` (DNS settings → a ready validating
 * resolver) and, built on it, the library's `createMta`.
 */
export * from './resolver.ts';
