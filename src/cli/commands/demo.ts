/**
 * `dane-mta demo` (`npm run demo`): starts the simulated Internet with the demo's three domains
 * on loopback (high ports, no root, no Debian package, no Internet), delivers one message to a
 * DANE-signed domain, one to an unsigned domain and one to a domain whose TLSA record no longer
 * matches its server's key, then sends that domain's message through the daemon (`serve`, in
 * this process): deferred in the queue, the record fixed as `check` says, delivered over DANE at
 * `queue retry` — printing the transcripts, the commands and a summary (src/lab/demo.ts,
 * src/lab/demo-queue.ts, ../demo-daemon.ts). Exit 0 when every outcome is the expected one, 70
 * otherwise — the demo is also a smoke test.
 */
import { DEMO_SCENARIOS, runDemo, type Internet } from '../../lab/index.ts';
import { createMta, type Mta } from '../../mta/index.ts';
import { uniformTimeouts } from '../../smtp/client/index.ts';
import { ExitCode } from '../../util/index.ts';
import type { Command, CommandIo, ParsedArgs } from '../command.ts';
import { startDemoDaemon } from '../demo-daemon.ts';
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
  const base = baseAddressOpt(args) ?? '127.78.0.0';
  const net = await startLab({ scenarios: DEMO_SCENARIOS, baseAddress: base });
  const mta = mtaFor(net);
  try {
    const daemon = await startDemoDaemon(net, base.replace(/\.0\.0$/, ''));
    try {
      const result = await runDemo({
        internet: net,
        out: io.stdout,
        elapsed: () => Date.now() - started,
        deliver: (rcpt, onLog) => mta.deliver({ from: 'demo@client.lab', to: [rcpt] }, MESSAGE, { onLog }),
        queue: daemon.side,
      });
      return result.ok ? ExitCode.OK : ExitCode.SOFTWARE;
    } finally {
      await daemon.close();
    }
  } finally {
    await mta.close();
    await net.close();
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: "show DANE at work: deliveries and the daemon's queue over a simulated Internet on loopback",
  usage: '',
  positionals: { min: 0, max: 0 },
  options: {
    'base-address': {
      type: 'string',
      arg: '127.N.0.0',
      help: 'loopback /16 for the simulated servers and the daemon (127.N.25.1) (default 127.78.0.0)',
    },
  },
  details: [
    'Starts a signed root, the TLD .test, three mail domains and their MX hosts on loopback',
    '(high ports; no root privileges, no Internet), then delivers to a DANE-signed domain, an',
    "unsigned domain and a domain with a botched certificate renewal; then that domain's",
    'message through the daemon (dane-mta serve, in this process, its files in a temporary',
    'directory): deferred in the queue, the TLSA record fixed as dane-mta check says, delivered',
    'over DANE at dane-mta queue retry.',
    'Exit status: 0 when every outcome is the expected one, 70 otherwise.',
  ].join('\n'),
  run: runDemoCommand,
};
