/** RFC 5322 §3.3 date-time in UTC. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMessageDate } from './message-date.ts';

test('formatMessageDate', () => {
  assert.equal(formatMessageDate(Date.UTC(2026, 5, 1, 12, 0, 0)), 'Mon, 01 Jun 2026 12:00:00 +0000');
  assert.equal(formatMessageDate(Date.UTC(1999, 11, 31, 23, 59, 59, 999)), 'Fri, 31 Dec 1999 23:59:59 +0000');
  assert.equal(formatMessageDate(0), 'Thu, 01 Jan 1970 00:00:00 +0000');
});
