/**
 * `dane-mta web --listen ADDR:PORT [--allow-private] [DNS and check options]`: the checker as a
 * web page (src/web): a form that submits by GET to `/?domain=NAME`, the report rendered by the
 * server, and `GET /api/check?domain=NAME` with the JSON of `check --json`. Runs in the
 * foreground until SIGINT or SIGTERM. Exit: 0 after a signal, 64 bad usage, 78 an address that
 * cannot be listened on or an unusable trust-anchor / root-hints file.
 * Must never: connect to MX addresses in loopback, private or link-local ranges unless
 * --allow-private is given.
 */
import { isIP } from 'node:net';
import { startWebChecker, type WebChecker, type WebCheckerOptions } from '../../web/index.ts';
import { describeError, ExitCode, systemClock } from '../../util/index.ts';
import {
  boolOpt,
  ConfigError,
  intOpt,
  stringOpt,
  UsageError,
  type Command,
  type CommandIo,
  type ParsedArgs,
} from '../command.ts';
import { DNS_OPTIONS, resolverFromArgs } from '../dns-options.ts';
import { CHECK_OPTIONS, checkFlagsFromArgs } from './check.ts';

/** `ADDR:PORT` or `[IPv6]:PORT`. */
export function parseListen(text: string | undefined): { address: string; port: number } {
  if (text === undefined) throw new UsageError('missing --listen ADDR:PORT');
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  const address = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (address === undefined || isIP(address) === 0 || !(port >= 0 && port <= 65535)) {
    throw new UsageError(`--listen: '${text}' is not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)`);
  }
  return { address, port };
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The options of the web checker from the command line. */
export async function webOptionsFromArgs(args: ParsedArgs, io: CommandIo): Promise<WebCheckerOptions> {
  const listen = parseListen(stringOpt(args, 'listen'));
  const flags = checkFlagsFromArgs(args);
  const checkTimeout = intOpt(args, 'check-timeout', { min: 1, max: 3600 });
  const perClient = intOpt(args, 'per-client', { min: 1, max: 1000 });
  const maxChecks = intOpt(args, 'max-checks', { min: 1, max: 10_000 });
  const resolver = await resolverFromArgs(args, io);
  return {
    resolver,
    clock: systemClock,
    listen,
    smtpPort: flags.port,
    days: flags.days,
    helo: flags.helo,
    smtpTimeoutMs: flags.timeoutMs,
    allowPrivate: boolOpt(args, 'allow-private'),
    ...(checkTimeout === undefined ? {} : { checkTimeoutMs: checkTimeout * 1000 }),
    ...(perClient === undefined ? {} : { perClient }),
    ...(maxChecks === undefined ? {} : { maxChecks }),
  };
}

/** `web` with an explicit stop condition (tests pass their own). */
export async function runWeb(
  args: ParsedArgs,
  io: CommandIo,
  opts: { until: Promise<unknown> },
): Promise<number> {
  const options = await webOptionsFromArgs(args, io);
  let web: WebChecker;
  try {
    web = await startWebChecker(options);
  } catch (e) {
    throw new ConfigError(`cannot listen on ${stringOpt(args, 'listen') ?? ''}: ${describeError(e)}`);
  }
  try {
    const scope = options.allowPrivate === true ? ' (private MX addresses allowed)' : '';
    io.stdout(`dane-mta web: listening on ${web.url}${scope}; Ctrl-C to stop\n`);
    await opts.until;
  } finally {
    await web.close();
  }
  io.stdout('dane-mta web: stopped\n');
  return ExitCode.OK;
}

export const webCommand: Command = {
  name: 'web',
  summary: 'serve the DANE checker as a web page (form, shareable reports, JSON API)',
  usage: '',
  positionals: { min: 0, max: 0 },
  options: {
    listen: { type: 'string', arg: 'ADDR:PORT', help: 'address and port to serve on (required)' },
    'allow-private': {
      type: 'boolean',
      help: 'also connect to MX addresses in loopback, private and link-local ranges',
    },
    'check-timeout': { type: 'string', arg: 'SECONDS', help: 'time budget of one check (default 60)' },
    'per-client': { type: 'string', arg: 'N', help: 'checks in flight per client address (default 2)' },
    'max-checks': { type: 'string', arg: 'N', help: 'checks in flight in all (default 16)' },
    ...CHECK_OPTIONS,
    ...DNS_OPTIONS,
  },
  details: [
    'GET /?domain=NAME shows the report (the link can be shared); GET /api/check?domain=NAME',
    "returns the JSON of 'dane-mta check --json'. Address literals are refused, and so are MX",
    'addresses in loopback, private and link-local ranges unless --allow-private is given.',
    '',
    'example:',
    '  dane-mta web --listen 127.0.0.1:8080',
  ].join('\n'),
  run: (args, io) => runWeb(args, io, { until: untilSignal() }),
};
