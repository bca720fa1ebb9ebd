/**
 * `dane-mta passwd NAME`: read a password from stdin — without echo, asked twice, when stdin is
 * a terminal; the first line otherwise — and print the users-file line `NAME:HASH` with an
 * scrypt hash that carries its parameters and salt (src/smtp/server/users.ts). The submission
 * listener's `users` file holds such lines.
 * Exit 0 with the line on stdout; 64 for a bad name, an empty password or two that differ.
 * Must never: echo the password, print it, or accept an empty one.
 */
import type { ReadStream } from 'node:tty';
import { hashPassword, isValidUserName } from '../../smtp/server/index.ts';
import { cryptoRandom, ExitCode } from '../../util/index.ts';
import { intOpt, UsageError, type Command, type CommandIo, type ParsedArgs } from '../command.ts';

const MAX_INPUT = 4096;

/** The first line of a non-terminal stdin (CR/LF stripped). */
async function readLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('\n')) break;
    if (text.length > MAX_INPUT) throw new UsageError(`password longer than ${MAX_INPUT} characters`);
  }
  return (text.split('\n')[0] ?? '').replace(/\r$/, '');
}

/** What one typed character does to the line being read. */
function step(text: string, ch: string): { text: string; end?: 'ok' | 'cancel' } {
  if (ch === '\r' || ch === '\n' || ch === '\u0004') return { text, end: 'ok' };
  if (ch === '\u0003') return { text, end: 'cancel' };
  if (ch === '\u007f' || ch === '\b') return { text: text.slice(0, -1) };
  return { text: ch >= ' ' ? text + ch : text };
}

/** Read one line from a terminal in raw mode, echoing nothing. */
function readHidden(tty: ReadStream, prompt: string, io: CommandIo): Promise<string> {
  io.stderr(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (err: Error | null): void => {
      tty.off('data', onData);
      tty.setRawMode(false);
      tty.pause();
      io.stderr('\n');
      if (err === null) resolve(text);
      else reject(err);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        const next = step(text, ch);
        text = next.text;
        if (next.end !== undefined) {
          finish(next.end === 'ok' ? null : new UsageError('cancelled'));
          return;
        }
        if (text.length > MAX_INPUT) {
          finish(new UsageError(`password longer than ${MAX_INPUT} characters`));
          return;
        }
      }
    };
    tty.setRawMode(true);
    tty.on('data', onData);
    tty.resume();
  });
}

function isTerminal(stream: NodeJS.ReadableStream): stream is ReadStream {
  const s = stream as Partial<ReadStream>;
  return s.isTTY === true && typeof s.setRawMode === 'function';
}

async function readPassword(io: CommandIo): Promise<string> {
  const stdin = io.stdin;
  if (!isTerminal(stdin)) return readLine(stdin);
  const first = await readHidden(stdin, 'Password: ', io);
  if (first === '') return first;
  const again = await readHidden(stdin, 'Again: ', io);
  if (again !== first) throw new UsageError('the two passwords differ');
  return first;
}

async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const name = args.positionals[0] ?? '';
  if (!isValidUserName(name))
    throw new UsageError(
      `'${name}' is not a user name (1–255 characters, no colon, space or control character)`,
    );
  const ln = intOpt(args, 'cost', { min: 14, max: 20 }) ?? 15;
  const password = await readPassword(io);
  if (password === '') throw new UsageError('empty password refused');
  const hash = await hashPassword(password, { random: cryptoRandom, params: { ln, r: 8, p: 1 } });
  io.stdout(`${name}:${hash}\n`);
  return ExitCode.OK;
}

export const passwdCommand: Command = {
  name: 'passwd',
  summary: 'print a users-file line NAME:HASH (scrypt) for a submission listener',
  usage: 'NAME',
  positionals: { min: 1, max: 1 },
  options: {
    cost: {
      type: 'string',
      arg: 'N',
      help: 'scrypt cost as log2 of N, 14–20 (default 15: 32 MiB and tens of ms per login)',
    },
  },
  details: [
    'The password is read from stdin: asked twice without echo on a terminal, else the first line.',
    'Append the printed line to the file named by `users` of a submission listener, e.g.',
    '  dane-mta passwd alice >> /etc/dane-mta/users',
  ].join('\n'),
  run,
};
