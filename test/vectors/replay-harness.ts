/**
 * Replays one of Unbound's `val_*.rpl` validator scenarios against our `Resolver`: a fake
 * `DnsExchange` answers every query from the scenario's RANGE entries for the server address
 * asked (ldns-testpkts MATCH semantics: opcode, qtype, qname, subdomain, TCP/UDP; ADJUST
 * copy_id / copy_query), in `recursive` mode from the scenario's `stub-zone "."` addresses (or
 * `validate` mode through a `forward-zone "."`), with the scenario's trust anchors and
 * `val-override-date` as "now". Each QUERY step runs one lookup; each CHECK_ANSWER is compared
 * with it (status from the AD bit, rcode, answer records). TIME_PASSES moves the clock.
 * Test-only; nothing here touches the network.
 */
import {
  formatRdata,
  isType,
  Name,
  Rcode,
  rcodeToString,
  RRType,
  typeToString,
  type Message,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/index.ts';
import {
  ForwardingUpstream,
  IterativeUpstream,
  Resolver,
  TrustAnchors,
  type Answer,
  type DnsExchange,
  type ExchangeResult,
  type ServerAddress,
  type StubZone,
} from '../../src/dns/resolver/index.ts';
import { FixedClock, parseDnsTimestamp, seededRandom } from '../../src/util/index.ts';
import { REPLAY_CRYPTO } from './replay-crypto.ts';
import {
  configValues,
  entryFlags,
  entryRcode,
  entryToMessage,
  type RplScenario,
  type TestEntry,
} from './unbound-testdata.ts';

/** One fake server exchange, for diagnostics. */
export interface LoggedQuery {
  step: number;
  server: string;
  qname: string;
  qtype: string;
  answered: boolean;
}

function matches(entry: TestEntry, query: Message, tcp: boolean): boolean {
  const q = query.questions[0];
  const e = entry.question[0];
  const words = entry.match.map((w) => w.toLowerCase());
  if (words.includes('tcp') && !tcp) return false;
  if (words.includes('udp') && tcp) return false;
  if (q === undefined) return false;
  if (words.includes('opcode') && query.flags.opcode !== 0) return false;
  if (words.includes('qtype') && e?.type !== q.type) return false;
  if (words.includes('qname') && (e === undefined || !q.name.equals(e.name))) return false;
  if (words.includes('subdomain') && (e === undefined || !q.name.isSubdomainOf(e.name))) return false;
  return true;
}

/** The scenario's fake Internet: answers from RANGE entries by address and step. */
export class ScenarioNet implements DnsExchange {
  readonly #sc: RplScenario;
  step = 0;
  readonly log: LoggedQuery[] = [];

  constructor(sc: RplScenario) {
    this.#sc = sc;
  }

  #answer(query: Message, address: string, tcp: boolean): Message | undefined {
    for (const range of this.#sc.ranges) {
      if (this.step < range.start || this.step > range.end) continue;
      if (range.addresses.length > 0 && !range.addresses.includes(address)) continue;
      const entry = range.entries.find((e) => matches(e, query, tcp));
      if (entry === undefined) continue;
      const reply = entryToMessage(entry, query.id);
      if (entry.adjust.includes('copy_query')) reply.questions = [...query.questions];
      return reply;
    }
    return undefined;
  }

  exchange(query: Message, servers: readonly ServerAddress[]): Promise<ExchangeResult> {
    let last: ExchangeResult = { ok: false, reason: 'no server answered (timeout)' };
    const q = query.questions[0];
    for (const server of servers) {
      let reply = this.#answer(query, server.address, false);
      if (reply?.flags.tc === true) reply = this.#answer(query, server.address, true);
      this.log.push({
        step: this.step,
        server: server.address,
        qname: q?.name.toString() ?? '?',
        qtype: q === undefined ? '?' : typeToString(q.type),
        answered: reply !== undefined,
      });
      if (reply === undefined) continue;
      last = { ok: true, message: reply, server };
      // As the transport does: SERVFAIL / REFUSED / NOTIMP from one server → try the next.
      if (reply.rcode !== Rcode.SERVFAIL && reply.rcode !== Rcode.REFUSED && reply.rcode !== Rcode.NOTIMP)
        break;
    }
    return Promise.resolve(last);
  }
}

function zonesOf(sc: RplScenario, clause: string, addrKey: string): StubZone[] {
  const out: StubZone[] = [];
  let current: StubZone | undefined;
  for (const item of sc.config) {
    if (item.clause !== clause) continue;
    if (item.key === 'name') {
      current = { zone: Name.parse(item.value), servers: [], recursive: clause === 'forward-zone' };
      out.push(current);
    } else if (item.key === addrKey && current !== undefined) {
      const [address = '', port] = item.value.split(/\s+/)[0]?.split('@') ?? [];
      current.servers.push({ address, port: port === undefined ? 53 : Number(port) });
    }
  }
  return out;
}

/**
 * `val-override-date: "-1"` tells Unbound to ignore signature dates; we pick a time inside the
 * validity window all RRSIGs of the scenario share (or the latest inception when they share none).
 */
function timeInsideSignatures(sc: RplScenario): number | undefined {
  const sigs = sc.ranges
    .flatMap((r) => r.entries)
    .flatMap((e) => [...e.answer, ...e.authority, ...e.additional])
    .filter((rr): rr is Rr<RrsigRdata> => isType(rr, RRType.RRSIG));
  if (sigs.length === 0) return undefined;
  const inception = Math.max(...sigs.map((s) => s.data.inception));
  return inception + 1;
}

/** A resolver wired to the scenario's fake network, clock and trust anchors. */
export function scenarioResolver(sc: RplScenario): {
  resolver: Resolver;
  net: ScenarioNet;
  clock: FixedClock;
} {
  const date = configValues(sc, 'val-override-date')[0];
  const seconds =
    date === '-1' ? timeInsideSignatures(sc) : date === undefined ? undefined : parseDnsTimestamp(date);
  if (seconds === undefined) throw new Error('scenario without val-override-date');
  const clock = new FixedClock(seconds * 1000);
  const net = new ScenarioNet(sc);
  const random = seededRandom(7);
  const stubs = zonesOf(sc, 'stub-zone', 'stub-addr');
  const forwards = zonesOf(sc, 'forward-zone', 'forward-addr');
  const rootForward = forwards.find((f) => f.zone.isRoot);
  const anchorsText = configValues(sc, 'trust-anchor');
  const negative = configValues(sc, 'domain-insecure').map((n) => Name.parse(n));
  const anchors = new TrustAnchors(anchorsText.length === 0 ? [] : parseTrustAnchors(anchorsText), {
    negative,
  });
  const upstream =
    rootForward !== undefined
      ? new ForwardingUpstream(rootForward.servers, net, { random, checkingDisabled: true })
      : new IterativeUpstream(
          (stubs.find((s) => s.zone.isRoot)?.servers ?? []).map((s) => ({
            name: Name.parse('root-server.'),
            addresses: [s.address],
          })),
          net,
          {
            clock,
            random,
            stubs: [...stubs.filter((s) => !s.zone.isRoot), ...forwards],
          },
        );
  const resolver = new Resolver({
    upstream,
    mode: rootForward !== undefined ? 'validate' : 'recursive',
    anchors,
    clock,
    crypto: REPLAY_CRYPTO,
  });
  return { resolver, net, clock };
}

function rrKey(rr: Rr): string {
  return `${rr.name.toString().toLowerCase()} ${typeToString(rr.type)} ${formatRdata(rr).toLowerCase()}`;
}

/** The outcome of one CHECK_ANSWER. */
export interface CheckResult {
  step: number;
  question: string;
  ok: boolean;
  want: string;
  got: string;
  problems: string[];
  answer: Answer;
}

/** What a CHECK_ANSWER expects, in our terms. */
function expectation(
  check: TestEntry,
  query: TestEntry,
): { statuses: string[]; failed: boolean; rcode: number } {
  const rcode = entryRcode(check);
  const { flags } = entryFlags(check);
  const qf = entryFlags(query);
  if (rcode === Rcode.SERVFAIL) return { statuses: ['bogus', 'indeterminate'], failed: true, rcode };
  // Other error rcodes (YXDOMAIN for an overlong DNAME substitution) are no usable answer either.
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN)
    return { statuses: ['bogus', 'indeterminate'], failed: true, rcode };
  if (qf.flags.cd)
    return { statuses: ['secure', 'insecure', 'indeterminate', 'bogus'], failed: false, rcode };
  if (flags.ad) return { statuses: ['secure'], failed: false, rcode };
  // Unbound sets AD only when the query had DO or AD; otherwise secure and insecure look alike.
  if (!qf.do && !qf.flags.ad)
    return { statuses: ['secure', 'insecure', 'indeterminate'], failed: false, rcode };
  return { statuses: ['insecure', 'indeterminate'], failed: false, rcode };
}

function compare(answer: Answer, check: TestEntry, query: TestEntry, qtype: number): string[] {
  const want = expectation(check, query);
  const problems: string[] = [];
  const failed = answer.kind === 'failed';
  if (want.failed !== failed) {
    problems.push(want.failed ? 'expected a failed lookup' : 'lookup failed');
  } else if (want.failed) {
    if (want.rcode !== Rcode.SERVFAIL && answer.rcode !== want.rcode)
      problems.push(`rcode ${rcodeToString(answer.rcode)}, want ${rcodeToString(want.rcode)}`);
  } else {
    if (!want.statuses.includes(answer.status))
      problems.push(`status ${answer.status}, want ${want.statuses.join('|')}`);
    if (answer.rcode !== want.rcode)
      problems.push(`rcode ${rcodeToString(answer.rcode)}, want ${rcodeToString(want.rcode)}`);
    const wantRecords = check.answer
      // The RRset at the end of the alias chain (for qtype CNAME/DNAME the chain's own records
      // have the queried type too).
      .filter(
        (rr) =>
          (rr.type !== RRType.RRSIG || qtype === RRType.RRSIG) &&
          (rr.type === qtype || qtype === RRType.ANY) &&
          rr.name.equals(answer.canonicalName),
      )
      .map(rrKey)
      .sort();
    // Records of any proof: the status is compared above.
    const gotRecords = answer.rrset.require('bogus').map(rrKey).sort();
    if (qtype !== RRType.ANY && wantRecords.join('\n') !== gotRecords.join('\n')) {
      problems.push(`records [${gotRecords.join('; ')}], want [${wantRecords.join('; ')}]`);
    }
  }
  return problems;
}

/** Run every QUERY / CHECK_ANSWER / TIME_PASSES step of a scenario. */
export async function replayScenario(sc: RplScenario): Promise<{ checks: CheckResult[]; net: ScenarioNet }> {
  const { resolver, net, clock } = scenarioResolver(sc);
  const checks: CheckResult[] = [];
  let query: TestEntry | undefined;
  let answer: Answer | undefined;
  for (const step of sc.steps) {
    if (step.kind === 'TIME_PASSES') {
      clock.advance((step.elapse ?? 0) * 1000);
      continue;
    }
    if (step.kind === 'QUERY' && step.entry !== undefined) {
      net.step = step.id;
      query = step.entry;
      const q = query.question[0];
      if (q === undefined) throw new Error(`step ${step.id}: query without a question`);
      answer = await resolver.lookup(q.name, q.type);
      continue;
    }
    if (
      step.kind === 'CHECK_ANSWER' &&
      step.entry !== undefined &&
      query !== undefined &&
      answer !== undefined
    ) {
      const q = query.question[0] as { name: Name; type: number };
      const problems = compare(answer, step.entry, query, q.type);
      const want = expectation(step.entry, query);
      checks.push({
        step: step.id,
        question: `${q.name.toString()} ${typeToString(q.type)}`,
        ok: problems.length === 0,
        want: want.failed ? 'failed' : `${want.statuses.join('|')} ${rcodeToString(want.rcode)}`,
        got: `${answer.kind} ${answer.status} ${rcodeToString(answer.rcode)}${answer.reason === undefined ? '' : ` (${answer.reason})`}`,
        problems,
        answer,
      });
    }
  }
  return { checks, net };
}
