/**
 * Support for the end-to-end tests over the simulated Internet: delivery options pointed at the
 * lab, and the checks of one scenario's result against the catalogue — outcome, TLS level and
 * transcript (src/lab/scenarios/check.ts) plus what only the receivers know: where the message
 * landed, the SNI name, hosts that must see no session, and TLSA queries that must never be sent.
 * Test support only.
 */
import type { DeliverOptions, DeliveryResult } from '../../src/delivery/index.ts';
import { deliver, lookupRcpt } from '../../src/delivery/index.ts';
import { RRType } from '../../src/dns/wire/index.ts';
import {
  deliveryProblems,
  recipientOf,
  type Internet,
  type LabResolverMode,
  type Receiver,
  type Scenario,
} from '../../src/lab/index.ts';
import { uniformTimeouts } from '../../src/smtp/client/index.ts';
import { seededRandom, systemClock } from '../../src/util/index.ts';
import type { Resolver } from '../../src/dns/resolver/index.ts';

/** The message every scenario delivers. */
export const MESSAGE = new TextEncoder().encode(
  'From: sender@client.lab\r\nTo: someone\r\nSubject: dane-mta e2e\r\n\r\nHello over the simulated Internet.\r\n',
);

/** Short SMTP timeouts: everything is on loopback. */
const TIMEOUTS = { ...uniformTimeouts(3000), connect: 2000, quit: 500 };

/** DeliverOptions for the lab (mode dane, insecure-MX policy dane). */
export function labDeliverOptions(net: Internet, resolver: Resolver): DeliverOptions {
  return {
    resolver,
    profile: {
      tlsMode: 'dane',
      insecureMx: 'dane',
      port: net.smtpPort,
      helo: 'client.lab',
      timeouts: TIMEOUTS,
    },
    clock: systemClock,
    random: seededRandom(11),
  };
}

interface Counts {
  messages: number;
  sessions: number;
}

function snapshot(net: Internet, s: Scenario): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const h of s.hosts) {
    const r = net.receivers.get(h.name.toLowerCase());
    if (r !== undefined) out.set(h.name, { messages: r.messages.length, sessions: r.sessions.length });
  }
  return out;
}

function receiverOf(net: Internet, host: string): Receiver {
  const r = net.receivers.get(host.toLowerCase());
  if (r === undefined) throw new Error(`no receiver for ${host}`);
  return r;
}

/** Problems only the receivers can see. */
function receiverProblems(
  net: Internet,
  s: Scenario,
  before: Map<string, Counts>,
  verify: boolean,
): string[] {
  const e = s.expect;
  const out: string[] = [];
  const rcpt = recipientOf(s);
  for (const h of s.hosts) {
    const r = receiverOf(net, h.name);
    const was = before.get(h.name) ?? { messages: 0, sessions: 0 };
    const newMessages = r.messages.slice(was.messages);
    const newSessions = r.sessions.slice(was.sessions);
    const landsHere = e.landsOn !== null && e.landsOn.toLowerCase() === h.name.toLowerCase();
    const delivered = !verify && e.outcome === 'delivered' && landsHere;
    if (newMessages.length !== (delivered ? 1 : 0)) {
      out.push(`${h.name} received ${newMessages.length} message(s), expected ${delivered ? 1 : 0}`);
    }
    const m = newMessages[0];
    if (delivered && m !== undefined) {
      if (!m.to.includes(rcpt)) out.push(`${h.name} got the message for ${m.to.join(',')}, not ${rcpt}`);
      const sni = (e.sni ?? h.name).toLowerCase();
      if (e.tls !== 'none' && m.tls.servername !== sni) {
        out.push(`${h.name} saw SNI ${m.tls.servername ?? '(none)'}, expected ${sni}`);
      }
      if (m.tls.used !== (e.tls !== 'none')) out.push(`${h.name}: message TLS used = ${m.tls.used}`);
    }
    if (
      landsHere &&
      e.outcome !== 'delivered' &&
      !newSessions.some((x) => x.commands.some((c) => /^RCPT TO/i.test(c)))
    ) {
      out.push(`${h.name} saw no RCPT TO`);
    }
    if (verify && newSessions.some((x) => x.commands.some((c) => /^DATA/i.test(c)))) {
      out.push(`${h.name} saw DATA during recipient verification`);
    }
    if ((e.untouched ?? []).includes(h.name) && newSessions.length > 0) {
      out.push(`${h.name} must see no session, saw ${newSessions.length}`);
    }
  }
  return out;
}

/** TLSA queries for any host of the scenario (RFC 7672 §2.2.2: none for insecure hosts). */
function tlsaQueryProblems(net: Internet, s: Scenario, fromQuery: number): string[] {
  const names = new Set(
    s.hosts
      .flatMap((h) => [h.name, ...(h.aliases ?? [])])
      .map((n) => `_${net.smtpPort}._tcp.${n.toLowerCase()}.`),
  );
  const asked = net.authority.queries
    .slice(fromQuery)
    .filter((q) => q.qtype === RRType.TLSA && names.has(q.qname.toLowerCase()));
  return asked.length === 0 ? [] : [`TLSA query sent for ${asked[0]?.qname ?? ''}`];
}

/** The result of one run and everything wrong with it. */
export interface Run {
  result: DeliveryResult;
  problems: string[];
}

/** Deliver (or verify) to a scenario's recipient through the library and check everything. */
export async function runScenario(
  net: Internet,
  s: Scenario,
  opts: { resolver: Resolver; verify: boolean },
): Promise<Run> {
  const before = snapshot(net, s);
  const fromQuery = net.authority.queries.length;
  const o = labDeliverOptions(net, opts.resolver);
  const rcpt = recipientOf(s);
  const result = opts.verify
    ? await lookupRcpt(rcpt, { ...o, from: 'sender@client.lab' })
    : await deliver({ from: 'sender@client.lab', to: [rcpt] }, MESSAGE, o);
  return { result, problems: checkRun(net, s, { result, before, fromQuery, verify: opts.verify }) };
}

/** Check an observed result (from the library or the CLI's JSON) against the scenario. */
export function checkRun(
  net: Internet,
  s: Scenario,
  run: { result: DeliveryResult; before: Map<string, Counts>; fromQuery: number; verify: boolean },
): string[] {
  const ctx = { port: net.smtpPort, addressOf: (h: string) => net.addressOf(h), verify: run.verify };
  const problems = deliveryProblems(run.result, s, ctx);
  problems.push(...receiverProblems(net, s, run.before, run.verify));
  if (s.expect.noTlsaQuery === true) problems.push(...tlsaQueryProblems(net, s, run.fromQuery));
  return problems;
}

/** Snapshot the receivers and the query log before a run made elsewhere (the CLI). */
export function beforeRun(net: Internet, s: Scenario): { before: Map<string, Counts>; fromQuery: number } {
  return { before: snapshot(net, s), fromQuery: net.authority.queries.length };
}

/** A readable failure message. */
export function explain(
  s: Scenario,
  mode: LabResolverMode,
  run: { result: DeliveryResult; problems: string[] },
): string {
  return [
    `scenario ${s.id} (${mode}): ${run.problems.join('; ')}`,
    `result: ${run.result.outcome} ${run.result.enhanced} tls=${String(run.result.tls)} — ${run.result.reason}`,
    ...run.result.log.map((l) => `  | ${l}`),
  ].join('\n');
}
