/**
 * `dane-mta queue ACTION … --config FILE`: see and steer the queue while daemons run (DESIGN.md
 * "Queue administration"; the daemon sees a change at its next claim, within a second or two).
 * list, show, stats, retry, hold, release, bounce (a DSN is sent), delete, migrate. Each prints
 * a readable table, or with --json one JSON value (`queue list --json`: DESIGN.md's shape).
 * Exit codes: 0 done, 69 no such message, 64 bad usage, 75 store unreachable, 78 configuration.
 */
import { userInfo } from 'node:os';
import type { DsnRecipient } from '../../delivery/index.ts';
import { buildDsns } from '../../daemon/index.ts';
import { createLogger } from '../../obs/index.ts';
import { RECIPIENT_STATES, type QueueStore, type RecipientState, type Selection } from '../../queue/index.ts';
import { cryptoRandom, ExitCode, MtaError, systemClock } from '../../util/index.ts';
import { boolOpt, stringOpt, UsageError, type Command, type CommandIo, type ParsedArgs } from '../command.ts';
import { CONFIG_OPTION, configFromArgs, openStoreFor } from '../config-option.ts';
import { detailJson, listTable, messageJson, showText, statsJson, statsText } from '../queue-view.ts';

const ACTIONS = ['list', 'show', 'stats', 'retry', 'hold', 'release', 'bounce', 'delete', 'migrate'] as const;
type Action = (typeof ACTIONS)[number];

/** The message asked for does not exist: exit 69. */
class UnknownMessage extends MtaError<'CLI_ERR_UNAVAILABLE'> {
  constructor(id: string) {
    super('CLI_ERR_UNAVAILABLE', `no message ${id} in the queue`);
  }
}

const QUEUE_ID = /^[0-9A-HJKMNP-TV-Z]{20}$/i;

function checkId(id: string | undefined, action: Action): string {
  if (id === undefined) throw new UsageError(`queue ${action}: give a queue ID`);
  if (!QUEUE_ID.test(id))
    throw new UsageError(`'${id}' is not a queue ID (20 characters, e.g. from 'queue list')`);
  return id.toUpperCase();
}

/** ID, --domain D or --all (where allowed) — exactly one. */
function selection(args: ParsedArgs, action: Action, allowAll: boolean): Selection {
  const id = args.positionals[1];
  const domain = stringOpt(args, 'domain');
  const all = boolOpt(args, 'all');
  const given = [id !== undefined, domain !== undefined, all].filter(Boolean).length;
  const forms = allowAll ? 'ID, --domain D or --all' : 'ID or --domain D';
  if (given !== 1) throw new UsageError(`queue ${action}: give exactly one of ${forms}`);
  if (all && !allowAll) throw new UsageError(`queue ${action}: --all is not allowed (give ${forms})`);
  if (id !== undefined) return { id: checkId(id, action) };
  if (domain !== undefined) return { domain: domain.toLowerCase().replace(/\.$/, '') };
  return { all: true };
}

function stateOpt(args: ParsedArgs): RecipientState | undefined {
  const s = stringOpt(args, 'state');
  if (s === undefined) return undefined;
  const state = RECIPIENT_STATES.find((x) => x === s);
  if (state === undefined)
    throw new UsageError(`--state: '${s}' is not one of ${RECIPIENT_STATES.join(', ')}`);
  return state;
}

function checkFlags(args: ParsedArgs, action: Action): void {
  const allowed: Record<Action, string[]> = {
    list: ['state', 'domain', 'held', 'limit'],
    show: [],
    stats: [],
    retry: ['domain', 'all'],
    hold: ['domain'],
    release: ['domain', 'all'],
    bounce: ['reason'],
    delete: [],
    migrate: [],
  };
  for (const flag of ['state', 'domain', 'all', 'held', 'reason', 'limit']) {
    if (args.values[flag] !== undefined && !allowed[action].includes(flag)) {
      throw new UsageError(`--${flag} does not apply to 'queue ${action}'`);
    }
  }
  const ids = ['show', 'bounce', 'delete'].includes(action)
    ? 1
    : ['retry', 'hold', 'release'].includes(action)
      ? 1
      : 0;
  if (args.positionals.length > 1 + ids)
    throw new UsageError(`unexpected argument '${args.positionals[1 + ids] ?? ''}'`);
}

function out(io: CommandIo, args: ParsedArgs, json: unknown, text: string): void {
  io.stdout(boolOpt(args, 'json') ? `${JSON.stringify(json, null, 2)}\n` : text);
}

/** Log an administrative change as one line on stderr (the daemon logs what it then does). */
function audit(io: CommandIo, format: 'json' | 'pretty', fields: Record<string, unknown>): void {
  const log = createLogger({ format, level: 'info', write: io.stderr });
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry: keep 'unknown'
  }
  log.info({ ...fields, user }, `queue ${String(fields['event'])}`);
}

async function act(
  action: Action,
  args: ParsedArgs,
  io: CommandIo,
  store: QueueStore,
  format: 'json' | 'pretty',
  hostname: string,
): Promise<number> {
  const now = systemClock.now();
  switch (action) {
    case 'list': {
      const limitText = stringOpt(args, 'limit');
      const limit = limitText === undefined ? undefined : Number(limitText);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
        throw new UsageError(`--limit: '${limitText ?? ''}' is not a positive whole number`);
      const state = stateOpt(args);
      const domain = stringOpt(args, 'domain')?.toLowerCase();
      const views = await store.list({
        ...(state === undefined ? {} : { state }),
        ...(domain === undefined ? {} : { domain }),
        ...(boolOpt(args, 'held') ? { held: true } : {}),
        ...(limit === undefined ? {} : { limit }),
      });
      out(io, args, views.map(messageJson), listTable(views));
      return ExitCode.OK;
    }
    case 'show': {
      const id = checkId(args.positionals[1], action);
      const d = await store.show(id);
      if (d === undefined) throw new UnknownMessage(id);
      out(io, args, detailJson(d), showText(d));
      return ExitCode.OK;
    }
    case 'stats': {
      const s = await store.stats(now, { top: 10 });
      out(io, args, statsJson(s), statsText(s));
      return ExitCode.OK;
    }
    case 'retry':
    case 'hold':
    case 'release': {
      const sel = selection(args, action, action !== 'hold');
      if ('id' in sel && (await store.show(sel.id)) === undefined) throw new UnknownMessage(sel.id);
      const n =
        action === 'retry' ? await store.retry(sel, now) : await store.setHeld(sel, action === 'hold', now);
      audit(io, format, { event: action, ...sel, recipients: n });
      const what = action === 'retry' ? 'due now' : action === 'hold' ? 'held' : 'released';
      out(io, args, { action, selection: sel, recipients: n }, `${n} recipient(s) ${what}\n`);
      return ExitCode.OK;
    }
    case 'bounce':
      return bounce(args, io, store, { format, hostname });
    case 'delete': {
      const id = checkId(args.positionals[1], action);
      if (!(await store.delete(id))) throw new UnknownMessage(id);
      audit(io, format, { event: 'delete', id });
      out(io, args, { action, id, deleted: true }, `message ${id} deleted\n`);
      return ExitCode.OK;
    }
    case 'migrate': {
      const before = await store.schema();
      const applied = await store.migrate();
      const after = await store.schema();
      const text =
        applied.length === 0
          ? `schema version ${after.current} is current (${store.kind})\n`
          : `schema migrated from version ${before.current} to ${after.current} (${store.kind})\n`;
      out(io, args, { store: store.kind, from: before.current, to: after.current, applied }, text);
      return ExitCode.OK;
    }
  }
}

/** Bounce every recipient not yet delivered or bounced, with a DSN to the sender. */
async function bounce(
  args: ParsedArgs,
  io: CommandIo,
  store: QueueStore,
  o: { format: 'json' | 'pretty'; hostname: string },
): Promise<number> {
  const id = checkId(args.positionals[1], 'bounce');
  const d = await store.show(id);
  if (d === undefined) throw new UnknownMessage(id);
  const body = (await store.body(id)) ?? new Uint8Array();
  const now = systemClock.now();
  const open = d.recipients.filter((r) => r.state === 'queued' || r.state === 'deferred');
  const reason = `bounced by the operator${stringOpt(args, 'reason') === undefined ? '' : `: ${stringOpt(args, 'reason') ?? ''}`}`;
  const dsnRecipients: DsnRecipient[] = open.map((r) => ({
    address: r.address,
    outcome: 'failed',
    status: '5.0.0',
    reason,
    diagnostic: { type: 'X-dane-mta', text: reason },
    ...(r.notify === undefined ? {} : { notify: r.notify }),
    ...(r.orcpt === undefined ? {} : { orcpt: r.orcpt }),
  }));
  const dsns = buildDsns({ message: d.message, recipients: open }, dsnRecipients, {
    now,
    random: cryptoRandom,
    schedule: { intervals: [60_000], maxAgeMs: 0, delayWarningMs: null },
    hostname: o.hostname,
    body,
  });
  const done = await store.force(
    {
      updates: open.map((r) => ({
        rid: r.rid,
        state: 'bounced',
        enhanced: '5.0.0',
        reason,
        last: r.last,
        countAttempt: false,
      })),
      enqueue: dsns.map((x) => x.message),
    },
    now,
  );
  audit(io, o.format, {
    event: 'bounce',
    id,
    recipients: done.applied.length,
    dsn: dsns.map((x) => x.message.id),
  });
  const text = `${done.applied.length} recipient(s) of ${id} bounced${dsns.length > 0 ? `; DSN ${dsns.map((x) => x.message.id).join(', ')} queued` : ''}\n`;
  out(
    io,
    args,
    { action: 'bounce', id, recipients: done.applied.length, dsns: dsns.map((x) => x.message.id) },
    text,
  );
  return ExitCode.OK;
}

export const queueCommand: Command = {
  name: 'queue',
  summary: 'see and steer the queue: list, show, stats, retry, hold, release, bounce, delete, migrate',
  usage: 'ACTION [ID]',
  positionals: { min: 1, max: 2 },
  options: {
    ...CONFIG_OPTION,
    json: { type: 'boolean', help: 'print one JSON value instead of a table' },
    state: {
      type: 'string',
      arg: 'STATE',
      help: 'list: only messages with a recipient in this state (queued, deferred, delivered, bounced)',
    },
    domain: {
      type: 'string',
      arg: 'DOMAIN',
      help: 'list: only this destination; retry/hold/release: every message to it',
    },
    held: { type: 'boolean', help: 'list: only messages with a held recipient' },
    limit: { type: 'string', arg: 'N', help: 'list: at most N messages' },
    all: { type: 'boolean', help: 'retry/release: every message' },
    reason: { type: 'string', arg: 'TEXT', help: 'bounce: the reason the DSN gives' },
  },
  details: [
    'actions:',
    '  list [--state S] [--domain D] [--held]   messages and their recipients',
    '  show ID                                  envelope, recipients, every attempt with its transcript',
    '  stats                                    recipients by state, oldest age, most deferred destinations',
    '  retry ID | --domain D | --all            make deferred recipients due now',
    '  hold ID | --domain D                     stop attempts (held mail does not expire while held)',
    '  release ID | --domain D | --all          end a hold',
    '  bounce ID [--reason TEXT]                bounce what is not delivered yet; the sender gets a DSN',
    '  delete ID                                remove a message without a DSN',
    '  migrate                                  apply schema migrations to the queue store',
    'Works while daemons run; they see a change within a second or two.',
    'Exit status: 0 done, 69 no such message, 64 bad usage, 75 store unreachable, 78 configuration.',
  ].join('\n'),
  async run(args, io) {
    const action = ACTIONS.find((a) => a === args.positionals[0]);
    if (action === undefined) {
      throw new UsageError(`unknown action '${args.positionals[0] ?? ''}' (one of ${ACTIONS.join(', ')})`);
    }
    checkFlags(args, action);
    const { config } = configFromArgs(args, systemClock);
    const store = await openStoreFor(config.queue.url, {
      requireCurrent: action !== 'migrate',
      create: action === 'migrate',
      listen: false,
    });
    try {
      return await act(action, args, io, store, config.log.format, config.hostname);
    } finally {
      await store.close();
    }
  },
};
