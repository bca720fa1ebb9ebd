/**
 * Facts a test reads off received mail: the Message-ID of a message (RFC 5322 §3.6.4, header
 * fields unfolded as §2.2.3 says) and counts of events per minute (connections, messages) from
 * the times the receivers recorded with the injected clock. Pure; never throws on odd input.
 */

/** How much of a message is searched for its header section. */
const HEADER_LIMIT = 64 * 1024;

/**
 * The value of the first Message-ID header field (trimmed, as sent, e.g. `<id@host>`), or
 * undefined when the header section has none.
 */
export function messageIdOf(data: Uint8Array): string | undefined {
  const head = Buffer.from(data.subarray(0, HEADER_LIMIT)).toString('utf8');
  const end = head.search(/\r?\n\r?\n/);
  const header = end < 0 ? head : head.slice(0, end);
  /*
   * RFC 5322 §2.2.3: "Unfolding is accomplished by simply removing any CRLF that is
   * immediately followed by WSP."
   */
  const unfolded = header.replace(/\r?\n(?=[ \t])/g, '');
  const m = /^message-id[ \t]*:(.*)$/im.exec(unfolded);
  const value = m?.[1]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

const MINUTE = 60_000;

/** Events per minute: the start of each minute (ms since the epoch) that saw any → how many. */
export function countPerMinute(times: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of [...times].sort((a, b) => a - b)) {
    const minute = Math.floor(t / MINUTE) * MINUTE;
    counts.set(minute, (counts.get(minute) ?? 0) + 1);
  }
  return counts;
}
