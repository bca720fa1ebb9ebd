/**
 * `dane-mta resolve NAME [TYPE] [--json] [--trace]`: one validated lookup, printed as zone-file
 * lines with its security status (RFC 4035 §4.3: secure, insecure, bogus, indeterminate), or as
 * the JSON object of DESIGN.md `{ name, type, status, rcode, records, reason }` plus `kind`,
 * `canonicalName`, `aliases`, `ttl`, `ede`. `--trace` shows the chain of trust it proved, link
 * by link (trust anchor, DS, DNSKEY, each RRset and denial), as `delv +rtrace` does.
 * Exit: 0 when the lookup completed (records, NODATA or NXDOMAIN, whatever the status), 75 when
 * it failed (bogus, unreachable servers), 64 bad usage, 78 unusable trust-anchor / root-hints file.
 * Must never: print records of a failed (bogus) lookup.
 */
import { domainToASCII } from 'node:url';
import { requireProof } from '../../dns/dnssec/index.ts';
import type { Answer } from '../../dns/resolver/index.ts';
import {
  formatRr,
  Name,
  rcodeToString,
  RRType,
  typeFromString,
  typeToString,
  type Rr,
} from '../../dns/wire/index.ts';
import { describeError, ExitCode } from '../../util/index.ts';
import { boolOpt, UsageError, type Command, type CommandIo, type ParsedArgs } from '../command.ts';
import { DNS_OPTIONS, resolverFromArgs } from '../dns-options.ts';

/** The JSON shape printed by `resolve --json`. */
export interface ResolveJson {
  name: string;
  type: string;
  status: string;
  rcode: string;
  records: string[];
  reason: string | null;
  kind: string;
  canonicalName: string;
  aliases: { kind: string; from: string; to: string; status: string }[];
  ttl: number;
  ede: number | null;
  trace?: string[];
}

function parseName(text: string): Name {
  const ascii = /^[\x20-\x7e]*$/.test(text) ? text : domainToASCII(text.replace(/\.$/, ''));
  if (ascii === '') throw new UsageError(`'${text}' is not a valid domain name`);
  try {
    return Name.parse(ascii.endsWith('.') ? ascii : `${ascii}.`);
  } catch (e) {
    throw new UsageError(`'${text}' is not a valid domain name: ${describeError(e)}`);
  }
}

function parseType(text: string | undefined): number {
  if (text === undefined) return RRType.A;
  const byName = typeFromString(text);
  if (byName !== undefined && byName !== RRType.OPT) return byName;
  if (/^\d{1,5}$/.test(text) && Number(text) <= 0xffff) return Number(text);
  throw new UsageError(`'${text}' is not a record type (use a mnemonic such as A, MX, TLSA, or TYPE123)`);
}

/**
 * The records shown: those of an answer of any status but bogus (the status is printed beside
 * them; a bogus answer has none — the resolver reports it as a failed lookup).
 */
function displayed(a: Answer): readonly Rr[] {
  return a.kind === 'answer' ? requireProof(a.rrset, 'indeterminate') : [];
}

/** The JSON object of an answer. */
export function answerJson(a: Answer): ResolveJson {
  return {
    name: a.name.toString(),
    type: typeToString(a.type),
    status: a.status,
    rcode: rcodeToString(a.rcode),
    records: displayed(a).map(formatRr),
    reason: a.reason ?? null,
    kind: a.kind,
    canonicalName: a.canonicalName.toString(),
    aliases: a.aliases.map((l) => ({
      kind: l.kind,
      from: l.from.toString(),
      to: l.to.toString(),
      status: l.status,
    })),
    ttl: a.ttl,
    ede: a.ede ?? null,
    ...(a.trace === undefined ? {} : { trace: [...a.trace] }),
  };
}

const KIND_TEXT: Readonly<Record<Answer['kind'], string>> = {
  answer: 'answer',
  nodata: 'no records of this type (NODATA)',
  nxdomain: 'the name does not exist (NXDOMAIN)',
  failed: 'lookup failed',
};

/** The human-readable form: trace, status line, aliases, records, reason. */
export function answerText(a: Answer): string {
  const lines: string[] = [...(a.trace ?? [])];
  const q = `${a.name.toString()} ${typeToString(a.type)}`;
  lines.push(`; ${a.status}: ${q}: ${KIND_TEXT[a.kind]} (${rcodeToString(a.rcode)})`);
  for (const l of a.aliases) {
    lines.push(`; ${l.kind.toUpperCase()} ${l.from.toString()} -> ${l.to.toString()} (${l.status})`);
  }
  lines.push(...displayed(a).map(formatRr));
  if (a.reason !== undefined)
    lines.push(`; reason: ${a.reason}${a.ede === undefined ? '' : ` (EDE ${a.ede})`}`);
  return lines.join('\n') + '\n';
}

async function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const name = parseName(args.positionals[0] ?? '');
  const type = parseType(args.positionals[1]);
  const resolver = await resolverFromArgs(args, io);
  const answer = await resolver.lookup(name, type, { trace: boolOpt(args, 'trace') });
  if (boolOpt(args, 'json')) io.stdout(JSON.stringify(answerJson(answer)) + '\n');
  else io.stdout(answerText(answer));
  return answer.kind === 'failed' ? ExitCode.TEMPFAIL : ExitCode.OK;
}

export const resolveCommand: Command = {
  name: 'resolve',
  summary: 'look up a DNS record and prove it with DNSSEC (secure, insecure, bogus, indeterminate)',
  usage: 'NAME [TYPE]',
  positionals: { min: 1, max: 2 },
  options: {
    json: { type: 'boolean', help: 'print one JSON object' },
    trace: { type: 'boolean', help: 'show the chain of trust that was proved, link by link' },
    ...DNS_OPTIONS,
  },
  details: [
    'TYPE is a mnemonic (A, AAAA, MX, TLSA, …), TYPEnnn or a number; default A.',
    'Exit status: 0 when the lookup completed (records, NODATA or NXDOMAIN, whatever the status),',
    '75 when it failed (bogus, servers unreachable), 64 bad usage, 78 unusable anchor/hints file.',
    '',
    'examples:',
    '  dane-mta resolve _25._tcp.mail.example.org TLSA --trace',
    '  dane-mta resolve example.org MX --dns-mode recursive --json',
  ].join('\n'),
  run,
};
