import { measure } from 'mitata';

/** One measured operation. */
export interface BenchRow {
  name: string;
  /** Median nanoseconds per operation. */
  nsPerOp: number;
  note?: string;
  /**
   * Nanoseconds per operation of each round of an interleaved comparison, in round order:
   * rows measured in the same rounds are compared round by round (see {@link ratio}).
   */
  rounds?: number[];
}

/** A target from an issue, checked against this run's numbers. */
export interface BenchCheck {
  name: string;
  actual: string;
  target: string;
  pass: boolean;
  /** An informational comparison, not an issue's target: reported, never a failure. */
  info?: boolean;
}

/** What one bench file reports. */
export interface BenchSection {
  title: string;
  rows: BenchRow[];
  checks: BenchCheck[];
  notes?: string[];
}

/** Micro benchmark with mitata: median ns per call of a synchronous function. */
export async function micro(name: string, fn: () => unknown, note?: string): Promise<BenchRow> {
  const stats = await measure(fn, { min_cpu_time: 300 * 1e6 });
  return { name, nsPerOp: stats.p50, note };
}

/**
 * System benchmark: run `fn` (which performs `ops` operations) `runs` times after one
 * warm-up and report the median ns per operation. `setup`, when given, runs before every run
 * (the warm-up included) and is not timed: inputs built there live only for their own run, so
 * the heap a run collects in holds one run's inputs, not every run's.
 */
export async function system(
  name: string,
  ops: number,
  fn: () => unknown,
  options: { runs?: number; note?: string; setup?: () => unknown } = {},
): Promise<BenchRow> {
  const runs = options.runs ?? 5;
  const setup = options.setup ?? (() => {});
  await setup();
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await setup();
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / ops);
  }
  return { name, nsPerOp: median(samples), note: options.note };
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A row of an interleaved comparison: the median of its rounds, which it keeps in order. */
export function roundsRow(name: string, rounds: number[], note?: string): BenchRow {
  return { name, nsPerOp: median(rounds), note, rounds };
}

/**
 * `a`'s time over `b`'s. Rows measured in the same interleaved rounds are compared round by
 * round (the median of the per-round ratios): the runs of one round are next to each other in
 * time, so a slow phase of this shared VM that spans several rounds slows both sides of a
 * ratio instead of one row's median. Other rows: the ratio of their medians.
 */
export function ratio(a: BenchRow, b: BenchRow): number {
  const x = a.rounds;
  const y = b.rounds;
  if (x === undefined || y === undefined || x.length === 0 || x.length !== y.length) {
    return a.nsPerOp / b.nsPerOp;
  }
  return median(x.map((v, i) => v / y[i]));
}

/** "ours is at least `min`× faster than the peer" (peer time over ours, see {@link ratio}). */
export function fasterBy(name: string, ours: BenchRow, peer: BenchRow, min: number): BenchCheck {
  const r = ratio(peer, ours);
  return { name, actual: `${r.toFixed(2)}×`, target: `≥ ${min}×`, pass: r >= min };
}

/** "ours takes at most `max` ns per op". */
export function atMost(
  name: string,
  row: BenchRow,
  maxNs: number,
  unit: 'ns' | 'µs' | 'ms' = 'ns',
): BenchCheck {
  const div = unit === 'ns' ? 1 : unit === 'µs' ? 1e3 : 1e6;
  return {
    name,
    actual: `${(row.nsPerOp / div).toFixed(3)} ${unit}`,
    target: `≤ ${maxNs / div} ${unit}`,
    pass: row.nsPerOp <= maxNs,
  };
}

/** Human formatting of ns/op. */
export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}
