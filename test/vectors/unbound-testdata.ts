/**
 * A reader for NLnet Labs' ldns "testpkts" entry format as used by Unbound's test data
 * (testdata/test_sigs.*, test_ds.*, test_nsec3_hash.*) and the `.rpl` replay scenarios
 * (CONFIG section, SCENARIO_BEGIN, RANGE_BEGIN/ADDRESS/ENTRY…/RANGE_END, STEP n KIND + entry).
 * Records are parsed with our own zone parser; record types the wire layer has no codec or
 * mnemonic for (NAPTR, PX, …) are rewritten to the RFC 3597 generic form first. Test-only: it
 * reads text given to it and never touches the network.
 */
import { fromHex } from '../../src/util/index.ts';
import {
  decodeRdata,
  DEFAULT_FLAGS,
  encodeRdata,
  logicalLines,
  Name,
  parseZone,
  Rcode,
  RRClass,
  RRType,
  tokenize,
  typeFromString,
  type Flags,
  type Message,
  type Question,
  type Rr,
  type RrsigRdata,
  type Token,
} from '../../src/dns/wire/index.ts';

/** One ENTRY_BEGIN … ENTRY_END block. */
export interface TestEntry {
  /** 1-based line of ENTRY_BEGIN in the source text. */
  line: number;
  /** Words after MATCH (e.g. `opcode qtype qname`, `all`, `ede=6`). */
  match: string[];
  /** Words after ADJUST (e.g. `copy_id`, `copy_query`). */
  adjust: string[];
  /** Words after REPLY: header flags (QR AA TC RD RA AD CD DO) and the RCODE mnemonic. */
  reply: string[];
  question: Question[];
  answer: Rr[];
  authority: Rr[];
  additional: Rr[];
}

/** A RANGE_BEGIN … RANGE_END block: the answers of one fake server during steps start..end. */
export interface RplRange {
  start: number;
  end: number;
  addresses: string[];
  entries: TestEntry[];
}

/** A STEP line and, for QUERY / CHECK_ANSWER / CHECK_OUT_QUERY / REPLY, its entry. */
export interface RplStep {
  id: number;
  kind: string;
  /** Further words on the STEP line (`ELAPSE 10`, `ADDRESS 1.2.3.4`). */
  args: string[];
  /** Seconds of a TIME_PASSES step. */
  elapse?: number;
  entry?: TestEntry;
}

/** One `key: value` line of the CONFIG section, with the clause it appeared under. */
export interface RplConfigItem {
  clause: string;
  key: string;
  value: string;
}

/** A parsed `.rpl` scenario. */
export interface RplScenario {
  title: string;
  config: RplConfigItem[];
  ranges: RplRange[];
  steps: RplStep[];
}

/** Mnemonics of types our wire layer does not know, for the generic rewrite. */
const EXTRA_TYPES: Readonly<Record<string, number>> = Object.fromEntries(
  'MD 3 MF 4 MB 7 MG 8 MR 9 NULL 10 WKS 11 MINFO 14 RP 17 AFSDB 18 SIG 24 KEY 25 PX 26 LOC 29 NXT 30 NAPTR 35 KX 36 CERT 37 A6 38 SSHFP 44 CDS 59 CDNSKEY 60 OPENPGPKEY 61 CSYNC 62 ZONEMD 63 SVCB 64 HTTPS 65 SPF 99 IXFR 251 AXFR 252 MAILB 253 MAILA 254 URI 256 TA 32768 DLV 32769'
    .split(' ')
    .flatMap((w, i, all) => (i % 2 === 0 ? [[w, Number(all[i + 1])] as const] : [])),
);

/** Private-use type numbers that carry malformed rdata of a known type through the parser. */
const CARRIER_BASE = 65280;

const STEP_WITH_ENTRY = new Set(['QUERY', 'CHECK_ANSWER', 'CHECK_OUT_QUERY', 'REPLY']);

/** A parse problem in test data, naming the line. */
export class TestdataError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'TestdataError';
  }
}

/** The number of a type mnemonic, including those only this reader knows. */
export function typeNumber(text: string): number | undefined {
  return typeFromString(text) ?? EXTRA_TYPES[text.toUpperCase()];
}

function hexOfString(text: string): string {
  const bytes = Buffer.from(
    text.replace(/\\(\d{3}|.)/g, (_m, e: string) => (/^\d{3}$/.test(e) ? String.fromCharCode(Number(e)) : e)),
    'latin1',
  );
  return bytes.length.toString(16).padStart(2, '0') + bytes.toString('hex');
}

function nameHex(text: string): string {
  return Buffer.from(Name.parse(text).toWire()).toString('hex');
}

/** NAPTR (RFC 3403 §4.1): order, preference, flags, services, regexp, replacement. */
function naptrGeneric(tokens: readonly Token[]): Token[] {
  const [order, pref, flags, services, regexp, replacement] = tokens;
  if (order === undefined || pref === undefined || flags === undefined || services === undefined) {
    throw new Error('short NAPTR rdata');
  }
  if (regexp === undefined || replacement === undefined) throw new Error('short NAPTR rdata');
  const hex =
    Number(order.text).toString(16).padStart(4, '0') +
    Number(pref.text).toString(16).padStart(4, '0') +
    hexOfString(flags.text) +
    hexOfString(services.text) +
    hexOfString(regexp.text) +
    nameHex(replacement.text);
  return [
    { text: '\\#', quoted: false },
    { text: String(hex.length / 2), quoted: false },
    { text: hex, quoted: false },
  ];
}

function asTypeToken(t: Token): Token {
  if (t.quoted) return t;
  const extra = EXTRA_TYPES[t.text.toUpperCase()];
  return extra === undefined ? t : { text: `TYPE${extra}`, quoted: false };
}

/** Generic rdata of an RRSIG given without a signature (test data may omit it). */
function rrsigWithoutSignature(rdata: readonly Token[]): Token[] {
  const text = `. 0 IN RRSIG ${rdata.map((t) => t.text).join(' ')} AA==`;
  const rr = parseZone(text)[0] as Rr<RrsigRdata>;
  const bytes = encodeRdata(RRType.RRSIG, { ...rr.data, signature: new Uint8Array(0) });
  return [
    { text: '\\#', quoted: false },
    { text: String(bytes.length), quoted: false },
    { text: Buffer.from(bytes).toString('hex'), quoted: false },
  ];
}

/**
 * Rewrite one logical RR line so that our zone parser accepts it. `carriers` collects types
 * whose generic (\\#) rdata does not decode (deliberately malformed test records): such a line
 * is parsed as a private-use type and the caller restores the type number afterwards.
 */
export function normalizeRrLine(line: string, carriers: number[] = []): string {
  const { tokens, startsWithBlank } = tokenize(line);
  if (tokens.length === 0) return '';
  let i = startsWithBlank ? 0 : 1;
  while (i < tokens.length && typeNumber((tokens[i] as Token).text) === undefined) i++;
  const typeTok = tokens[i];
  if (typeTok === undefined) return line; // let the zone parser report it
  const type = typeTok.text.toUpperCase();
  let typeOut = asTypeToken(typeTok);
  let rdata = tokens.slice(i + 1);
  if (EXTRA_TYPES[type] !== undefined) {
    if (rdata[0]?.text !== '\\#') {
      if (type !== 'NAPTR') throw new Error(`type ${type} only in the generic \\# form`);
      rdata = naptrGeneric(rdata);
    }
  } else if (rdata[0]?.text === '\\#') {
    const num = typeNumber(type) as number;
    try {
      decodeRdata(
        num,
        fromHex(
          rdata
            .slice(2)
            .map((t) => t.text)
            .join(''),
        ),
      );
    } catch {
      carriers.push(num);
      typeOut = { text: `TYPE${CARRIER_BASE + carriers.length - 1}`, quoted: false };
    }
  } else if (type === 'RRSIG' && rdata.length === 8) {
    rdata = rrsigWithoutSignature(rdata);
  } else if (type === 'NSEC' || type === 'NSEC3' || type === 'RRSIG') {
    rdata = rdata.map(asTypeToken);
  }
  const out = [...tokens.slice(0, i), typeOut, ...rdata].map((t) => (t.quoted ? `"${t.text}"` : t.text));
  return (startsWithBlank ? ' ' : '') + out.join(' ');
}

function parseRecords(text: string, line: number): Rr[] {
  try {
    const carriers: number[] = [];
    const lines = logicalLines(text)
      .map((l) => normalizeRrLine(l, carriers))
      .filter((l) => l.trim().length > 0);
    return parseZone(lines.join('\n')).map((rr) => {
      const original = carriers[rr.type - CARRIER_BASE];
      return original === undefined || rr.type < CARRIER_BASE ? rr : { ...rr, type: original };
    });
  } catch (e) {
    throw new TestdataError(line, e instanceof Error ? e.message : String(e));
  }
}

function parseQuestion(text: string, line: number): Question[] {
  const out: Question[] = [];
  for (const l of logicalLines(text)) {
    const { tokens } = tokenize(l);
    if (tokens.length === 0) continue;
    const words = tokens.map((t) => t.text);
    const typeText = words[words.length - 1] as string;
    const type = typeNumber(typeText);
    if (type === undefined || words.length < 2) throw new TestdataError(line, `bad question '${l.trim()}'`);
    const cls = words.length > 2 && words[1]?.toUpperCase() === 'CH' ? RRClass.CH : RRClass.IN;
    out.push({ name: Name.parse(words[0] as string), type, class: cls });
  }
  return out;
}

type SectionName = 'question' | 'answer' | 'authority' | 'additional';
const SECTIONS: Readonly<Record<string, SectionName>> = {
  QUESTION: 'question',
  ANSWER: 'answer',
  AUTHORITY: 'authority',
  ADDITIONAL: 'additional',
};

/** Strip a `;` comment outside quotes (keyword lines only). */
function stripComment(line: string): string {
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') q = !q;
    else if (c === ';' && !q) return line.slice(0, i);
  }
  return line;
}

function parenDelta(line: string): number {
  let d = 0;
  let q = false;
  for (const c of stripComment(line)) {
    if (c === '"') q = !q;
    else if (!q && c === '(') d++;
    else if (!q && c === ')') d--;
  }
  return d;
}

/** Reads entries from lines[at] (the ENTRY_BEGIN line) to ENTRY_END; returns the entry and the next index. */
function readEntry(lines: readonly string[], at: number): { entry: TestEntry; next: number } {
  const entry: TestEntry = {
    line: at + 1,
    match: [],
    adjust: [],
    reply: [],
    question: [],
    answer: [],
    authority: [],
    additional: [],
  };
  let section: SectionName | undefined;
  let buf: string[] = [];
  let bufLine = at + 1;
  let depth = 0;
  const flush = (): void => {
    if (section === undefined) return;
    const text = buf.join('\n');
    if (section === 'question') entry.question.push(...parseQuestion(text, bufLine));
    else entry[section].push(...parseRecords(text, bufLine));
    buf = [];
  };
  for (let i = at + 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    const words = stripComment(raw)
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 0);
    const head = depth > 0 ? undefined : words[0];
    if (head === 'ENTRY_END') {
      flush();
      return { entry, next: i + 1 };
    }
    if (head === 'SECTION') {
      flush();
      section = SECTIONS[(words[1] ?? '').toUpperCase()];
      if (section === undefined) throw new TestdataError(i + 1, `unknown section '${words[1] ?? ''}'`);
      bufLine = i + 2;
    } else if (head === 'MATCH' || head === 'ADJUST' || head === 'REPLY') {
      const key = head === 'MATCH' ? 'match' : head === 'ADJUST' ? 'adjust' : 'reply';
      entry[key].push(...words.slice(1));
    } else if (head !== undefined && /^(ENTRY_BEGIN|RANGE_\w+|STEP|HEX_\w+|RAW|EXTRA_PACKET)$/.test(head)) {
      throw new TestdataError(i + 1, `unexpected ${head} inside an entry`);
    } else if (section !== undefined) {
      buf.push(raw);
      depth = Math.max(0, depth + parenDelta(raw));
    } else if (words.length > 0) {
      throw new TestdataError(i + 1, `text outside a section: '${raw.trim()}'`);
    }
  }
  throw new TestdataError(at + 1, 'ENTRY_BEGIN without ENTRY_END');
}

/** Parse a file of bare entries (Unbound's test_sigs.*, test_ds.*, test_nsec3_hash.*). */
export function parseEntries(text: string): TestEntry[] {
  const lines = text.split(/\r?\n/);
  const out: TestEntry[] = [];
  for (let i = 0; i < lines.length;) {
    const head = stripComment(lines[i] as string)
      .trim()
      .split(/\s+/)[0];
    if (head === 'ENTRY_BEGIN') {
      const { entry, next } = readEntry(lines, i);
      out.push(entry);
      i = next;
    } else {
      i++;
    }
  }
  return out;
}

function parseConfigLine(line: string, clause: string): RplConfigItem | { clause: string } | undefined {
  const text = line.replace(/(^|\s)#.*$/, '').trim();
  if (text.length === 0) return undefined;
  const m = /^([\w-]+):\s*(.*)$/.exec(text);
  if (m === null) return undefined;
  const key = m[1] as string;
  let value = (m[2] as string).trim();
  if (value.length === 0) return { clause: key };
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
  return { clause, key, value };
}

/** Parse a `.rpl` replay scenario: its CONFIG section, ranges of canned answers and steps. */
export function parseRpl(text: string): RplScenario {
  const lines = text.split(/\r?\n/);
  const sc: RplScenario = { title: '', config: [], ranges: [], steps: [] };
  let i = 0;
  let clause = '';
  for (; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === 'CONFIG_END') break;
    if (raw.trim().startsWith(';')) continue;
    const item = parseConfigLine(raw, clause);
    if (item === undefined) continue;
    if ('key' in item) sc.config.push(item);
    else clause = item.clause;
  }
  if (i >= lines.length) throw new TestdataError(1, 'no CONFIG_END');
  let range: RplRange | undefined;
  let step: RplStep | undefined;
  for (i++; i < lines.length;) {
    const words = stripComment(lines[i] as string)
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 0);
    const head = words[0];
    if (head === 'ENTRY_BEGIN') {
      const { entry, next } = readEntry(lines, i);
      if (step !== undefined && STEP_WITH_ENTRY.has(step.kind) && step.entry === undefined)
        step.entry = entry;
      else if (range !== undefined) range.entries.push(entry);
      else throw new TestdataError(i + 1, 'entry outside a range or step');
      i = next;
      continue;
    }
    if (head === 'SCENARIO_BEGIN') sc.title = words.slice(1).join(' ');
    else if (head === 'RANGE_BEGIN') {
      range = { start: Number(words[1]), end: Number(words[2]), addresses: [], entries: [] };
      step = undefined;
    } else if (head === 'ADDRESS' && range !== undefined) range.addresses.push(words[1] ?? '');
    else if (head === 'RANGE_END') {
      if (range === undefined) throw new TestdataError(i + 1, 'RANGE_END without RANGE_BEGIN');
      sc.ranges.push(range);
      range = undefined;
    } else if (head === 'STEP') {
      step = { id: Number(words[1]), kind: words[2] ?? '', args: words.slice(3) };
      const e = words.indexOf('ELAPSE');
      if (e >= 0) step.elapse = Number(words[e + 1]);
      sc.steps.push(step);
    } else if (head !== undefined && head !== 'SCENARIO_END') {
      throw new TestdataError(i + 1, `unexpected '${head}'`);
    }
    i++;
  }
  return sc;
}

/** All values of a config key (e.g. every `trust-anchor`). */
export function configValues(sc: RplScenario, key: string): string[] {
  return sc.config.filter((c) => c.key === key).map((c) => c.value);
}

/** The RCODE named in an entry's REPLY words (NOERROR when none). */
export function entryRcode(entry: TestEntry): number {
  for (const w of entry.reply) {
    const v = (Rcode as Readonly<Record<string, number>>)[w.toUpperCase()];
    if (v !== undefined) return v;
  }
  return Rcode.NOERROR;
}

/** Header flags, DO bit and EDE expectations of an entry. */
export function entryFlags(entry: TestEntry): { flags: Flags; do: boolean; ede?: number } {
  const has = (f: string): boolean => entry.reply.some((w) => w.toUpperCase() === f);
  const flags: Flags = {
    ...DEFAULT_FLAGS,
    qr: has('QR'),
    aa: has('AA'),
    tc: has('TC'),
    rd: has('RD'),
    ra: has('RA'),
    ad: has('AD'),
    cd: has('CD'),
  };
  const ede = entry.match.find((w) => w.startsWith('ede='));
  const out: { flags: Flags; do: boolean; ede?: number } = { flags, do: has('DO') };
  if (ede !== undefined) out.ede = Number(ede.slice(4));
  return out;
}

/** Build a message from an entry (for replaying canned answers). */
export function entryToMessage(entry: TestEntry, id = 0): Message {
  const { flags, do: dnssecOk } = entryFlags(entry);
  const msg: Message = {
    id,
    flags,
    rcode: entryRcode(entry),
    questions: entry.question,
    answers: entry.answer,
    authorities: entry.authority,
    additionals: entry.additional,
  };
  if (dnssecOk) msg.edns = { udpSize: 4096, version: 0, do: true, options: [] };
  return msg;
}
