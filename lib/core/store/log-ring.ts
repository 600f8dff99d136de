import type { Signal } from '../signal/signal.js';
import { formatIdParts, formatLogId, type IdParts } from '../signal/signal-id.js';
import type { RecordedSignal } from './signal-store.interface.js';

/**
 * One bus's log in memory, column by column: log-id parts in typed arrays and the signals
 * in a plain array, in a ring that grows by doubling. An entry retains no object of its own
 * (no entry object, no id string), so a long log costs the collector almost nothing; entries
 * and id strings are built when read. Log order is append order, and the (ms, seq, hi, lo)
 * order of the parts equals the string order of the ids, so lookups are binary searches.
 * @internal
 */
export class LogRing {
  #capacity = 1024;
  #head = 0;
  #size = 0;
  #ms = new Float64Array(this.#capacity);
  #seq = new Uint16Array(this.#capacity);
  #hi = new Uint32Array(this.#capacity);
  #lo = new Uint32Array(this.#capacity);
  #signals: (Signal | undefined)[] = new Array<Signal | undefined>(this.#capacity);

  get size(): number {
    return this.#size;
  }

  /** Append one entry; returns its log id. */
  push(parts: IdParts, signal: Signal): string {
    if (this.#size === this.#capacity) this.#grow();
    const at = (this.#head + this.#size) & (this.#capacity - 1);
    this.#ms[at] = parts.ms;
    this.#seq[at] = parts.seq;
    this.#hi[at] = parts.hi;
    this.#lo[at] = parts.lo;
    this.#signals[at] = signal;
    this.#size++;
    return formatLogId(parts.ms, parts.seq, parts.hi, parts.lo);
  }

  /** Drop the `n` oldest entries. */
  dropOldest(n: number): void {
    const count = Math.min(n, this.#size);
    for (let i = 0; i < count; i++)
      this.#signals[(this.#head + i) & (this.#capacity - 1)] = undefined;
    this.#head = (this.#head + count) & (this.#capacity - 1);
    this.#size -= count;
  }

  /** Record time (ms) of the entry at logical index `i` (0 = oldest). */
  recordedAt(i: number): number {
    return this.#ms[(this.#head + i) & (this.#capacity - 1)];
  }

  /** Signal of the entry at logical index `i`. */
  signal(i: number): Signal {
    return this.#signals[(this.#head + i) & (this.#capacity - 1)]!;
  }

  /** A `RecordedSignal` for logical index `i`. */
  entry(i: number): RecordedSignal {
    const at = (this.#head + i) & (this.#capacity - 1);
    return {
      logId: formatIdParts(this.#ms[at], this.#seq[at], this.#hi[at], this.#lo[at]),
      recordedAt: this.#ms[at],
      signal: this.#signals[at]!,
    };
  }

  /** First logical index whose id is greater than (or, if `inclusive`, equal to) `id`. */
  search(id: IdParts, inclusive: boolean): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.#compare(mid, id);
      if (c < 0 || (!inclusive && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #compare(i: number, id: IdParts): number {
    const at = (this.#head + i) & (this.#capacity - 1);
    return (
      this.#ms[at] - id.ms || this.#seq[at] - id.seq || this.#hi[at] - id.hi || this.#lo[at] - id.lo
    );
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const ms = new Float64Array(capacity);
    const seq = new Uint16Array(capacity);
    const hi = new Uint32Array(capacity);
    const lo = new Uint32Array(capacity);
    const signals = new Array<Signal | undefined>(capacity);
    for (let i = 0; i < this.#size; i++) {
      const at = (this.#head + i) & (this.#capacity - 1);
      ms[i] = this.#ms[at];
      seq[i] = this.#seq[at];
      hi[i] = this.#hi[at];
      lo[i] = this.#lo[at];
      signals[i] = this.#signals[at];
    }
    this.#capacity = capacity;
    this.#head = 0;
    this.#ms = ms;
    this.#seq = seq;
    this.#hi = hi;
    this.#lo = lo;
    this.#signals = signals;
  }
}
