import { measure } from 'mitata';

/** One measured operation. */
export interface BenchRow {
  name: string;
  /** Median nanoseconds per operation. */
  nsPerOp: number;
  note?: string;
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
  samples.sort((a, b) => a - b);
  return { name, nsPerOp: samples[Math.floor(samples.length / 2)], note: options.note };
}

/** "ours is at least `min`× faster than the peer" (ratio of ns/op). */
export function fasterBy(name: string, ours: BenchRow, peer: BenchRow, min: number): BenchCheck {
  const ratio = peer.nsPerOp / ours.nsPerOp;
  return { name, actual: `${ratio.toFixed(2)}×`, target: `≥ ${min}×`, pass: ratio >= min };
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
