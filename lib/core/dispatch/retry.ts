import { DispatchConfigError } from '../errors/dispatch.error.js';
import { integerInRange } from './adapters/options.js';
import { timerDelay } from '../util/timer-delay.js';

/** Retry settings of the `http` and `webhook` adapters (`retry` option). */
export interface RetryOptions {
  /** Total attempts including the first one (1 = no retry), 1..10. @default 3 */
  maxAttempts?: number;
  /** Delay before the first retry in ms; doubles on each further retry, 1..60 000. @default 200 */
  baseDelay?: number;
  /** Upper bound of any single delay in ms (also bounds an honoured `Retry-After`), 1..60 000. @default 5000 */
  maxDelay?: number;
  /** Randomize each delay ("equal jitter": between half and all of the exponential delay). @default true */
  jitter?: boolean;
}

/** A fully resolved {@link RetryOptions}. */
export interface RetryPolicy {
  /** Total attempts including the first one. */
  readonly maxAttempts: number;
  /** Delay before the first retry, in ms. */
  readonly baseDelay: number;
  /** Upper bound of a single delay, in ms. */
  readonly maxDelay: number;
  /** Whether delays are randomized. */
  readonly jitter: boolean;
}

/** The defaults: 3 attempts, 200 ms doubling up to 5 s, with jitter. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelay: 200,
  maxDelay: 5000,
  jitter: true,
});

/**
 * Validate the `retry` option: `false` (no retry), `undefined` (the defaults) or a partial
 * {@link RetryOptions} merged over the defaults.
 * @throws DispatchConfigError
 */
export function resolveRetryPolicy(adapter: string, value: unknown): RetryPolicy | false {
  if (value === false) return false;
  if (value === undefined || value === true) return DEFAULT_RETRY_POLICY;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DispatchConfigError(adapter, 'retry', '"retry" must be false or an object');
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'maxAttempts' && key !== 'baseDelay' && key !== 'maxDelay' && key !== 'jitter') {
      throw new DispatchConfigError(
        adapter,
        `retry.${key}`,
        `"retry.${key}" is not a retry option`,
      );
    }
  }
  const d = DEFAULT_RETRY_POLICY;
  const maxAttempts =
    v.maxAttempts === undefined
      ? d.maxAttempts
      : integerInRange(adapter, 'retry.maxAttempts', v.maxAttempts, 1, 10);
  const baseDelay =
    v.baseDelay === undefined
      ? d.baseDelay
      : integerInRange(adapter, 'retry.baseDelay', v.baseDelay, 1, 60_000);
  const maxDelay =
    v.maxDelay === undefined
      ? Math.max(d.maxDelay, baseDelay)
      : integerInRange(adapter, 'retry.maxDelay', v.maxDelay, 1, 60_000);
  if (maxDelay < baseDelay) {
    throw new DispatchConfigError(
      adapter,
      'retry.maxDelay',
      '"retry.maxDelay" must not be less than "retry.baseDelay"',
    );
  }
  if (v.jitter !== undefined && typeof v.jitter !== 'boolean') {
    throw new DispatchConfigError(adapter, 'retry.jitter', '"retry.jitter" must be a boolean');
  }
  return Object.freeze({
    maxAttempts,
    baseDelay,
    maxDelay,
    jitter: v.jitter ?? d.jitter,
  });
}

/**
 * The delay before the retry that follows failed attempt number `attempt` (1-based):
 * `min(maxDelay, baseDelay · 2^(attempt−1))`, with jitter drawn uniformly from the upper
 * half of that value so retries of many failing deliveries spread out but never collapse
 * to zero.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxDelay, policy.baseDelay * 2 ** Math.max(0, attempt - 1));
  if (!policy.jitter) return exp;
  return Math.round(exp / 2 + random() * (exp / 2));
}

// The three HTTP-date formats a recipient must accept (RFC 9110 §5.6.7).
/** IMF-fixdate, e.g. `Wed, 21 Oct 2015 07:28:00 GMT` (and what `Date.parse` reads like it). */
const IMF_FIXDATE = /^[A-Za-z]{3}, /;
/** Obsolete RFC 850 date, e.g. `Wednesday, 21-Oct-15 07:28:00 GMT`. */
const RFC_850_DATE = /^[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
/** Obsolete asctime date, e.g. `Wed Oct 21 07:28:00 2015` (day padded with a space). */
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Parse an HTTP `Retry-After` value (delta seconds or an HTTP date in any of its three
 * formats) into milliseconds from `now`; `undefined` when absent or unparsable.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value)
    ? (value as readonly string[])[0]
    : (value as string | undefined);
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let date: number;
  if (IMF_FIXDATE.test(text) || RFC_850_DATE.test(text)) date = Date.parse(text);
  // asctime has no zone and means GMT (read as local time without one).
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`);
  else return undefined;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Wait `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts (the
 * timer is cleared, so nothing is left pending).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, timerDelay(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
