/**
 * Compares what a delivery produced with what a scenario expects: outcome (DESIGN.md's
 * vocabulary; `lookup-rcpt` maps delivered/bounced to accepted/rejected), enhanced status code,
 * TLS level and the transcript lines (in order, with `…` as a wildcard, `{port}` and
 * `{ip:HOST}` expanded). Used by the end-to-end tests and by the demo as a smoke test.
 * Pure; returns problems as one-line texts.
 */
import type { ExpectedOutcome, Scenario } from './types.ts';

/** The facts of a delivery result that scenarios speak about (DESIGN.md's CLI JSON). */
export interface ObservedDelivery {
  readonly outcome: string;
  readonly enhanced?: string;
  readonly tls: string | null;
  readonly log: readonly string[];
}

/** What patterns need to know about the running Internet. */
export interface PatternContext {
  readonly port: number;
  addressOf(host: string): string | undefined;
}

/** Outcome of `lookup-rcpt` for an expected `send` outcome. */
export function verifyOutcome(outcome: ExpectedOutcome): 'accepted' | 'rejected' | 'deferred' {
  if (outcome === 'delivered') return 'accepted';
  return outcome === 'bounced' ? 'rejected' : 'deferred';
}

/** The recipient address of a scenario. */
export function recipientOf(s: Scenario): string {
  return `${s.localPart ?? 'user'}@${s.domain}`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A transcript pattern as an anchored regular expression. */
export function linePattern(pattern: string, ctx: PatternContext): RegExp {
  const expanded = pattern
    .replaceAll('{port}', String(ctx.port))
    .replace(/\{ip:([^}]+)\}/g, (_m, host: string) => ctx.addressOf(host) ?? `<no address for ${host}>`);
  return new RegExp(`^${expanded.split('…').map(escape).join('.*')}$`);
}

/** Problems with the transcript: missing lines (in order) and forbidden ones. */
export function transcriptProblems(
  log: readonly string[],
  want: { log: readonly string[]; notLog?: readonly string[] },
  ctx: PatternContext,
): string[] {
  const out: string[] = [];
  let at = 0;
  for (const p of want.log) {
    const re = linePattern(p, ctx);
    const found = log.findIndex((line, i) => i >= at && re.test(line));
    if (found < 0) {
      out.push(`transcript lacks ${JSON.stringify(p)} (after line ${at})`);
      continue;
    }
    at = found + 1;
  }
  for (const p of want.notLog ?? []) {
    const re = linePattern(p, ctx);
    const bad = log.find((line) => re.test(line));
    if (bad !== undefined) out.push(`transcript has forbidden line ${JSON.stringify(bad)}`);
  }
  return out;
}

/**
 * Problems of an observed delivery against the scenario's expectation; `verify` for
 * `lookup-rcpt`, whose outcomes are accepted/rejected/deferred and whose transcript says
 * `Rejected:` where `send` says `Bounced:`.
 */
export function deliveryProblems(
  observed: ObservedDelivery,
  scenario: Scenario,
  ctx: PatternContext & { verify?: boolean },
): string[] {
  const e = scenario.expect;
  const verify = ctx.verify === true;
  const out: string[] = [];
  const outcome = verify ? verifyOutcome(e.outcome) : e.outcome;
  if (observed.outcome !== outcome) out.push(`outcome ${observed.outcome}, expected ${outcome}`);
  if (e.enhanced !== undefined && observed.enhanced !== undefined && observed.enhanced !== e.enhanced) {
    out.push(`enhanced status ${observed.enhanced}, expected ${e.enhanced}`);
  }
  if (observed.tls !== e.tls) out.push(`tls ${String(observed.tls)}, expected ${String(e.tls)}`);
  const rename = (p: string): string => (verify ? p.replace(/^Bounced:/, 'Rejected:') : p);
  const want = { log: e.log.map(rename), ...(e.notLog === undefined ? {} : { notLog: e.notLog }) };
  out.push(...transcriptProblems(observed.log, want, ctx));
  return out;
}
