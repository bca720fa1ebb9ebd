/**
 * `dane-mta serve --config FILE`: run the MTA daemon in the foreground (DESIGN.md "The daemon
 * (C6)"): SMTP intake, the durable queue, delivery by RFC 7672, DSNs, /metrics and /health.
 * `--check` validates the configuration (and the files and store URL it names) and exits.
 * SIGTERM/SIGINT: stop accepting, let in-flight transactions finish (shutdown.grace), exit 0.
 * SIGHUP: reload destinations and TLS policy. Start-up problems are one line: 78 for the
 * configuration (a bad key, an unreadable file, a store schema from a newer dane-mta, an
 * address in use), 75 when the store cannot be reached.
 */
import { ConfigLoadError } from '../../config/index.ts';
import { startDaemon, dnsSettingsOf, type Daemon } from '../../daemon/index.ts';
import { createResolver, MtaSetupError } from '../../mta/index.ts';
import { LOG_FORMATS, type LogFormat } from '../../obs/index.ts';
import { parseQueueUrl, redactUrl } from '../../queue/index.ts';
import { describeError, ExitCode, isMtaError, systemClock } from '../../util/index.ts';
import {
  boolOpt,
  ConfigError,
  stringOpt,
  UsageError,
  type Command,
  type CommandIo,
  type ParsedArgs,
} from '../command.ts';
import { CONFIG_OPTION, configFromArgs, TempFailError } from '../config-option.ts';

function logFormatOpt(args: ParsedArgs): LogFormat | undefined {
  const f = stringOpt(args, 'log-format');
  if (f === undefined) return undefined;
  const format = LOG_FORMATS.find((x) => x === f);
  if (format === undefined)
    throw new UsageError(`--log-format: '${f}' is not one of ${LOG_FORMATS.join(', ')}`);
  return format;
}

/** `serve --check`: everything `serve` would refuse at start, without starting. */
function check(args: ParsedArgs, io: CommandIo): number {
  const { config, warnings, file } = configFromArgs(args, systemClock);
  for (const w of warnings) io.stderr(`dane-mta serve: warning: ${w}\n`);
  try {
    parseQueueUrl(config.queue.url);
    createResolver(dnsSettingsOf(config));
  } catch (e) {
    if (e instanceof MtaSetupError || isMtaError(e, 'QUEUE_ERR_URL'))
      throw new ConfigError(`${file}: ${e.message}`);
    throw e;
  }
  const listeners = config.listen.map(
    (l) =>
      `${l.address.host.includes(':') ? `[${l.address.host}]` : l.address.host}:${l.address.port} (${l.mode})`,
  );
  io.stdout(
    [
      `${file}: configuration OK`,
      `  listen:  ${listeners.join(', ')}`,
      `  queue:   ${redactUrl(config.queue.url)}`,
      `  dns:     mode ${config.dns.mode}`,
      `  tls:     ${config.delivery.tls} (insecure MX: ${config.delivery.insecure_mx}), ${config.delivery.destinations.length} destination rule(s)`,
      '',
    ].join('\n'),
  );
  return ExitCode.OK;
}

/** Map start-up failures to one line and the sysexits code DESIGN.md gives them. */
function startError(e: unknown): Error {
  if (e instanceof ConfigLoadError) return new ConfigError(e.message);
  if (
    isMtaError(e, 'QUEUE_ERR_SCHEMA') ||
    isMtaError(e, 'QUEUE_ERR_URL') ||
    isMtaError(e, 'INTAKE_ERR_START')
  )
    return new ConfigError(describeError(e));
  if (e instanceof MtaSetupError) return new ConfigError(`dns: ${e.message}`);
  if (isMtaError(e, 'QUEUE_ERR_STORE')) return new TempFailError(describeError(e));
  return e instanceof Error ? e : new Error(String(e));
}

/** Run until SIGTERM/SIGINT; SIGHUP reloads. Resolves to the exit code. */
async function serve(args: ParsedArgs, io: CommandIo): Promise<number> {
  const file = stringOpt(args, 'config');
  if (file === undefined) throw new UsageError('--config FILE is required');
  const logFormat = logFormatOpt(args);
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      configFile: file,
      ...(logFormat === undefined ? {} : { logFormat }),
      write: io.stdout,
    });
  } catch (e) {
    throw startError(e);
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', hup);
      daemon.stop(signal).then(
        () => {
          resolve(ExitCode.OK);
        },
        (e: unknown) => {
          io.stderr(`dane-mta serve: stopping: ${describeError(e)}\n`);
          resolve(ExitCode.SOFTWARE);
        },
      );
    };
    const hup = (): void => {
      try {
        daemon.reload();
      } catch (e) {
        io.stderr(`dane-mta serve: reload refused, the running configuration stays: ${describeError(e)}\n`);
      }
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', hup);
  });
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the MTA daemon: SMTP intake, durable queue, DANE delivery, DSNs, metrics',
  usage: '',
  positionals: { min: 0, max: 0 },
  options: {
    ...CONFIG_OPTION,
    check: { type: 'boolean', help: 'validate the configuration and the files it names, then exit' },
    'log-format': { type: 'string', arg: 'FORMAT', help: 'json (default: one line per event) or pretty' },
  },
  details: [
    'Signals: SIGTERM/SIGINT stop accepting, let in-flight deliveries finish (shutdown.grace), exit 0;',
    'SIGHUP reloads delivery settings (destinations, TLS policy, limits).',
    'Exit status: 0 stopped by a signal, 78 configuration problem, 75 queue store unreachable.',
  ].join('\n'),
  async run(args, io) {
    if (boolOpt(args, 'check')) return check(args, io);
    return serve(args, io);
  },
};
