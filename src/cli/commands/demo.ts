/**
 * `dane-mta demo` (`npm run demo`): starts the simulated Internet with the demo's three domains
 * on loopback (high ports, no root, no Debian package, no Internet), delivers one message to a
 * DANE-signed domain, one to an unsigned domain and one to a domain whose TLSA record no longer
 * matches its server's key, printing the transcripts and a summary (src/lab/demo.ts). Exit 0 when
 * every outcome is the expected one, 70 otherwise — the demo is also a smoke test.
 */
import { DEMO_SCENARIOS, runDemo, type Internet } from '../../lab/index.ts';
import { createMta, type Mta } from '../../mta/index.ts';
import { uniformTimeouts } from '../../smtp/client/index.ts';
import { ExitCode } from '../../util/index.ts';
import type { Command, CommandIo, ParsedArgs } from '../command.ts';
import { baseAddressOpt, startLab } from './lab.ts';

/** Every SMTP wait of the demo: all servers are on loopback. */
const SMTP_TIMEOUT_MS = 5000;
/** One DNS query try: the lab's servers are on loopback and always answer. */
const DNS_TIMEOUT_MS = 1000;

const MESSAGE = [
  'From: demo@client.lab',
  'Subject: Hello from the dane-mta demo',
  '',
  'This message travelled over a simulated Internet.',
  '',
].join('\r\n');

/** The demo's MTA: the composition root, pointed at the simulated Internet. */
function mtaFor(net: Internet): Mta {
  return createMta({
    dns: { ...net.dnsSettings('validate'), timeoutMs: DNS_TIMEOUT_MS },
    transport: { port: net.smtpPort, helo: 'client.lab', timeouts: uniformTimeouts(SMTP_TIMEOUT_MS) },
  });
}

/** Run the demo, writing to `io`; resolves to the exit code. */
export async function runDemoCommand(args: ParsedArgs, io: CommandIo): Promise<number> {
  const started = Date.now();
  const net = await startLab({
    scenarios: DEMO_SCENARIOS,
    baseAddress: baseAddressOpt(args) ?? '127.78.0.0',
  });
  const mta = mtaFor(net);
  try {
    const result = await runDemo({
      internet: net,
      out: io.stdout,
      elapsed: () => Date.now() - started,
      deliver: (rcpt, onLog) => mta.deliver({ from: 'demo@client.lab', to: [rcpt] }, MESSAGE, { onLog }),
    });
    return result.ok ? ExitCode.OK : ExitCode.SOFTWARE;
  } finally {
    await net.close();
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'show DANE at work: three deliveries over a simulated Internet on loopback',
  usage: '',
  positionals: { min: 0, max: 0 },
  options: {
    'base-address': {
      type: 'string',
      arg: '127.N.0.0',
      help: 'loopback /16 for the simulated servers (default 127.78.0.0)',
    },
  },
  details: [
    'Starts a signed root, the TLD .test, three mail domains and their MX hosts on loopback',
    '(high ports; no root privileges, no Internet), then delivers to a DANE-signed domain, an',
    'unsigned domain and a domain with a botched certificate renewal.',
    'Exit status: 0 when every outcome is the expected one, 70 otherwise.',
  ].join('\n'),
  run: runDemoCommand,
};
