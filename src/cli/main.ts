/**
 * `dane-mta COMMAND …`: dispatch over the command table. Every failure reaches the operator as
 * one line on stderr with a sysexits code (64 usage, 78 configuration, 70 internal) — never a
 * stack trace.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeError, ExitCode, isMtaError } from '../util/index.ts';
import { type Command, type CommandIo, helpText, parseCommandArgs } from './command.ts';
import { COMMANDS } from './commands/index.ts';

const VERSION = '0.1.0';

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'usage: dane-mta COMMAND [options] [arguments]',
    '',
    'An outbound MTA built around DANE for SMTP (RFC 7672) with its own DNSSEC validator.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'dane-mta COMMAND --help' for a command's options.",
    '',
  ].join('\n');
}

export const defaultIo: CommandIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: process.stdin,
  env: process.env,
};

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp());
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(`dane-mta ${VERSION}\n`);
    return ExitCode.OK;
  }
  const cmd: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (cmd === undefined) {
    io.stderr(`dane-mta: unknown command '${name}' (see 'dane-mta --help')\n`);
    return ExitCode.USAGE;
  }
  try {
    const args = parseCommandArgs(cmd, rest);
    if (args.values.help === true) {
      io.stdout(helpText(cmd));
      return ExitCode.OK;
    }
    return await cmd.run(args, io);
  } catch (e) {
    const code = isMtaError(e, 'CLI_ERR_USAGE')
      ? ExitCode.USAGE
      : isMtaError(e, 'CLI_ERR_CONFIG')
        ? ExitCode.CONFIG
        : isMtaError(e, 'CLI_ERR_TEMPFAIL')
          ? ExitCode.TEMPFAIL
          : isMtaError(e, 'CLI_ERR_UNAVAILABLE')
            ? ExitCode.UNAVAILABLE
            : ExitCode.SOFTWARE;
    io.stderr(`dane-mta ${cmd.name}: ${describeError(e)}\n`);
    return code;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`dane-mta: ${describeError(e)}\n`);
      process.exitCode = ExitCode.SOFTWARE;
    },
  );
}
