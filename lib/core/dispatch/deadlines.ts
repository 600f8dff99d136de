import { timerDelay } from '../util/timer-delay.js';

/** A pending deadline of a {@link DeadlineList}. @internal */
export interface Deadline {
  /** Forget the deadline; its callback will not run. Idempotent. */
  cancel(): void;
}

class Entry implements Deadline {
  prev: Entry | undefined = undefined;
  next: Entry | undefined = undefined;
  callback: (() => void) | undefined;

  constructor(
    readonly list: DeadlineList,
    readonly at: number,
    callback: () => void,
  ) {
    this.callback = callback;
  }

  cancel(): void {
    if (this.callback === undefined) return;
    this.callback = undefined;
    this.list.unlink(this);
  }
}

/**
 * Deadlines that all use the same delay, sharing one Node timer. Entries are appended in
 * deadline order (same delay, so first in, first due), and the timer only ever watches the
 * oldest one: adding and cancelling a deadline cost a small object and two pointer updates
 * instead of a `setTimeout`/`clearTimeout` pair (a `Timeout` with async-hooks bookkeeping
 * each). Callbacks run no earlier than `ms` after `add`, like `setTimeout`.
 *
 * The timer is ref'd while an entry is pending. When the list empties it is only unref'd
 * (not cleared): it no longer keeps the process alive, and a following `add` — the next
 * delivery of a sequential loop — re-refs it instead of paying for a new `setTimeout`. A
 * timer that fires on an empty list simply lapses.
 * @internal
 */
export class DeadlineList {
  /** The delay of every entry, in ms. */
  readonly ms: number;
  #head: Entry | undefined;
  #tail: Entry | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether `#timer` is unref'd (armed, but for an empty list). */
  #parked = false;

  constructor(ms: number) {
    this.ms = ms;
  }

  /** Run `callback` once, `ms` from now, unless cancelled first. */
  add(callback: () => void): Deadline {
    const entry = new Entry(this, performance.now() + this.ms, callback);
    const tail = this.#tail;
    if (tail === undefined) {
      this.#head = entry;
      this.#tail = entry;
      if (this.#timer === undefined) this.#timer = setTimeout(this.#fire, timerDelay(this.ms));
      else if (this.#parked) {
        // Armed for an earlier deadline: it fires early and re-arms for this one.
        this.#parked = false;
        this.#timer.ref();
      }
    } else {
      tail.next = entry;
      entry.prev = tail;
      this.#tail = entry;
    }
    return entry;
  }

  /** Whether no deadline is pending (a lapsing timer may still be armed, unref'd). */
  get idle(): boolean {
    return this.#head === undefined;
  }

  /** Whether the list's timer keeps the process alive (only while a deadline is pending). */
  get hasRef(): boolean {
    return this.#timer?.hasRef() ?? false;
  }

  /** @internal */
  unlink(entry: Entry): void {
    const { prev, next } = entry;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    entry.prev = entry.next = undefined;
    if (this.#head === undefined && this.#timer !== undefined && !this.#parked) {
      this.#parked = true;
      this.#timer.unref();
    }
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#parked = false;
    const now = performance.now();
    let head = this.#head;
    while (head !== undefined && head.at <= now) {
      const callback = head.callback!;
      head.cancel();
      try {
        callback();
      } catch (error) {
        // Surface it like a throwing setTimeout callback would, without starving the rest.
        queueMicrotask(() => {
          throw error;
        });
      }
      head = this.#head;
    }
    // Node may fire a little before a deadline measured with performance.now(); re-arm.
    if (head !== undefined && this.#timer === undefined) {
      this.#timer = setTimeout(this.#fire, timerDelay(Math.max(1, Math.ceil(head.at - now))));
    }
  };
}
