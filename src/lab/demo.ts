/**
 * The script of `dane-mta demo`: three deliveries over the simulated Internet — a DANE-signed
 * domain (RFC 7672 §3: authenticated by its TLSA record alone), an unsigned domain (no DNSSEC, so
 * opportunistic TLS, DESIGN.md's "insecure name" line) and a botched certificate renewal (the
 * TLSA record no longer matches the server's key: RFC 7672 §2.2 — defer, never plaintext) —
 * with headings, short explanations, the live transcripts and a summary; and the check that each
 * outcome is the expected one, so the demo doubles as a smoke test. The delivery itself is
 * passed in (the lab plays the Internet, not the MTA). Never throws for a delivery that goes
 * wrong: it reports it and returns ok = false.
 */
import { deliveryProblems, recipientOf, type ObservedDelivery } from './scenarios/check.ts';
import { DEMO_SCENARIOS } from './scenarios/dns.ts';
import { EE_311 } from './scenarios/kit.ts';
import type { TlsaRecordSpec } from './scenarios/publish.ts';
import type { Scenario } from './scenarios/types.ts';
import type { Internet } from './internet.ts';

/** One delivery of the demo and what the reader is told about it. */
export interface DemoStep {
  readonly scenario: Scenario;
  readonly heading: string;
  /** A few short lines of explanation, shown before the transcript. */
  readonly explain: readonly string[];
  /** One line for the summary when the outcome is the expected one. */
  readonly summary: string;
}

const [DANE, UNSIGNED, RENEWAL] = DEMO_SCENARIOS as [Scenario, Scenario, Scenario];

/** The demo's three deliveries, in order. */
export const DEMO_STEPS: readonly DemoStep[] = [
  {
    scenario: DANE,
    heading: `A DANE-signed domain: ${DANE.domain}`,
    explain: [
      'The zone is DNSSEC-signed and publishes a TLSA record "3 1 1 <SHA-256 of the server key>".',
      'dane-mta validates every DNS answer itself, from the root key down, and then accepts the',
      'server only if its key matches the record — no certificate authority is trusted.',
    ],
    summary: 'delivered over DANE-authenticated TLS',
  },
  {
    scenario: UNSIGNED,
    heading: `An unsigned domain: ${UNSIGNED.domain}`,
    explain: [
      'No DNSSEC, so nothing in DNS can be trusted and DANE cannot apply. dane-mta still uses',
      'TLS when offered (opportunistic TLS); the certificate is not from a CA we trust, which is',
      'logged but does not stop delivery in this mode.',
    ],
    summary: 'delivered with opportunistic TLS (no DNSSEC, so no DANE)',
  },
  {
    scenario: RENEWAL,
    heading: `A botched certificate renewal: ${RENEWAL.domain}`,
    explain: [
      'The server was given a new key, but its TLSA record still names the old one. A DANE',
      'client must not deliver to it: the message is deferred (4.7.5) and retried later —',
      'never sent in plaintext, never sent to an unauthenticated server.',
    ],
    summary: 'deferred — nothing was sent to a server that failed DANE',
  },
];

/**
 * The operator's fix of the botched renewal: publish the record of the key the server presents
 * now (RFC 7671 §8.1: "publish TLSA records for the new key" — here, late), with
 * `internet.publishTlsa(DEMO_RENEWAL_FIX.host, DEMO_RENEWAL_FIX.tlsa)`. A message deferred for
 * that domain is then delivered with DANE at its next try.
 */
export const DEMO_RENEWAL_FIX: { readonly host: string; readonly tlsa: readonly TlsaRecordSpec[] } = {
  host: RENEWAL.hosts[0]?.name ?? 'mx.botched-renewal.test',
  tlsa: [EE_311],
};

/** What the demo needs from a delivery result (DESIGN.md's CLI JSON). */
export interface DemoDelivery extends ObservedDelivery {
  readonly enhanced: string;
  readonly reason: string;
  readonly reply: { code: number; enhanced: string | null; text: string } | null;
  readonly attempts: readonly { readonly tlsa: readonly string[] }[];
}

/** Options of `runDemo`. */
export interface RunDemoOptions {
  readonly internet: Internet;
  /** Deliver one message to `recipient`, passing each transcript line to `onLog` as it happens. */
  readonly deliver: (recipient: string, onLog: (line: string) => void) => Promise<DemoDelivery>;
  readonly out: (text: string) => void;
  /** Milliseconds since the demo started, for the closing line. */
  readonly elapsed?: () => number;
}

/** The demo's verdict. */
export interface DemoResult {
  readonly ok: boolean;
  /** One entry per step: the problems found (empty when as expected). */
  readonly problems: readonly (readonly string[])[];
}

function heading(out: (t: string) => void, text: string, under: string): void {
  out(`\n${text}\n${under.repeat(text.length)}\n`);
}

function outcomeLine(d: DemoDelivery): string {
  const tls = d.tls === null ? '' : ` (TLS: ${d.tls})`;
  if (d.outcome === 'delivered' && d.reply !== null) {
    return `delivered${tls}: ${d.reply.code} ${d.reply.enhanced ?? ''} ${d.reply.text}`.replace(/\s+/g, ' ');
  }
  return `${d.outcome} ${d.enhanced}${tls}: ${d.reason}`;
}

function introduction(net: Internet, out: (t: string) => void): void {
  heading(out, 'dane-mta demo: DANE for SMTP on a simulated Internet', '=');
  out(
    [
      `Running on loopback only: a signed root, the TLD .test and ${DEMO_STEPS.length} mail domains.`,
      `DNS: authoritative servers on port ${net.dnsPort}. dane-mta asks ${net.allZonesAddress} with the CD bit`,
      `set and validates every answer itself from the lab's root key (${net.files.trustAnchor}).`,
      `MX hosts listen on port ${net.smtpPort}, so TLSA records live at _${net.smtpPort}._tcp.<host>.`,
      '',
    ].join('\n'),
  );
}

async function runStep(opts: RunDemoOptions, step: DemoStep, n: number): Promise<string[]> {
  const { out, internet } = opts;
  heading(out, `${n}. ${step.heading}`, '-');
  out(`${step.explain.map((l) => `   ${l}`).join('\n')}\n\n`);
  const rcpt = recipientOf(step.scenario);
  out(`   $ dane-mta send --from demo@client.lab --to ${rcpt}\n`);
  let result: DemoDelivery;
  try {
    result = await opts.deliver(rcpt, (line) => {
      out(`   | ${line}\n`);
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    out(`   ✗ the delivery failed to run: ${why}\n`);
    return [`delivery did not run: ${why}`];
  }
  const tlsa = result.attempts.flatMap((a) => a.tlsa);
  if (tlsa.length > 0) out(`   TLSA records: ${[...new Set(tlsa)].join(', ')}\n`);
  out(`   → ${outcomeLine(result)}\n`);
  const ctx = { port: internet.smtpPort, addressOf: (h: string) => internet.addressOf(h) };
  const problems = deliveryProblems(result, step.scenario, ctx);
  out(problems.length === 0 ? '   ✓ as expected\n' : `   ✗ NOT as expected: ${problems.join('; ')}\n`);
  return problems;
}

/** Run the three deliveries, print everything, and say whether each outcome was the expected one. */
export async function runDemo(opts: RunDemoOptions): Promise<DemoResult> {
  const { out } = opts;
  introduction(opts.internet, out);
  const problems: string[][] = [];
  for (const [i, step] of DEMO_STEPS.entries()) problems.push(await runStep(opts, step, i + 1));
  heading(out, 'Summary', '-');
  const width = Math.max(...DEMO_STEPS.map((s) => s.scenario.domain.length)) + 2;
  DEMO_STEPS.forEach((step, i) => {
    const bad = problems[i] ?? [];
    const mark = bad.length === 0 ? '✓' : '✗';
    const text = bad.length === 0 ? step.summary : `unexpected: ${bad[0] ?? ''}`;
    out(`  ${mark} ${step.scenario.domain.padEnd(width)}${text}\n`);
  });
  const ok = problems.every((p) => p.length === 0);
  const took = opts.elapsed === undefined ? '' : ` (${(opts.elapsed() / 1000).toFixed(1)} s)`;
  out(
    ok
      ? `\nAll three outcomes as expected${took}. Explore more cases with: dane-mta lab up\n`
      : `\nSome outcomes were not the expected ones${took}: this build of dane-mta is broken.\n`,
  );
  return { ok, problems };
}
