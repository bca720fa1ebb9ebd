/**
 * Public surface of the DNS wire layer: names, records, rdata codecs, messages and zone text.
 * Pure: no I/O, no clock, no crypto.
 */
export * from './errors.ts';
export * from './message.ts';
export { compareLabels, compareNames, Name } from './name.ts';
export * from './presentation.ts';
export * from './rdata/index.ts';
export { Reader } from './reader.ts';
export { decodeRdata, encodeRdata, formatRdata, isType, makeRr, readRr, writeRr } from './record.ts';
export type { Rdata, Rr } from './record.ts';
export { logicalLines, quoteBytes, tokenize, TokenStream, unescapeBytes } from './text.ts';
export type { Token } from './text.ts';
export * from './types.ts';
export { Writer } from './writer.ts';
