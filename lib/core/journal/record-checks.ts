// What the record path of SignalJournal computes about a signal: its effective time, and
// whether a re-record is identical to what is stored.
import { dateTimeMillis } from '../signal/attributes.js';
import type { Signal } from '../signal/signal.js';

// The last `time` parsed: signals recorded together mostly share their millisecond.
let lastTimeText = '';
let lastTimeMs = NaN;

/**
 * Effective time of a signal: its `time` attribute, else `fallback` (the record time).
 * @internal
 */
export function effectiveTime(signal: Signal, fallback: number): number {
  const time = signal.time;
  if (time === undefined) return fallback;
  if (time === lastTimeText) return Number.isNaN(lastTimeMs) ? fallback : lastTimeMs;
  const ms = dateTimeMillis(time);
  lastTimeText = time;
  lastTimeMs = ms;
  return Number.isNaN(ms) ? fallback : ms;
}

/** Key-order-independent JSON of a JSON value, for comparing two records. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `true` when two signals have the same JSON, key order aside. @internal */
export function sameSignal(a: Signal, b: Signal): boolean {
  return (
    canonical(JSON.parse(JSON.stringify(a)) as unknown) ===
    canonical(JSON.parse(JSON.stringify(b)) as unknown)
  );
}
