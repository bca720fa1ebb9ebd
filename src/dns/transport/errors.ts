/**
 * The error type of the DNS transport layer. Network conditions (timeouts, unreachable servers,
 * hostile or broken replies) are returned as `{ ok: false, error: TransportError }` values by
 * `query()`; only bad operator input (a server spec that does not parse) is thrown.
 * Must never: carry a stack trace to the user — every message is one line.
 */
import { MtaError } from '../../util/index.ts';

export type TransportErrorCode =
  | 'DNS_ERR_BAD_SERVER' // a server spec (`--resolver`, resolv.conf) that is not ADDR[:PORT]
  | 'DNS_ERR_TIMEOUT' // no acceptable reply before the per-try timeout
  | 'DNS_ERR_NETWORK' // a socket error: unreachable, refused, reset, bad scope …
  | 'DNS_ERR_FORMERR_REPLY' // the server answered FORMERR: it could not parse our query
  | 'DNS_ERR_MALFORMED_REPLY' // a TCP reply that does not decode or does not match the query
  | 'DNS_ERR_ALL_SERVERS_FAILED' // every try on every server failed (details.failures lists them)
  | 'DNS_ERR_NO_SERVERS' // the server list is empty
  | 'DNS_ERR_BAD_QUERY' // the query Message cannot be encoded (a caller's fault)
  | 'DNS_ERR_ABORTED'; // the caller's AbortSignal fired

/** A DNS transport failure with a stable code; `details.server` names the server when there is one. */
export class TransportError extends MtaError<TransportErrorCode> {
  constructor(
    code: TransportErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'TransportError';
  }
}
