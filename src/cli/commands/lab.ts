/**
 * `dane-mta lab up [--json] [--dns-port N] [--smtp-port N]`: starts the simulated Internet of the
 * scenario catalogue in the foreground — signed root, TLDs and scenario zones on an
 * authoritative server, receiving MX hosts with their certificates — and prints what a client
 * needs (the address serving every zone, the trust-anchor file, the root hints, the ports), the
 * scenario domains with their expected outcomes, and ready-to-paste commands. Runs until SIGINT
 * or SIGTERM, then closes every server and removes its temporary files. Binds only loopback.
 */
import {
  describeExpectation,
  recipientOf,
  startInternet,
  type Internet,
  type StartInternetOptions,
} from '../../lab/index.ts';
import { describeError, ExitCode, isMtaError } from '../../util/index.ts';
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

/** The commands an operator can paste, for mode validate and mode recursive. */
export function exampleCommands(net: Internet): string[] {
  const dane = net.scenarios.find((s) => s.id === 'ee-311') ?? net.scenarios[0];
  const renewal = net.scenarios.find((s) => s.id === 'demo-botched-renewal') ?? dane;
  const rcpt = dane === undefined ? 'user@ee-311.test' : recipientOf(dane);
  const validate = `--resolver ${net.allZonesAddress}:${net.dnsPort} --trust-anchor ${net.files.trustAnchor}`;
  const recursive = `--dns-mode recursive --root-hints ${net.files.rootHints} --dns-port ${net.dnsPort} --trust-anchor ${net.files.trustAnchor}`;
  return [
    `printf 'Subject: hello\\n\\nhi\\n' | dane-mta send ${validate} --port ${net.smtpPort} --from you@client.lab --to ${rcpt}`,
    `dane-mta lookup-rcpt ${validate} --port ${net.smtpPort} --json ${renewal === undefined ? rcpt : recipientOf(renewal)}`,
    `printf 'Subject: hello\\n\\nhi\\n' | dane-mta send ${recursive} --port ${net.smtpPort} --from you@client.lab --to ${rcpt}`,
    `dane-mta resolve ${validate} _${net.smtpPort}._tcp.mx.${dane?.domain ?? 'ee-311.test'} TLSA`,
  ];
}

/** The facts `--json` prints: one object. */
export function labFacts(net: Internet): Record<string, unknown> {
  return {
    dns: {
      port: net.dnsPort,
      resolver: `${net.allZonesAddress}:${net.dnsPort}`,
      root: net.rootAddress,
      zones: net.zones.map((z) => ({ origin: z.origin, address: z.address, signed: z.signed })),
    },
    smtp: {
      port: net.smtpPort,
      hosts: net.hosts.map((h) => ({ name: h.name, address: h.address, starttls: h.offerStartTls })),
    },
    trustAnchor: net.files.trustAnchor,
    rootHints: net.files.rootHints,
    scenarios: net.scenarios.map((s) => ({
      id: s.id,
      title: s.title,
      domain: s.domain,
      recipient: recipientOf(s),
      expect: {
        outcome: s.expect.outcome,
        tls: s.expect.tls,
        ...(s.expect.enhanced === undefined ? {} : { enhanced: s.expect.enhanced }),
        landsOn: s.expect.landsOn,
      },
    })),
    examples: exampleCommands(net),
  };
}

function humanFacts(net: Internet): string {
  const width = Math.max(...net.scenarios.map((s) => s.domain.length)) + 2;
  const outcomeWidth = Math.max(...net.scenarios.map((s) => describeExpectation(s).length)) + 2;
  return [
    'dane-mta lab: a simulated Internet on loopback (Ctrl-C to stop)',
    '',
    `DNS       all zones (for --resolver)  ${net.allZonesAddress}:${net.dnsPort}`,
    `          root server                 ${net.rootAddress} port ${net.dnsPort}`,
    `          trust anchor (root DS)      ${net.files.trustAnchor}`,
    `          root hints                  ${net.files.rootHints}`,
    `SMTP      every MX host on port ${net.smtpPort}; TLSA records at _${net.smtpPort}._tcp.<host>`,
    '',
    `Scenario domains (${net.scenarios.length}) and what 'send' should do:`,
    ...net.scenarios.map(
      (s) => `  ${s.domain.padEnd(width)}${describeExpectation(s).padEnd(outcomeWidth)}${s.title}`,
    ),
    '',
    'Try:',
    ...exampleCommands(net).map((c) => `  ${c}`),
    '',
  ].join('\n');
}

const LISTEN_ERRORS = ['LAB_ERR_INTERNET', 'LAB_ERR_DNS_LISTEN', 'LAB_ERR_RECEIVER_LISTEN'] as const;

/**
 * Start the simulated Internet; an address or port that cannot be used (taken, or no such
 * loopback address) is a configuration error (exit 78), not an internal one.
 */
export async function startLab(opts: StartInternetOptions): Promise<Internet> {
  try {
    return await startInternet(opts);
  } catch (e) {
    if (LISTEN_ERRORS.some((code) => isMtaError(e, code))) throw new ConfigError(describeError(e));
    throw e;
  }
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

/** `--base-address 127.N.0.0` (N ≤ 255), or undefined when absent; a UsageError otherwise. */
export function baseAddressOpt(args: ParsedArgs): string | undefined {
  const base = stringOpt(args, 'base-address');
  if (base === undefined) return undefined;
  const m = /^127\.(\d{1,3})\.0\.0$/.exec(base);
  if (m === null || Number(m[1]) > 255) {
    throw new UsageError(`--base-address: '${base}' is not of the form 127.N.0.0`);
  }
  return base;
}

/** `lab up` with an explicit stop condition (tests pass their own). */
export async function runLabUp(
  args: ParsedArgs,
  io: CommandIo,
  opts: { until: Promise<unknown> },
): Promise<number> {
  const dnsPort = intOpt(args, 'dns-port', { min: 1024, max: 65535 });
  const smtpPort = intOpt(args, 'smtp-port', { min: 1024, max: 65535 });
  const base = baseAddressOpt(args);
  const net = await startLab({
    ...(dnsPort === undefined ? {} : { dnsPort }),
    ...(smtpPort === undefined ? {} : { smtpPort }),
    ...(base === undefined ? {} : { baseAddress: base }),
  });
  try {
    io.stdout(boolOpt(args, 'json') ? `${JSON.stringify(labFacts(net))}\n` : humanFacts(net));
    await opts.until;
  } finally {
    await net.close();
  }
  if (!boolOpt(args, 'json')) io.stdout('lab stopped\n');
  return ExitCode.OK;
}

export const labCommand: Command = {
  name: 'lab',
  summary: 'run the simulated Internet (signed zones, DNS servers, MX hosts) in the foreground',
  usage: 'up',
  positionals: { min: 1, max: 1 },
  options: {
    json: { type: 'boolean', help: 'print the addresses, files and scenarios as one JSON object' },
    'dns-port': { type: 'string', arg: 'N', help: 'port of every DNS server (default: a free one)' },
    'smtp-port': { type: 'string', arg: 'N', help: 'port of every MX host (default: a free one)' },
    'base-address': {
      type: 'string',
      arg: '127.N.0.0',
      help: 'loopback /16 for the simulated servers (default 127.77.0.0)',
    },
  },
  details: [
    'Serves every scenario of the catalogue on loopback addresses (no root privileges needed).',
    'Point a client at it with --resolver ADDR:PORT --trust-anchor FILE (mode validate), or with',
    '--dns-mode recursive --root-hints FILE --dns-port N --trust-anchor FILE, and --port N for SMTP.',
    'Stops on Ctrl-C (SIGINT) or SIGTERM.',
  ].join('\n'),
  async run(args, io) {
    const action = args.positionals[0];
    if (action !== 'up') throw new UsageError(`unknown action '${action ?? ''}' (usage: dane-mta lab up)`);
    return runLabUp(args, io, { until: untilSignal() });
  },
};
