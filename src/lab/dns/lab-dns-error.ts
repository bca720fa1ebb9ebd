/**
 * The error type of the lab's DNS side (zone signer, breakage helpers, authoritative server):
 * a bad zone or option given by a test or scenario, or an address the server cannot bind.
 * Answers to hostile or malformed queries are never errors (they become FORMERR or are dropped).
 * Must never be thrown for a condition a DNS client could provoke.
 */
import { MtaError } from '../../util/index.ts';

export type LabDnsErrorCode =
  | 'LAB_ERR_DNS_ARGUMENT' // a zone, key or option that cannot be used (message says which)
  | 'LAB_ERR_DNS_LISTEN'; // the authoritative server cannot bind an address:port

/** A lab DNS usage error with a stable code and a one-line message. */
export class LabDnsError extends MtaError<LabDnsErrorCode> {
  constructor(code: LabDnsErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'LabDnsError';
  }
}
