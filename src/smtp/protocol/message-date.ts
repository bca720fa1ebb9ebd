/**
 * The RFC 5322 §3.3 date-time of message headers (Date:, Received:) and of DSN fields
 * (RFC 3464 §2.1.4 Arrival-Date, Last-Attempt-Date, Will-Retry-Until), always in UTC.
 * Pure: the time is passed in, the clock is never read.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * RFC 5322 §3.3: date-time = [ day-of-week "," ] date time [CFWS], with
 * `zone = (FWS ( "+" / "-" ) 4DIGIT)`; "+0000" is used to indicate a time zone at Universal Time.
 * `formatMessageDate(Date.UTC(2026, 5, 1, 12))` → `Mon, 01 Jun 2026 12:00:00 +0000`.
 */
export function formatMessageDate(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return (
    `${DAYS[d.getUTCDay()] ?? 'Sun'}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()] ?? 'Jan'} ` +
    `${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}
