/**
 * The EHLO reply as data: an extension map (keyword upper-cased → parameters) and helpers
 * for the extensions a client acts on (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, STARTTLS, DSN,
 * ENHANCEDSTATUSCODES). RFC 5321 §4.1.1.1 (ehlo-ok-rsp), RFC 1870 §4 (SIZE parameter).
 * Must never: trust a keyword outside the RFC grammar (such lines are ignored); do I/O.
 */
import type { Reply } from './reply.ts';

/** Extension keyword (upper case) → its parameters. Keywords follow ehlo-keyword syntax. */
export type Extensions = Readonly<Record<string, readonly string[]>>;

/** What an EHLO reply says. */
export interface EhloInfo {
  /** The server's name from the first line (`250-mx.example.org Hello`), or ''. */
  serverName: string;
  extensions: Extensions;
}

/*
 * RFC 5321 §4.1.1.1:
 *   ehlo-ok-rsp  = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
 *                / ( "250-" Domain [ SP ehlo-greet ] CRLF
 *                    *( "250-" ehlo-line CRLF ) "250" SP ehlo-line CRLF )
 *   ehlo-line    = ehlo-keyword *( SP ehlo-param )
 *   ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 */
const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** Parse a 250 EHLO reply into the server name and the extension map. */
export function parseEhlo(reply: Reply): EhloInfo {
  const [first = '', ...rest] = reply.lines;
  const extensions: Record<string, readonly string[]> = {};
  for (const line of rest) {
    const [keyword = '', ...params] = line.trim().split(/[ \t]+/);
    // Lines outside the grammar (e.g. old `AUTH=LOGIN`) are ignored, never half-parsed.
    if (!KEYWORD.test(keyword)) continue;
    const key = keyword.toUpperCase();
    if (!Object.hasOwn(extensions, key)) extensions[key] = params;
  }
  return { serverName: first.trim().split(/[ \t]+/)[0] ?? '', extensions };
}

/** True when the server advertised `keyword` (case-insensitive). */
export function hasExtension(extensions: Extensions, keyword: string): boolean {
  return Object.hasOwn(extensions, keyword.toUpperCase());
}

/**
 * The SIZE limit in octets (RFC 1870 §4), or undefined when SIZE is not offered, offered
 * without a number, offered with 0 ("no fixed maximum"), or with something that is no number.
 */
export function sizeLimit(extensions: Extensions): number | undefined {
  if (!hasExtension(extensions, 'SIZE')) return undefined;
  const param = extensions.SIZE?.[0];
  if (param === undefined || !/^\d{1,15}$/.test(param)) return undefined;
  const n = Number(param);
  return n === 0 ? undefined : n;
}
