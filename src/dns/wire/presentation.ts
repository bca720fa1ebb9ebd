/**
 * Zone-file text in and out (RFC 1035 §5): `$ORIGIN`, `$TTL`, inherited owners, `@`, relative
 * names, TTL and class in either order, TTL units (`1h30m`), type mnemonics or `TYPEnnn`, and
 * the generic `\#` rdata form (RFC 3597 §5). Used by tests, the lab and the CLI. Pure; no I/O.
 */
import { WireError } from './errors.ts';
import { Name } from './name.ts';
import { formatRdata, makeRr, parseRdataTokens, type Rr } from './record.ts';
import { logicalLines, tokenize, type Token } from './text.ts';
import { classFromString, classToString, RRClass, typeFromString, typeToString } from './types.ts';

export interface ZoneParseOptions {
  /** Origin for relative names until a `$ORIGIN` line (default: the root). */
  origin?: Name;
  /** TTL for records without one until a `$TTL` line (default 3600). */
  defaultTtl?: number;
}

/** Parse a TTL: plain seconds or BIND units (`1w2d3h4m5s`). */
export function parseTtl(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 0xffffffff ? n : undefined;
  }
  if (!/^(\d+[wdhms])+$/i.test(text)) return undefined;
  const unit: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const m of text.toLowerCase().matchAll(/(\d+)([wdhms])/g)) {
    total += Number(m[1]) * (unit[m[2] as string] as number);
  }
  return total <= 0xffffffff ? total : undefined;
}

interface ParseState {
  origin: Name;
  ttl: number;
  lastOwner: Name | undefined;
  lastClass: number;
}

function parseLine(tokens: Token[], blankOwner: boolean, st: ParseState): Rr {
  let i = 0;
  let owner: Name;
  if (blankOwner) {
    if (st.lastOwner === undefined) throw new WireError('DNS_ERR_BAD_TEXT', 'first record has no owner name');
    owner = st.lastOwner;
  } else {
    owner = Name.parse((tokens[i++] as Token).text, st.origin);
  }
  let ttl: number | undefined;
  let cls: number | undefined;
  let type: number | undefined;
  while (i < tokens.length && type === undefined) {
    const text = (tokens[i++] as Token).text;
    const asTtl = ttl === undefined ? parseTtl(text) : undefined;
    const asClass = cls === undefined ? classFromString(text) : undefined;
    if (asTtl !== undefined) ttl = asTtl;
    else if (asClass !== undefined) cls = asClass;
    else {
      type = typeFromString(text);
      if (type === undefined) throw new WireError('DNS_ERR_BAD_TEXT', `unknown type or bad field '${text}'`);
    }
  }
  if (type === undefined)
    throw new WireError('DNS_ERR_BAD_TEXT', `record for ${owner.toString()} has no type`);
  const data = parseRdataTokens(type, tokens.slice(i), st.origin);
  st.lastOwner = owner;
  st.lastClass = cls ?? st.lastClass;
  return makeRr({ name: owner, type, ttl: ttl ?? st.ttl, data, class: cls ?? st.lastClass });
}

function withLine<T>(lineNo: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireError) throw new WireError(e.code, `line ${lineNo}: ${e.message}`);
    throw e;
  }
}

/** Parse zone-file text into records. Errors name the logical line. */
export function parseZone(text: string, opts: ZoneParseOptions = {}): Rr[] {
  const st: ParseState = {
    origin: opts.origin ?? Name.ROOT,
    ttl: opts.defaultTtl ?? 3600,
    lastOwner: undefined,
    lastClass: RRClass.IN,
  };
  const out: Rr[] = [];
  logicalLines(text).forEach((line, idx) => {
    withLine(idx + 1, () => {
      const { tokens, startsWithBlank } = tokenize(line);
      if (tokens.length === 0) return;
      const head = (tokens[0] as Token).text.toUpperCase();
      if (!startsWithBlank && head === '$ORIGIN') {
        st.origin = Name.parse((tokens[1] ?? { text: '' }).text, st.origin);
      } else if (!startsWithBlank && head === '$TTL') {
        const ttl = parseTtl((tokens[1] ?? { text: '' }).text);
        if (ttl === undefined) throw new WireError('DNS_ERR_BAD_TEXT', 'bad $TTL');
        st.ttl = ttl;
      } else if (!startsWithBlank && head.startsWith('$')) {
        throw new WireError('DNS_ERR_BAD_TEXT', `unsupported directive ${head}`);
      } else {
        out.push(parseLine(tokens, startsWithBlank, st));
      }
    });
  });
  return out;
}

/** Parse exactly one record from presentation text. */
export function parseRr(text: string, opts: ZoneParseOptions = {}): Rr {
  const rrs = parseZone(text, opts);
  if (rrs.length !== 1) throw new WireError('DNS_ERR_BAD_TEXT', `expected one record, found ${rrs.length}`);
  return rrs[0] as Rr;
}

/** One zone-file line: `owner TTL CLASS TYPE rdata`. */
export function formatRr(rr: Rr): string {
  const rdata = formatRdata(rr);
  const head = `${rr.name.toString()} ${rr.ttl} ${classToString(rr.class)} ${typeToString(rr.type)}`;
  return rdata.length > 0 ? `${head} ${rdata}` : head;
}
