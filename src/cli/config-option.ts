/**
 * `--config FILE`, shared by `serve` and `queue …`: the daemon's YAML configuration loaded and
 * checked (config/load.ts), its problems as one line with `file:line:column` (exit 78), and the
 * queue store it names, opened for a command (a store that cannot be reached is a temporary
 * failure, exit 75; a schema from a newer dane-mta is a configuration error, exit 78).
 */
import { ConfigLoadError, loadConfig, type LoadedConfig } from '../config/index.ts';
import { isMtaError, MtaError, type Clock } from '../util/index.ts';
import { openQueueStore, type OpenOptions, type QueueStore } from '../queue/index.ts';
import { ConfigError, stringOpt, UsageError, type OptionSpec, type ParsedArgs } from './command.ts';

export const CONFIG_OPTION: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    arg: 'FILE',
    help: 'the daemon configuration (YAML; see README "Run it as a daemon")',
  },
};

/** A temporary failure of a command (the store is down): exit 75. */
export class TempFailError extends MtaError<'CLI_ERR_TEMPFAIL'> {
  constructor(message: string) {
    super('CLI_ERR_TEMPFAIL', message);
  }
}

/** The configuration `--config` names; throws UsageError without it, ConfigError when broken. */
export function configFromArgs(args: ParsedArgs, clock: Clock): LoadedConfig & { file: string } {
  const file = stringOpt(args, 'config');
  if (file === undefined) throw new UsageError('--config FILE is required');
  try {
    return { ...loadConfig(file, { now: clock.now() }), file };
  } catch (e) {
    if (e instanceof ConfigLoadError) throw new ConfigError(e.message);
    throw e;
  }
}

/** Open the store the configuration names, mapping its errors to exit codes. */
export async function openStoreFor(url: string, opts: OpenOptions = {}): Promise<QueueStore> {
  try {
    return await openQueueStore(url, opts);
  } catch (e) {
    if (isMtaError(e, 'QUEUE_ERR_SCHEMA') || isMtaError(e, 'QUEUE_ERR_URL')) throw new ConfigError(e.message);
    if (isMtaError(e, 'QUEUE_ERR_STORE')) throw new TempFailError(e.message);
    throw e;
  }
}
