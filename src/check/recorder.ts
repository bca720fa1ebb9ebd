/**
 * A `DaneResolver` that remembers every answer the check received, so that findings which span
 * lookups — the earliest RRSIG expiration of a zone, the EDE reason of a bogus answer — come from
 * what the validating resolver actually said, whichever lookup asked. Also the RFC 8914 §4 names
 * of Extended DNS Error codes for messages. Decides nothing; no I/O of its own.
 */
import { Ede } from '../dns/dnssec/index.ts';
import type { DaneResolver } from '../dane/index.ts';
import type { Answer } from '../dns/resolver/index.ts';
import type { Name } from '../dns/wire/index.ts';

/** The names RFC 8914 §4 gives the INFO-CODEs (`Signature Expired`). */
const EDE_TEXT: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Ede).map(([key, code]) => [
    code,
    key
      .toLowerCase()
      .split('_')
      .map((w) =>
        ['dnssec', 'ds', 'dnskey', 'nsec', 'nsec3', 'rrsigs', 'nxdomain'].includes(w) ? w.toUpperCase() : w,
      )
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(' ')
      .replace('RRSIGS', 'RRSIGs'),
  ]),
);

/** `EDE 7 (Signature Expired)`, or `EDE 99` for a code without a name. */
export function describeEde(code: number): string {
  const text = EDE_TEXT[code];
  return text === undefined ? `EDE ${code}` : `EDE ${code} (${text})`;
}

/** Wraps a resolver and keeps its answers. */
export class RecordingResolver implements DaneResolver {
  readonly #inner: DaneResolver;
  readonly #answers: Answer[] = [];
  readonly #pending = new Map<string, Promise<Answer>>();

  constructor(inner: DaneResolver) {
    this.#inner = inner;
  }

  /** Ask the wrapped resolver (one question in flight per name and type) and keep the answer. */
  lookup(name: Name, type: number): Promise<Answer> {
    const key = `${name.key()}|${type}`;
    const running = this.#pending.get(key);
    if (running !== undefined) return running;
    const p = this.#inner.lookup(name, type).then((a) => {
      this.#answers.push(a);
      return a;
    });
    this.#pending.set(key, p);
    return p;
  }

  /** Every answer so far, in arrival order. */
  get answers(): readonly Answer[] {
    return this.#answers;
  }

  /** The answers for `name` (any type) that failed validation (status bogus). */
  bogusFor(name: Name): Answer[] {
    return this.#answers.filter((a) => a.status === 'bogus' && a.name.equals(name));
  }
}

/** `REASON (EDE 7 (Signature Expired))` for a failed answer. */
export function failureText(a: Pick<Answer, 'reason' | 'ede'>): string {
  const why = a.reason ?? 'lookup failed';
  return a.ede === undefined ? why : `${why} (${describeEde(a.ede)})`;
}
