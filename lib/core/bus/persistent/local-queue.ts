import { DONE, IN_FLIGHT, QUEUED, WAITING, type Delivery } from './local-delivery.js';

/**
 * The deliveries the in-process engine tracks and its flow-control counts: Maps keyed by
 * log id and signal id, and the delivery queue (an array with a head index). A delivery
 * is in flight (handed over, not acked), pending (QUEUED or WAITING) or done.
 * @internal
 */
export class LocalQueue {
  /** Tracked deliveries by key (log id, or `dlq:<id>`). */
  readonly byKey = new Map<string, Delivery>();
  readonly #bySignal = new Map<string, Delivery>();
  #queue: (Delivery | undefined)[] = [];
  #head = 0;
  /** Deliveries handed over and not acked. */
  inFlight = 0;
  /** Held beyond the in-flight ones: waiting for a slot (QUEUED) or a retry (WAITING). */
  pending = 0;
  /** The WAITING part of `pending`. */
  retrying = 0;

  /** Track `d` and queue it (counts are the caller's). */
  track(d: Delivery): void {
    this.byKey.set(d.key, d);
    if (!this.#bySignal.has(d.signal.id)) this.#bySignal.set(d.signal.id, d);
    this.#queue.push(d);
  }

  /** Stop tracking `d`. */
  forget(d: Delivery): void {
    this.byKey.delete(d.key);
    if (this.#bySignal.get(d.signal.id) === d) this.#bySignal.delete(d.signal.id);
  }

  /** The delivery with log id or signal id `id` that awaits an ack (in flight or waiting). */
  awaiting(id: string): Delivery | undefined {
    const d = this.byKey.get(id) ?? this.#bySignal.get(id);
    return d !== undefined && d.state !== QUEUED && d.state !== DONE ? d : undefined;
  }

  /** Queue `d` (again) for a delivery slot. */
  push(d: Delivery): void {
    this.#queue.push(d);
  }

  /** Take the next QUEUED delivery off the queue; `undefined` when none is left. */
  take(): Delivery | undefined {
    const q = this.#queue;
    while (this.#head < q.length) {
      const d = q[this.#head]!;
      q[this.#head++] = undefined;
      if (d.state === QUEUED) return d;
    }
    return undefined;
  }

  /** Whether a QUEUED delivery is left (skipping the rest). */
  hasQueued(): boolean {
    const q = this.#queue;
    while (this.#head < q.length && q[this.#head]!.state !== QUEUED) q[this.#head++] = undefined;
    return this.#head < q.length;
  }

  /** Free the space of the deliveries taken. */
  compact(): void {
    const q = this.#queue;
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Remove `d` (acked or nacked) from the in-flight or pending count, whichever holds it. */
  release(d: Delivery): void {
    if (d.state === WAITING) {
      this.pending--;
      this.retrying--;
    } else this.inFlight--;
  }

  /**
   * Queue every unacked delivery again — in flight or waiting for a retry — ahead of the
   * never-delivered ones, in log order; nothing is queued twice.
   * @returns how many were queued again
   */
  requeueUnacked(): number {
    const again: Delivery[] = [];
    for (const d of this.byKey.values()) {
      if (d.state === IN_FLIGHT) {
        this.inFlight--;
        this.pending++;
      } else if (d.state === WAITING) this.retrying--;
      else continue;
      d.state = QUEUED;
      again.push(d);
    }
    again.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rest = this.#queue.slice(this.#head);
    this.#queue = again.concat(rest as Delivery[]);
    this.#head = 0;
    return again.length;
  }
}
