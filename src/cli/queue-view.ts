/**
 * How `dane-mta queue …` shows the queue: DESIGN.md's `queue list --json` shape (an array of
 * `{ "id", "from", "size", "received", "recipients": [ { "address", "state", "attempts",
 * "next_attempt", "last" } ] }`, plus `domain`, `held` and the last reason an operator expects)
 * and readable tables for people.
 */
import type { Json, MessageDetail, MessageView, QueueStats, QueuedRecipient } from '../queue/index.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** One recipient as `queue list --json` prints it. */
export function recipientJson(r: QueuedRecipient): Record<string, Json> {
  return {
    address: r.address,
    domain: r.domain,
    state: r.state,
    held: r.held,
    attempts: r.attempts,
    next_attempt: iso(r.nextAttempt),
    last_attempt: iso(r.lastAttemptAt),
    enhanced: r.enhanced,
    reason: r.reason,
    last: r.last,
  };
}

/** One message as `queue list --json` prints it. */
export function messageJson(v: MessageView): Record<string, Json> {
  const m = v.message;
  return {
    id: m.id,
    from: m.from,
    size: m.size,
    received: new Date(m.received).toISOString(),
    kind: m.kind,
    ...(m.envid === undefined ? {} : { envid: m.envid }),
    ...(m.ret === undefined ? {} : { ret: m.ret }),
    smtputf8: m.smtputf8,
    requiretls: m.requireTls,
    ...(m.origin === undefined ? {} : { origin: { ...m.origin } }),
    recipients: v.recipients.map(recipientJson),
  };
}

/** `queue show --json`: the message, its recipients and every attempt with its transcript. */
export function detailJson(d: MessageDetail): Record<string, Json> {
  return {
    ...messageJson(d),
    attempts: d.attempts.map((a) => ({
      at: new Date(a.at).toISOString(),
      domain: a.domain,
      recipients: a.recipients,
      outcome: a.outcome,
      records: a.records,
      transcript: a.transcript,
    })),
  };
}

export function statsJson(s: QueueStats): Record<string, Json> {
  return {
    recipients: { ...s.byState },
    held: s.held,
    oldest_seconds: s.oldestMs === null ? null : Math.round(s.oldestMs / 1000),
    top_deferred: s.topDeferred.map((t) => ({ domain: t.domain, deferred: t.deferred })),
  };
}

const short = (ms: number | null): string =>
  ms === null
    ? '-'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');

/** Human age: `3d4h`, `2h5m`, `40s`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s % 60}s`;
  return `${s}s`;
}

function recipientLine(r: QueuedRecipient): string {
  const state = r.held ? `${r.state}+held` : r.state;
  const next = r.nextAttempt === null ? '' : ` next ${short(r.nextAttempt)}`;
  const why = r.reason === null ? '' : ` ${r.enhanced ?? ''} ${r.reason}`;
  return `    ${r.address}  ${state}  attempts ${r.attempts}${next}${why}`;
}

/** The readable `queue list`. */
export function listTable(views: readonly MessageView[]): string {
  if (views.length === 0) return 'the queue is empty\n';
  const lines: string[] = [];
  for (const v of views) {
    const m = v.message;
    const from = m.from === '' ? '<>' : m.from;
    lines.push(
      `${m.id}  ${String(m.size).padStart(8)}  ${short(m.received)}  ${from}${m.kind === 'dsn' ? '  (DSN)' : ''}`,
    );
    for (const r of v.recipients) lines.push(recipientLine(r));
  }
  lines.push(
    '',
    `${views.length} message(s), ${views.reduce((n, v) => n + v.recipients.length, 0)} recipient(s)`,
  );
  return `${lines.join('\n')}\n`;
}

/** The readable `queue show`. */
export function showText(d: MessageDetail): string {
  const m = d.message;
  const lines = [
    `id:        ${m.id}`,
    `from:      ${m.from === '' ? '<>' : m.from}`,
    `size:      ${m.size}`,
    `received:  ${short(m.received)}`,
    ...(m.envid === undefined ? [] : [`envid:     ${m.envid}`]),
    ...(m.ret === undefined ? [] : [`ret:       ${m.ret}`]),
    `flags:     ${[m.kind === 'dsn' ? 'DSN' : '', m.smtputf8 ? 'SMTPUTF8' : '', m.eightBitMime ? '8BITMIME' : '', m.requireTls ? 'REQUIRETLS' : ''].filter((f) => f !== '').join(' ') || '-'}`,
    ...(m.origin === undefined
      ? []
      : [`origin:    ${m.origin.address}${m.origin.user === undefined ? '' : ` (user ${m.origin.user})`}`]),
    'recipients:',
    ...d.recipients.map(recipientLine),
  ];
  for (const a of d.attempts) {
    lines.push('', `attempt ${short(a.at)} → ${a.domain}: ${a.outcome} (${a.recipients.join(', ')})`);
    for (const t of a.transcript) lines.push(`    ${t}`);
  }
  if (d.attempts.length === 0) lines.push('', 'no attempts yet');
  return `${lines.join('\n')}\n`;
}

/** The readable `queue stats`. */
export function statsText(s: QueueStats): string {
  const lines = [
    ...Object.entries(s.byState).map(([state, n]) => `${state.padEnd(10)} ${n}`),
    `${'held'.padEnd(10)} ${s.held}`,
    `oldest     ${s.oldestMs === null ? '-' : age(s.oldestMs)}`,
  ];
  if (s.topDeferred.length > 0) {
    lines.push('', 'most deferred destinations:');
    for (const t of s.topDeferred) lines.push(`  ${String(t.deferred).padStart(6)}  ${t.domain}`);
  }
  return `${lines.join('\n')}\n`;
}
