/**
 * Public surface of dane: TLSA types and names, usability and digest agility, matching, peer
 * verification, record generation, and (lookup.ts) the DNS side: MX, address and TLSA lookups.
 */
export * from './generate.ts';
export * from './match.ts';
export * from './tlsa-name.ts';
export * from './secure-tlsa.ts';
export * from './types.ts';
export * from './usable.ts';
export * from './verify.ts';
export * from './lookup.ts';
