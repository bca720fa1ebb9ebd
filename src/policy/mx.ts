/**
 * MX host ordering (RFC 5321 §5.1): ascending preference; hosts of equal preference in random
 * order ("the sender-SMTP MUST randomize them to spread the load"); a cap on how many hosts one
 * delivery tries. Randomness is injected. Pure.
 */
import { shuffle, type Random } from '../util/index.ts';

export interface Preferred {
  preference: number;
}

/** Sort by preference, shuffling each group of equal preference; keep at most `limit`. */
export function orderMxHosts<T extends Preferred>(
  hosts: readonly T[],
  opts: { random: Random; limit?: number },
): T[] {
  const groups = new Map<number, T[]>();
  for (const h of hosts) {
    const g = groups.get(h.preference) ?? [];
    g.push(h);
    groups.set(h.preference, g);
  }
  const out: T[] = [];
  for (const pref of [...groups.keys()].sort((a, b) => a - b)) {
    out.push(...shuffle(groups.get(pref) ?? [], opts.random));
  }
  return out.slice(0, opts.limit ?? out.length);
}
