/**
 * The daemon's log: pino, one JSON object per line (`--log-format json`, the default, for
 * journald and log shippers) or a readable line per event (`pretty`, for people, through
 * pino-pretty's formatter, synchronously). Core code never logs: the daemon subscribes to the
 * diagnostics channels and writes here.
 * Must never: let a log destination's failure stop delivery.
 */
import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface LoggerOptions {
  format: LogFormat;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Where lines go (default: standard output). */
  write?: (line: string) => void;
}

/** A pino logger writing JSON lines or pretty lines to `write`. */
export function createLogger(opts: LoggerOptions): Logger {
  const out = opts.write ?? ((line: string) => void process.stdout.write(line));
  const safe = (line: string): void => {
    try {
      out(line);
    } catch {
      // A broken log destination must not stop the MTA.
    }
  };
  const pretty =
    opts.format === 'pretty'
      ? pinoPretty.prettyFactory({ colorize: false, translateTime: 'SYS:standard', ignore: 'pid,hostname' })
      : undefined;
  const stream = {
    write: (line: string): void => {
      if (pretty === undefined) {
        safe(line);
        return;
      }
      try {
        safe(pretty(JSON.parse(line) as object));
      } catch {
        safe(line);
      }
    },
  };
  return pino(
    { level: opts.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    stream,
  );
}
