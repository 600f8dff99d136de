import { BusOptionError } from '../../errors/bus.error.js';

/** Exponential backoff: `initial × multiplier^(attempt−1)`, capped at `max`, optionally jittered. */
export interface ExponentialBackoff {
  /** Discriminator. */
  readonly type: 'exponential';
  /** Delay before the first retry, in ms. @default 100 */
  readonly initial?: number;
  /** Longest delay, in ms. @default 30_000 */
  readonly max?: number;
  /** Growth factor per failed attempt. @default 2 */
  readonly multiplier?: number;
  /**
   * Spread retries of signals that failed together: the delay is drawn uniformly from
   * `[d/2, d]` ("equal jitter"), so it never collapses to zero.
   * @default true
   */
  readonly jitter?: boolean;
}

/** The same delay before every retry. */
export interface FixedBackoff {
  /** Discriminator. */
  readonly type: 'fixed';
  /** Delay in ms. */
  readonly interval: number;
}

/**
 * How long a failed delivery waits before its next attempt: exponential (with jitter by
 * default), fixed, or an explicit list of delays (JetStream's `backoff[]`: the k-th retry
 * waits `list[k−1]`, the last value repeating).
 */
export type BackoffOptions = ExponentialBackoff | FixedBackoff | readonly number[];

/** The default retry policy: `{ type: 'exponential', initial: 100, max: 30_000, multiplier: 2, jitter: true }`. */
export const DEFAULT_BACKOFF: ExponentialBackoff = Object.freeze({
  type: 'exponential',
  initial: 100,
  max: 30_000,
  multiplier: 2,
  jitter: true,
});

/** A validated backoff: computes the delay before retry `attempt` (1 = first retry). */
export type BackoffFunction = (attempt: number) => number;

function nonNegative(bus: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BusOptionError(
      bus,
      option,
      `option "${option}" must be a finite number ≥ 0, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Validate a backoff option (and the `retryInterval` shorthand for a fixed backoff) and
 * return the delay function.
 * @throws BusOptionError (`invalid_option`) naming the bad field
 */
export function compileBackoff(
  bus: string,
  backoff: BackoffOptions | undefined,
  retryInterval: number | undefined,
  random: () => number = Math.random,
): BackoffFunction {
  if (backoff !== undefined && retryInterval !== undefined) {
    throw new BusOptionError(bus, 'backoff', 'give either "backoff" or "retryInterval", not both');
  }
  if (retryInterval !== undefined) {
    const interval = nonNegative(bus, 'retryInterval', retryInterval);
    return () => interval;
  }
  const spec = backoff ?? DEFAULT_BACKOFF;
  if (Array.isArray(spec)) {
    const list = (spec as readonly unknown[]).map((v, i) => nonNegative(bus, `backoff[${i}]`, v));
    if (list.length === 0) throw new BusOptionError(bus, 'backoff', 'backoff list is empty');
    return (attempt) => list[Math.min(Math.max(attempt, 1), list.length) - 1];
  }
  const options = spec as ExponentialBackoff | FixedBackoff;
  if (typeof options !== 'object' || options === null) {
    throw new BusOptionError(bus, 'backoff', 'option "backoff" must be an object or a list');
  }
  if (options.type === 'fixed') {
    const interval = nonNegative(bus, 'backoff.interval', options.interval);
    return () => interval;
  }
  if (options.type !== 'exponential') {
    throw new BusOptionError(
      bus,
      'backoff.type',
      `backoff.type must be 'exponential' or 'fixed', got ${String((options as { type?: unknown }).type)}`,
    );
  }
  const initial = nonNegative(bus, 'backoff.initial', options.initial ?? 100);
  const max = nonNegative(bus, 'backoff.max', options.max ?? 30_000);
  const multiplier = nonNegative(bus, 'backoff.multiplier', options.multiplier ?? 2);
  if (multiplier < 1) {
    throw new BusOptionError(bus, 'backoff.multiplier', 'backoff.multiplier must be ≥ 1');
  }
  const jitter = options.jitter ?? true;
  return (attempt) => {
    const d = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1));
    return jitter ? d / 2 + (random() * d) / 2 : d;
  };
}
