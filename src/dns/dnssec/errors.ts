/**
 * The error type of the DNSSEC primitives. Verdicts (bogus, insecure, …) are values, never
 * exceptions; a `DnssecError` is thrown only for bad configuration input (a trust anchor that
 * does not parse) or a programming fault (asking a non-secure `Proven` for its value).
 */
import { MtaError } from '../../util/index.ts';

export type DnssecErrorCode =
  | 'DNSSEC_ERR_BAD_ANCHOR' // trust-anchor text that is not DS/DNSKEY presentation format
  | 'DNSSEC_ERR_NOT_SECURE'; // requireProof() on a value whose proof is weaker than required

/** A DNSSEC configuration or usage error, with a stable code and a one-line message. */
export class DnssecError extends MtaError<DnssecErrorCode> {
  constructor(code: DnssecErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'DnssecError';
  }
}
