/**
 * A scripted stand-in for the validating resolver: answers (with their security status) are set
 * per question; anything unscripted is a lookup failure. Records every question asked, so tests
 * can assert that, e.g., no TLSA query was made for an insecure host.
 */
import { proven, type Proof } from '../../src/dns/dnssec/index.ts';
import type { AliasLink, Answer, AnswerKind } from '../../src/dns/resolver/index.ts';
import { Name, parseRr, Rcode, RRType, typeToString, type Rr } from '../../src/dns/wire/index.ts';

export interface Script {
  kind: AnswerKind;
  status?: Proof;
  /** Zone-file lines of the final RRset (owner names absolute). */
  records?: string[];
  /** Alias chain: [from, to, status] triples. */
  aliases?: [string, string, Proof][];
  reason?: string;
}

export class ScriptedResolver {
  readonly #answers = new Map<string, Script>();
  readonly asked: string[] = [];

  #key(name: Name, type: number): string {
    return `${name.key()} ${typeToString(type)}`;
  }

  /** Script the answer to (name, type); `type` is a mnemonic like 'MX'. */
  set(name: string, type: string, script: Script): this {
    const t = (RRType as Record<string, number>)[type];
    if (t === undefined) throw new Error(`unknown type ${type}`);
    this.#answers.set(this.#key(Name.parse(name), t), script);
    return this;
  }

  /** Questions asked for one type (mnemonic), as lower-case names. */
  askedFor(type: string): string[] {
    return this.asked.filter((q) => q.endsWith(` ${type}`)).map((q) => q.slice(0, q.lastIndexOf(' ')));
  }

  lookup(name: Name, type: number): Promise<Answer> {
    const key = this.#key(name, type);
    this.asked.push(key);
    const s = this.#answers.get(key) ?? {
      kind: 'failed',
      status: 'indeterminate',
      reason: `unscripted question ${key}`,
    };
    const records: Rr[] = (s.records ?? []).map((line) => parseRr(line));
    const aliases: AliasLink[] = (s.aliases ?? []).map(([from, to, status]) => ({
      kind: 'cname',
      from: Name.parse(from),
      to: Name.parse(to),
      status,
    }));
    const status = s.status ?? (s.kind === 'failed' ? 'bogus' : 'secure');
    return Promise.resolve({
      name,
      type,
      kind: s.kind,
      status,
      rcode: s.kind === 'nxdomain' ? Rcode.NXDOMAIN : s.kind === 'failed' ? Rcode.SERVFAIL : Rcode.NOERROR,
      rrset: proven(records, status),
      signatures: [],
      aliases,
      canonicalName: aliases.at(-1)?.to ?? name,
      ttl: 300,
      fromCache: false,
      ...(s.reason === undefined ? {} : { reason: s.reason }),
    });
  }
}
