/**
 * Typed errors of the x509 layer. Malformed certificates, PEM text and keys are reported with
 * an `X509Error` carrying a stable machine code; this layer never lets a parser exception or a
 * stack trace escape to the caller.
 */
import { MtaError } from '../util/index.ts';

/** Machine codes of x509 errors. */
export type X509ErrorCode = 'X509_ERR_PARSE' | 'X509_ERR_PEM' | 'X509_ERR_KEY';

/** An error raised by the x509 layer (bad DER, bad PEM, unusable key). */
export class X509Error extends MtaError<X509ErrorCode> {
  constructor(
    code: X509ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.name = 'X509Error';
  }
}
