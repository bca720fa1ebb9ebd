/**
 * A tiny timing harness for the benchmarks in bench/ (run by `npm run bench`, never by the test
 * suite): warm up, time several rounds of N calls, report the median nanoseconds per call, and
 * print ours/reference ratios with a PASS or NOTE line. A benchmark prints; it never fails the
 * run because of noise. Must never reach the network.
 */

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Timed rounds; the median round is reported (default 9). */
  readonly rounds?: number;
  /** Calls per round (default 10,000). */
  readonly iterations?: number;
  /** Untimed calls before the first round, for the JIT (default: one round's worth). */
  readonly warmup?: number;
  /** Print the result line (default true). */
  readonly print?: boolean;
}

/** What one measurement found, in nanoseconds per call. */
export interface Measurement {
  readonly name: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Keeps results alive so the JIT cannot drop the measured calls as dead code. */
let sink: unknown;

/** The last value a measured function returned (read it to keep the optimiser honest). */
export function lastResult(): unknown {
  return sink;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Format nanoseconds with a unit that keeps 3–4 significant digits. */
export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/**
 * Time `fn`: warm up, then `rounds` rounds of `iterations` calls each; returns the median
 * nanoseconds per call (and min/max over rounds), printing one line unless `print` is false.
 */
export function measure(name: string, fn: () => unknown, opts: MeasureOptions = {}): Measurement {
  const rounds = opts.rounds ?? 9;
  const iterations = opts.iterations ?? 10_000;
  const warmup = opts.warmup ?? iterations;
  for (let i = 0; i < warmup; i++) sink = fn();
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink = fn();
    perCall.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  const result = { name, median: median(perCall), min: Math.min(...perCall), max: Math.max(...perCall) };
  if (opts.print !== false) printMeasurement(result, rounds, iterations);
  return result;
}

/**
 * Time two functions in alternating rounds (a round of `a`, then a round of `b`, …) so that both
 * see the same machine load, which matters on a busy machine. Returns both measurements; their
 * medians are taken over the same stretch of time. Prints both lines unless `print` is false.
 */
export function measurePair(
  a: { name: string; fn: () => unknown },
  b: { name: string; fn: () => unknown },
  opts: MeasureOptions = {},
): [Measurement, Measurement] {
  const rounds = opts.rounds ?? 9;
  const iterations = opts.iterations ?? 10_000;
  const warmup = opts.warmup ?? iterations;
  const timed: [number[], number[]] = [[], []];
  const fns = [a.fn, b.fn] as const;
  for (const fn of fns) for (let i = 0; i < warmup; i++) sink = fn();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < 2; k++) {
      const fn = fns[(k + r) % 2] as () => unknown; // alternate which goes first
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) sink = fn();
      timed[(k + r) % 2]?.push(Number(process.hrtime.bigint() - start) / iterations);
    }
  }
  const result = [a, b].map((x, k) => {
    const perCall = timed[k as 0 | 1];
    const m = { name: x.name, median: median(perCall), min: Math.min(...perCall), max: Math.max(...perCall) };
    if (opts.print !== false) printMeasurement(m, rounds, iterations);
    return m;
  });
  return result as [Measurement, Measurement];
}

function printMeasurement(m: Measurement, rounds: number, iterations: number): void {
  console.log(
    `${m.name.padEnd(44)} ${formatNs(m.median).padStart(10)}/op  ` +
      `(min ${formatNs(m.min)}, max ${formatNs(m.max)}; ${rounds} × ${iterations})`,
  );
}

/**
 * Print `ours / reference` and a verdict: PASS when the ratio is at most `target` (1.0 = "at
 * least as fast"), NOTE otherwise. Returns the ratio. Never throws or sets an exit code.
 */
export function printRatio(label: string, ours: Measurement, ref: Measurement, target = 1): number {
  const ratio = ours.median / ref.median;
  const verdict = ratio <= target ? 'PASS' : 'NOTE';
  console.log(
    `${verdict}: ${label}: ours/${ref.name} = ${ratio.toFixed(2)} ` +
      `(${formatNs(ours.median)} vs ${formatNs(ref.median)}; target ≤ ${target.toFixed(2)})`,
  );
  return ratio;
}
