/**
 * Prepares the message before any connection is made: reads an async source completely,
 * dot-stuffs it and learns its RFC 1870 size and whether it is 8-bit, so MAIL FROM can carry
 * SIZE= and BODY=8BITMIME and an over-long line is found before a server is bothered.
 * RFC 1870 §4 (SIZE), RFC 6152 (8BITMIME), RFC 5321 §4.5.3.1.6 (line length).
 * Must never: hold more than the message (plus its stuffed copy) in memory; wrap long lines.
 */
import { SmtpError, stuffMessage, type StuffedMessage } from '../protocol/index.ts';

/** The largest piece written in one go (RFC 5321 §4.5.3.2.5 times each TCP send). */
export const BODY_BLOCK_OCTETS = 64 * 1024;

/** Read (if needed) and dot-stuff the message. Throws SMTP_ERR_LINE_TOO_LONG / _ARGUMENT. */
export async function prepareMessage(
  message: Uint8Array | AsyncIterable<Uint8Array>,
): Promise<StuffedMessage> {
  if (message instanceof Uint8Array) return stuffMessage([message]);
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of message) {
      if (!(chunk instanceof Uint8Array)) {
        throw new SmtpError('SMTP_ERR_ARGUMENT', 'the message source yielded something that is not bytes');
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof SmtpError) throw err;
    throw new SmtpError('SMTP_ERR_ARGUMENT', `cannot read the message: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return stuffMessage(chunks);
}

/** Split wire chunks into blocks of at most BODY_BLOCK_OCTETS. */
export function* bodyBlocks(chunks: readonly Uint8Array[]): Generator<Uint8Array> {
  for (const chunk of chunks) {
    for (let off = 0; off < chunk.length; off += BODY_BLOCK_OCTETS) {
      yield chunk.subarray(off, off + BODY_BLOCK_OCTETS);
    }
  }
}
