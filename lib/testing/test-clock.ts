import type { GeneratedId } from '../core/signal/signal-id.js';

/** Options of {@link TestClock}. */
export interface TestClockOptions {
  /** Time of the clock at creation, in ms since the epoch. @default Date.UTC(2026, 0, 1) */
  start?: number;
  /**
   * Milliseconds the clock moves forward after each id it hands out, so consecutive
   * signals get distinct `time`s without any `advance()`; `0` keeps time still (ids stay
   * ordered by their counter).
   * @default 1
   */
  stepMs?: number;
}

/**
 * A controllable clock for the signal ids and `time`s of tests: it only moves when told
 * ({@link advance}, {@link set}) or by `stepMs` per id. Ids are UUIDv7 strings encoding the
 * clock's time with a counter in the tail, so they are strictly increasing and stable
 * from run to run. It does not touch `Date.now()` (log `recordedAt`, timers).
 *
 * @example
 * const clock = new TestClock({ stepMs: 0 });
 * const factory = new SignalFactory({ ids: clock.ids() });
 * clock.advance(60_000);
 * factory.create('tick').time; // '2026-01-01T00:01:00.000Z'
 */
export class TestClock {
  readonly #stepMs: number;
  #now: number;
  #counter = 0;

  constructor(options: TestClockOptions = {}) {
    this.#now = options.start ?? Date.UTC(2026, 0, 1);
    this.#stepMs = options.stepMs ?? 1;
    if (!Number.isInteger(this.#now) || this.#now < 0) {
      throw new RangeError(`TestClock start must be an integer ≥ 0, got ${String(this.#now)}`);
    }
    if (!Number.isInteger(this.#stepMs) || this.#stepMs < 0) {
      throw new RangeError(`TestClock stepMs must be an integer ≥ 0, got ${String(this.#stepMs)}`);
    }
  }

  /** Current time, in ms since the epoch. */
  now(): number {
    return this.#now;
  }

  /**
   * Move the clock forward.
   * @throws RangeError for a negative or non-integer `ms` (ids must stay ordered)
   */
  advance(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0) {
      throw new RangeError(`TestClock.advance needs an integer ≥ 0, got ${String(ms)}`);
    }
    this.#now += ms;
  }

  /**
   * Set the clock to `time` (ms since the epoch or a `Date`), not earlier than now.
   * @throws RangeError when `time` is before the current time
   */
  set(time: number | Date): void {
    const ms = typeof time === 'number' ? time : time.getTime();
    if (!Number.isInteger(ms) || ms < this.#now) {
      throw new RangeError(
        `TestClock.set cannot move back in time (now ${this.#now}, got ${String(ms)})`,
      );
    }
    this.#now = ms;
  }

  /** An id source for `SignalFactory({ ids })` driven by this clock. */
  ids(): () => GeneratedId {
    return () => {
      const timestamp = this.#now;
      const ts = timestamp.toString(16).padStart(12, '0');
      const tail = (this.#counter++).toString(16).padStart(12, '0');
      this.#now += this.#stepMs;
      return { id: `${ts.slice(0, 8)}-${ts.slice(8)}-7000-8000-${tail}`, timestamp };
    };
  }
}
