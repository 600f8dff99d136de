import { DISPATCHING, IN_FLIGHT, WAITING, type Delivery } from './local-delivery.js';
import { DeadlineQueue, RetryHeap, WakeTimer } from './timers.js';

/** What the timers of the in-process engine call back. @internal */
export interface LocalTimerTarget {
  /** In-flight (maybe still running) `d` was not acked by its deadline. */
  expired(d: Delivery): void;
  /** Waiting `d` reached its retry time. */
  due(d: Delivery): void;
  /** A wake-up handled its deadlines (`failures`: some ack deadline passed). */
  fired(failures: boolean): void;
}

/** A tracked delivery still has the ack deadline `at`. */
const ackDue = (d: Delivery, at: number): boolean =>
  (d.state === IN_FLIGHT || d.state === DISPATCHING) && d.deadline === at;

/**
 * The deadlines of the in-process engine: one timer per subscription driven by a FIFO of
 * ack deadlines (they grow monotonically) and a heap of retry times — no per-signal timers.
 * @internal
 */
export class LocalTimers {
  readonly #acks = new DeadlineQueue<Delivery>(ackDue);
  readonly #heap = new RetryHeap<Delivery>();
  readonly #timer = new WakeTimer(() => this.#fire());
  /** Lets one wake-up handle many ack deadlines (≤ 5% late, at most 1 s). */
  readonly #slack: number;
  #halted = false;

  constructor(
    ackTimeout: number,
    private readonly target: LocalTimerTarget,
  ) {
    this.#slack = Math.min(1000, Math.floor(ackTimeout / 20));
  }

  /** Track `d`'s ack deadline `at`; `inFlight` bounds the stale entries kept. */
  armAck(d: Delivery, at: number, inFlight: number): void {
    d.deadline = at;
    this.#acks.push(d, at);
    if (this.#acks.size > 2 * inFlight + 4096) this.#acks.compact();
    if (at + this.#slack < this.#timer.at) this.#arm(at + this.#slack);
  }

  /** `d` settled (acked or dead-lettered): forget its ack deadline if it is the newest. */
  settled(d: Delivery): void {
    if (d.deadline !== 0) this.#acks.dropNewest(d);
  }

  /** Wake `d` up (WAITING) at `at`. */
  retryAt(d: Delivery, at: number): void {
    d.deadline = at;
    this.#heap.push({ at, d });
    if (at < this.#timer.at) this.#arm(at);
  }

  /** Clear the timer for good. */
  halt(): void {
    this.#halted = true;
    this.#timer.clear();
  }

  #arm(at: number): void {
    if (!this.#halted) this.#timer.arm(at);
  }

  #fire(): void {
    if (this.#halted) return;
    const now = Date.now();
    const { target } = this;
    let failures = false;
    for (let d = this.#acks.due(now); d !== undefined; d = this.#acks.due(now)) {
      failures = true;
      target.expired(d);
    }
    const heap = this.#heap;
    while (heap.next <= now) {
      const { at, d } = heap.pop();
      if (d.state === WAITING && d.deadline === at) target.due(d);
    }
    target.fired(failures);
    let next = Infinity;
    if (this.#acks.size > 0) next = this.#acks.next + this.#slack;
    if (heap.next < next) next = heap.next;
    if (next !== Infinity && next < this.#timer.at) this.#arm(next);
  }
}
