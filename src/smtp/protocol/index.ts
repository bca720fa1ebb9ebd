/**
 * Public surface of smtp/protocol: reply parsing, command formatting, EHLO extensions,
 * dot-stuffing and envelope addresses. Pure: no I/O, no node: imports.
 */
export * from './errors.ts';
export * from './reply.ts';
export * from './command.ts';
export * from './ehlo.ts';
export * from './dot-stuff.ts';
export * from './address.ts';
export * from './dsn.ts';
export * from './message-date.ts';
export * from './idna.ts';
