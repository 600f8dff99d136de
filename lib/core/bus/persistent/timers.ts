/**
 * Timers of the in-process engine: one timer per subscription ({@link WakeTimer}) driven by a
 * FIFO of ack deadlines ({@link DeadlineQueue}: they grow monotonically) and a heap of retry
 * times ({@link RetryHeap}) — no per-signal timers.
 * @internal
 */

/** One unref'd timer, re-armed to the earliest wake-up. @internal */
export class WakeTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #at = Infinity;

  /** @param fire - called when the timer fires (it is disarmed then) */
  constructor(private readonly fire: () => void) {}

  /** When it fires (ms since the epoch); `Infinity` when disarmed. */
  get at(): number {
    return this.#at;
  }

  /** Fire at `at` (ms since the epoch) instead of the current time, if any. */
  arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, at - Date.now()));
    this.#timer.unref();
  }

  /** Disarm. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#at = Infinity;
    this.fire();
  };
}

/**
 * A FIFO of deadlines pushed in non-decreasing order (an array with a head index). An
 * entry whose item moved on since (settled, re-armed) is skipped lazily: `live` tells.
 * @internal
 */
export class DeadlineQueue<T> {
  #items: (T | undefined)[] = [];
  #at: number[] = [];
  #head = 0;

  /** @param live - whether `item` still has deadline `at` */
  constructor(private readonly live: (item: T, at: number) => boolean) {}

  /** Entries held (stale ones included). */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** The earliest deadline held; `Infinity` when empty. */
  get next(): number {
    return this.#head < this.#at.length ? this.#at[this.#head] : Infinity;
  }

  push(item: T, at: number): void {
    this.#items.push(item);
    this.#at.push(at);
  }

  /**
   * Drop the newest entry when it is `item`, which no longer has a deadline (it settled):
   * one-at-a-time deliveries then keep nothing here between deadline checks.
   */
  dropNewest(item: T): void {
    const items = this.#items;
    if (items.length > this.#head && items[items.length - 1] === item) {
      items.pop();
      this.#at.pop();
    }
  }

  /** Take the next live item whose deadline is ≤ `now`; `undefined` once none is due. */
  due(now: number): T | undefined {
    const items = this.#items;
    const at = this.#at;
    while (this.#head < items.length && at[this.#head] <= now) {
      const item = items[this.#head]!;
      const deadline = at[this.#head];
      items[this.#head++] = undefined;
      if (this.live(item, deadline)) return item;
    }
    if (this.#head === items.length) {
      // New arrays rather than truncating (`length = 0` is a runtime call).
      if (items.length !== 0) {
        this.#items = [];
        this.#at = [];
      }
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#at = at.slice(this.#head);
      this.#head = 0;
    }
    return undefined;
  }

  /** Drop the stale entries. */
  compact(): void {
    const items: T[] = [];
    const at: number[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (this.live(item, this.#at[i])) {
        items.push(item);
        at.push(this.#at[i]);
      }
    }
    this.#items = items;
    this.#at = at;
    this.#head = 0;
  }
}

/** An item of a {@link RetryHeap}. @internal */
export interface HeapItem<T> {
  readonly at: number;
  readonly d: T;
}

/** A binary min-heap of retry times (retries are rare; an item per retry is fine). @internal */
export class RetryHeap<T> {
  readonly #h: HeapItem<T>[] = [];

  /** The earliest time held; `Infinity` when empty. */
  get next(): number {
    return this.#h.length > 0 ? this.#h[0].at : Infinity;
  }

  push(item: HeapItem<T>): void {
    const h = this.#h;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= item.at) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
  }

  /** Remove and return the earliest item (the heap must not be empty). */
  pop(): HeapItem<T> {
    const h = this.#h;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r].at < h[l].at ? r : l;
        if (h[c].at >= last.at) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
