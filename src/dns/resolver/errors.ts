/**
 * The error type of the resolver layer. DNS conditions (timeouts, bogus data, missing records)
 * are never thrown — they are `Answer` values; only a resolver that cannot be built as asked
 * (bad options, trust-ad towards a non-loopback resolver) throws.
 * Must never: carry a stack trace to the user — every message is one line.
 */
import { MtaError } from '../../util/index.ts';

export type ResolverErrorCode =
  | 'DNS_ERR_TRUST_AD_NOT_LOOPBACK' // mode trust-ad with a resolver that is not on loopback
  | 'DNS_ERR_BAD_OPTIONS'; // options that contradict each other

/** A resolver that cannot be built as asked. */
export class ResolverError extends MtaError<ResolverErrorCode> {
  constructor(code: ResolverErrorCode, message: string, options: { details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'ResolverError';
  }
}
