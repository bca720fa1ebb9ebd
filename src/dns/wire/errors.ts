/**
 * The one error type of the wire layer. Every malformed packet, name or zone-file line ends in a
 * `WireError` with a stable code and, for binary input, the offset where decoding stopped —
 * never in a RangeError, a hang or any other exception (the fuzz test holds us to that).
 */
import { MtaError } from '../../util/index.ts';

export type WireErrorCode =
  | 'DNS_ERR_TRUNCATED' // data ends before a length says it should
  | 'DNS_ERR_TRAILING' // rdata or packet longer than its fields
  | 'DNS_ERR_BAD_POINTER' // compression pointer forward, to itself, or out of range
  | 'DNS_ERR_POINTER_LOOP' // too many compression hops
  | 'DNS_ERR_LABEL_TOO_LONG' // label over 63 octets
  | 'DNS_ERR_NAME_TOO_LONG' // name over 255 octets
  | 'DNS_ERR_BAD_LABEL_TYPE' // label type 0b01 / 0b10 (obsolete extended labels)
  | 'DNS_ERR_BAD_RDATA' // a field value out of range inside rdata
  | 'DNS_ERR_TOO_BIG' // message would exceed 65535 octets
  | 'DNS_ERR_BAD_TEXT'; // presentation (zone-file) syntax error

/** A malformed DNS message, name, rdata or presentation-format text. */
export class WireError extends MtaError<WireErrorCode> {
  /** Octet offset in the input where the problem was found (binary input only). */
  readonly offset: number | undefined;

  constructor(code: WireErrorCode, message: string, offset?: number) {
    super(code, offset === undefined ? message : `${message} (at offset ${offset})`, {
      details: offset === undefined ? {} : { offset },
    });
    this.name = 'WireError';
    this.offset = offset;
  }
}
