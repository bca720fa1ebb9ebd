/**
 * `dane-mta send --from A --to B [--to C …] [FILE|-]`: deliver one message directly (no queue)
 * by the RFC 7672 decision order, printing the transcript as it happens and the outcome; with
 * `--json`, the result object of DESIGN.md. Exit 0 delivered, 75 deferred, 69 bounced.
 */
import { readFile } from 'node:fs/promises';
import {
  checkNotify,
  dsnMailParams,
  parseMailbox,
  parsePath,
  type DsnRequest,
} from '../../smtp/protocol/index.ts';
import { describeError } from '../../util/index.ts';
import {
  stringOpt,
  stringsOpt,
  UsageError,
  type Command,
  type CommandIo,
  type ParsedArgs,
} from '../command.ts';
import { DELIVERY_OPTIONS, exitCodeOf, liveLog, mtaFromArgs, printResult } from '../delivery-options.ts';
import { DNS_OPTIONS } from '../dns-options.ts';

const MAX_MESSAGE = 64 * 1024 * 1024;

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_MESSAGE) throw new UsageError(`message larger than ${MAX_MESSAGE} octets`);
    chunks.push(b);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

async function readMessage(args: ParsedArgs, io: CommandIo): Promise<Uint8Array> {
  const file = args.positionals[0] ?? '-';
  if (file === '-') return readAll(io.stdin);
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new UsageError(`cannot read message file ${file}: ${describeError(e)}`);
  }
}

function dsnFromArgs(args: ParsedArgs): DsnRequest | undefined {
  const notify = stringOpt(args, 'dsn-notify');
  const ret = stringOpt(args, 'dsn-ret')?.toUpperCase();
  const envid = stringOpt(args, 'dsn-envid');
  if (notify === undefined && ret === undefined && envid === undefined) return undefined;
  if (ret !== undefined && ret !== 'FULL' && ret !== 'HDRS')
    throw new UsageError(`--dsn-ret: '${ret}' is not FULL or HDRS`);
  const dsn: DsnRequest = {
    ...(ret === undefined ? {} : { ret }),
    ...(envid === undefined ? {} : { envid }),
    ...(notify === undefined ? {} : { notify: notify.split(',') }),
  };
  try {
    dsnMailParams(dsn);
    if (dsn.notify !== undefined) checkNotify(dsn.notify);
  } catch (e) {
    throw new UsageError(describeError(e));
  }
  return dsn;
}

function checkAddresses(args: ParsedArgs): { from: string; to: string[] } {
  const from = stringOpt(args, 'from');
  if (from === undefined) throw new UsageError('missing --from ADDRESS (use --from "" for the null sender)');
  const to = stringsOpt(args, 'to');
  if (to.length === 0) throw new UsageError('missing --to ADDRESS');
  try {
    parsePath(from, { allowNull: true });
    for (const t of to) parseMailbox(t);
  } catch (e) {
    throw new UsageError(describeError(e));
  }
  return { from, to };
}

export const sendCommand: Command = {
  name: 'send',
  summary: "deliver one message directly to the recipients' MX hosts (RFC 7672 DANE by default)",
  usage: '--from ADDRESS --to ADDRESS [--to ADDRESS …] [FILE|-]',
  positionals: { min: 0, max: 1 },
  options: {
    from: { type: 'string', arg: 'ADDRESS', help: 'envelope sender ("" for the null sender <>)' },
    to: { type: 'string', arg: 'ADDRESS', multiple: true, help: 'envelope recipient' },
    'dsn-notify': {
      type: 'string',
      arg: 'LIST',
      help: 'DSN NOTIFY for every recipient: NEVER or SUCCESS,FAILURE,DELAY',
    },
    'dsn-ret': { type: 'string', arg: 'FULL|HDRS', help: 'DSN RET: what a failure report returns' },
    'dsn-envid': { type: 'string', arg: 'ID', help: 'DSN ENVID: the envelope identifier' },
    ...DELIVERY_OPTIONS,
    ...DNS_OPTIONS,
  },
  details: [
    'The message (RFC 5322, headers and body) is read from FILE, or from standard input when FILE is',
    "'-' or absent. Recipients are grouped by domain; each domain gets one delivery.",
    'Exit status: 0 delivered, 75 deferred (try again later), 69 bounced.',
    '',
    'example:',
    '  dane-mta send --from me@example.net --to you@example.org message.eml',
  ].join('\n'),
  async run(args, io) {
    const dsn = dsnFromArgs(args);
    const envelope = { ...checkAddresses(args), ...(dsn === undefined ? {} : { dsn }) };
    const message = await readMessage(args, io);
    if (message.length === 0) throw new UsageError('the message is empty');
    const mta = await mtaFromArgs(args, io);
    const onLog = liveLog(args, io);
    const result = await mta.deliver(envelope, message, onLog === undefined ? {} : { onLog });
    printResult(result, args, io);
    return exitCodeOf(result);
  },
};
