import { Fifo } from './fifo.js';
import { DONE, IN_FLIGHT, QUEUED, WAITING, type Delivery } from './local-delivery.js';

/** Lookups of the tracked deliveries, built on the first lookup (see {@link LocalQueue}). */
interface Index {
  readonly byKey: Map<string, Delivery>;
  /** The first tracked delivery of each signal. */
  readonly bySignal: Map<string, Delivery>;
  /**
   * The later tracked deliveries of a signal tracked more than once (published twice), in
   * tracking order: the next one takes the signal id when the first is forgotten.
   */
  readonly moreBySignal: Map<string, Delivery[]>;
}

/**
 * The deliveries the in-process engine tracks and its flow-control counts. Tracked
 * deliveries form an intrusive list in tracking order (no hashing per delivery: an
 * `autoAck` subscription never looks one up by id); the maps by key (log id, or
 * `dlq:<id>`) and by signal id are built on the first lookup — an `ack`/`nack` by id, a
 * redrive — and kept up to date from then on. The delivery queue is a {@link Fifo}. A
 * delivery is in flight (handed over, not acked), pending (QUEUED or WAITING) or done.
 * @internal
 */
export class LocalQueue {
  #first: Delivery | undefined = undefined;
  #last: Delivery | undefined = undefined;
  #index: Index | undefined = undefined;
  #queue = new Fifo<Delivery>();
  /** Deliveries handed over and not acked. */
  inFlight = 0;
  /** Held beyond the in-flight ones: waiting for a slot (QUEUED) or a retry (WAITING). */
  pending = 0;
  /** The WAITING part of `pending`. */
  retrying = 0;

  /** Track `d` and queue it (counts are the caller's). */
  track(d: Delivery): void {
    this.hold(d);
    this.#queue.push(d);
  }

  /** Track `d` without queueing it (it is dead-lettered at once). */
  hold(d: Delivery): void {
    const last = this.#last;
    d.prev = last;
    d.next = undefined;
    if (last === undefined) this.#first = d;
    else last.next = d;
    this.#last = d;
    if (this.#index !== undefined) LocalQueue.#add(this.#index, d);
  }

  /** Stop tracking `d`. */
  forget(d: Delivery): void {
    const { prev, next } = d;
    if (prev === undefined) {
      if (this.#first !== d) return; // not tracked
      this.#first = next;
    } else prev.next = next;
    if (next === undefined) this.#last = prev;
    else next.prev = prev;
    d.prev = d.next = undefined;
    const index = this.#index;
    if (index === undefined) return;
    if (index.byKey.get(d.key) === d) index.byKey.delete(d.key);
    const id = d.signal.id;
    const more = index.moreBySignal.get(id);
    if (index.bySignal.get(id) === d) {
      if (more === undefined) index.bySignal.delete(id);
      else {
        index.bySignal.set(id, more.shift()!);
        if (more.length === 0) index.moreBySignal.delete(id);
      }
    } else if (more !== undefined) {
      const at = more.indexOf(d);
      if (at !== -1) more.splice(at, 1);
      if (more.length === 0) index.moreBySignal.delete(id);
    }
  }

  /**
   * Stop tracking every delivery (the engine stopped for good): unlinked, a delivery that
   * outlives its engine keeps no other alive.
   */
  forgetAll(): void {
    for (let d = this.#first; d !== undefined;) {
      const next = d.next;
      d.prev = d.next = undefined;
      d = next;
    }
    this.#first = this.#last = this.#index = undefined;
  }

  /** The tracked deliveries, in tracking order (safe to forget the current one). */
  *values(): Generator<Delivery> {
    for (let d = this.#first; d !== undefined;) {
      const next = d.next;
      yield d;
      d = next;
    }
  }

  /** The tracked deliveries by key. */
  get byKey(): ReadonlyMap<string, Delivery> {
    return this.#lookups().byKey;
  }

  /** The delivery with log id or signal id `id` that awaits an ack (in flight or waiting). */
  awaiting(id: string): Delivery | undefined {
    const index = this.#lookups();
    const d = index.byKey.get(id) ?? index.bySignal.get(id);
    return d !== undefined && d.state !== QUEUED && d.state !== DONE ? d : undefined;
  }

  #lookups(): Index {
    if (this.#index === undefined) {
      const index: Index = { byKey: new Map(), bySignal: new Map(), moreBySignal: new Map() };
      for (let d = this.#first; d !== undefined; d = d.next) LocalQueue.#add(index, d);
      this.#index = index;
    }
    return this.#index;
  }

  /**
   * A later delivery under a key wins it; the first delivery of a signal keeps its id, and a
   * later one takes it when the first is forgotten.
   */
  static #add(index: Index, d: Delivery): void {
    index.byKey.set(d.key, d);
    const id = d.signal.id;
    if (!index.bySignal.has(id)) index.bySignal.set(id, d);
    else {
      const more = index.moreBySignal.get(id);
      if (more === undefined) index.moreBySignal.set(id, [d]);
      else more.push(d);
    }
  }

  /** Queue `d` (again) for a delivery slot. */
  push(d: Delivery): void {
    this.#queue.push(d);
  }

  /** Take the next QUEUED delivery off the queue; `undefined` when none is left. */
  take(): Delivery | undefined {
    const q = this.#queue;
    for (let d = q.shift(); d !== undefined; d = q.shift()) if (d.state === QUEUED) return d;
    return undefined;
  }

  /** Whether a QUEUED delivery is left (skipping the rest). */
  hasQueued(): boolean {
    const q = this.#queue;
    for (let d = q.peek(); d !== undefined && d.state !== QUEUED; d = q.peek()) q.shift();
    return q.size > 0;
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
    for (let d = this.#first; d !== undefined; d = d.next) {
      if (d.state === IN_FLIGHT) {
        this.inFlight--;
        this.pending++;
      } else if (d.state === WAITING) this.retrying--;
      else continue;
      d.state = QUEUED;
      again.push(d);
    }
    again.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rest = this.#queue.drain();
    for (const d of again) this.#queue.push(d);
    for (const d of rest) this.#queue.push(d);
    return again.length;
  }
}
