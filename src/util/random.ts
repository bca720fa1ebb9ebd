/**
 * Randomness as an injected dependency. Production code uses the CSPRNG-backed
 * `cryptoRandom`; tests pass a seeded `Random` so every shuffle and ID is reproducible.
 */
import { randomBytes, randomInt } from 'node:crypto';

/** A source of random numbers. */
export interface Random {
  /** An integer in [0, max). */
  int(max: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/** CSPRNG randomness (node:crypto). */
export const cryptoRandom: Random = {
  int: (max) => (max <= 1 ? 0 : randomInt(max)),
  bytes: (n) => new Uint8Array(randomBytes(n)),
};

/** A small deterministic PRNG (mulberry32) for tests, fuzzing and reproducible shuffles. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (max) => Math.floor(next() * max),
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
  };
}

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}
