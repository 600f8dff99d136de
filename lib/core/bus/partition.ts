import { isThenable } from '../util/is-thenable.js';
import { TokenBucket } from './token-bucket.js';

/** A unit of lane work; a returned promise holds the lane until it settles. Must not throw. */
export type LaneJob = () => void | PromiseLike<unknown>;

/** Counters of one partition, from `SignalBus.stats()`. */
export interface PartitionStats {
  /** Partition index. */
  readonly index: number;
  /** Ordinary subscriptions assigned to it. */
  readonly subscriptions: number;
  /** Batches waiting in its queue. */
  readonly queued: number;
  /** Tokens in its bucket now (fractional). */
  readonly tokens: number;
}

/**
 * One partition of a bus: a FIFO queue of delivery batches run one after the other, and a
 * token bucket that admits deliveries. Work starts on a microtask, so the publish that
 * enqueued it has already returned.
 * @internal
 */
export class Lane {
  readonly index: number;
  readonly bucket: TokenBucket;
  #queue: (LaneJob | undefined)[] = [];
  #head = 0;
  #running = false;
  #idle: (() => void)[] = [];

  constructor(index: number, ratePerSec: number, burst: number) {
    this.index = index;
    this.bucket = new TokenBucket(ratePerSec, burst);
  }

  /** Batches waiting (not counting the one running). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Append a job; it runs after every job enqueued before it has finished. */
  enqueue(job: LaneJob): void {
    this.#queue.push(job);
    if (!this.#running) {
      this.#running = true;
      queueMicrotask(this.#pump);
    }
  }

  /** Resolves once the queue is empty and nothing runs. */
  drained(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  readonly #pump = (): void => {
    while (this.#head < this.#queue.length) {
      const job = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined;
      let held: unknown;
      try {
        held = job();
      } catch {
        // Jobs report their own failures; a throw here must not stall the lane.
      }
      if (isThenable(held)) {
        held.then(this.#pump, this.#pump);
        return;
      }
    }
    this.#queue = [];
    this.#head = 0;
    this.#running = false;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  };
}
