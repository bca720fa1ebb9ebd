/**
 * The domain a check is asked about: a mail domain in A-labels (IDNA via delivery's UTS #46
 * conversion), never an address literal — DANE hangs off DNS names (RFC 7672 §2), and a checker
 * that accepted `[192.0.2.1]` or `10.0.0.1` would connect wherever it is told.
 * Throws CheckError (CHECK_ERR_DOMAIN) with a one-line reason; no I/O.
 */
import { isIP } from 'node:net';
import { toALabels } from '../delivery/index.ts';
import type { Name } from '../dns/wire/index.ts';
import { CheckError } from './types.ts';

/** Longest input considered at all (a domain name has at most 253 characters). */
const MAX_INPUT = 300;

/** Parse what an operator typed (`example.org`, `Bücher.example.`, ` example.org `). */
export function parseCheckDomain(text: string): Name {
  const input = text.trim();
  const shown = JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input);
  if (input === '') throw new CheckError('CHECK_ERR_DOMAIN', 'no domain given');
  if (input.length > MAX_INPUT)
    throw new CheckError('CHECK_ERR_DOMAIN', `${shown} is too long for a domain name`);
  const bare = input.replace(/^\[(?:ipv6:)?/i, '').replace(/\]$/, '');
  if (isIP(bare) !== 0 || /^\[.*\]$/.test(input)) {
    throw new CheckError(
      'CHECK_ERR_DOMAIN',
      `${shown} is an address literal: DANE applies to domain names — give the mail domain (the part after @)`,
    );
  }
  if (input.includes('@')) {
    throw new CheckError(
      'CHECK_ERR_DOMAIN',
      `${shown} is a mail address: give only the domain (the part after @)`,
    );
  }
  const name = toALabels(input);
  if (name === undefined || name.isRoot)
    throw new CheckError('CHECK_ERR_DOMAIN', `${shown} is not a valid domain name`);
  if (name.labelCount < 2) {
    throw new CheckError('CHECK_ERR_DOMAIN', `${shown} is a top-level domain, not a mail domain`);
  }
  return name;
}
