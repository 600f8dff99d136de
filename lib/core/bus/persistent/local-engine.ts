import { QueueFullError } from '../../errors/bus.error.js';
import type { Signal } from '../../signal/signal.js';
import type { DlqEntry, SubscriptionState } from '../../store/signal-store.interface.js';
import { dlqEntry, type Redrives } from './dead-letter.js';
import type { DeliverFunction, ReconnectResult } from './engine.js';
import { PersistentEngineBase, type EngineInit } from './engine-base.js';
import { describeError, type LastError } from './failure.js';
import { LocalCheckpoint } from './local-checkpoint.js';
import {
  type BatchWait,
  Delivery,
  DISPATCHING,
  DONE,
  IN_FLIGHT,
  QUEUED,
  WAITING,
  PublishWaits,
  releaseBatch,
  releaseSignal,
} from './local-delivery.js';
import { LocalDlq } from './local-dlq.js';
import { LocalQueue } from './local-queue.js';
import { LocalTimers } from './local-timers.js';
import type { OverflowPolicy } from './options.js';
import { Thrown } from './receiver.js';
import type { LiveStats } from './stats.js';
import { reportAck, reportBackpressure, reportDeadLetter, reportRetry } from './telemetry.js';
import { StoreWrites } from './writes.js';

/**
 * The at-least-once machinery of one persistent subscription: flow control (in flight up
 * to `maxInFlight`, then pending up to `maxPending`), acks, nacks, retries with backoff,
 * ack timeouts, dead-lettering and a checkpoint kept in the store.
 *
 * Hot path data structures: tracked deliveries in an intrusive list (maps by log id and
 * signal id only once something looks one up, see `LocalQueue`), `Fifo`s as queues, one
 * timer per subscription driven by a FIFO of ack deadlines (they grow monotonically) and a
 * heap of retry times — no per-signal timers.
 * @internal — use it through `SignalBus`.
 */
export class PersistentSubscription extends PersistentEngineBase<Delivery> {
  readonly maxPending: number;
  readonly overflow: OverflowPolicy;
  readonly maxDlqSize: number;
  /** Scratch counter the bus uses while checking a publish's demand. */
  requested = 0;
  /** Set while the bus enqueues one publish. */
  batching = false;

  /** Tracked deliveries, the queue and the in-flight / pending counts. */
  readonly #q = new LocalQueue();
  readonly #timers: LocalTimers;
  readonly #writes: StoreWrites;
  readonly #checkpoint: LocalCheckpoint;
  readonly #dlq: LocalDlq;
  protected readonly redrives: Redrives;
  /** Live signals that arrived while the stored state and history were loading. */
  #loading: Delivery[] | undefined = [];
  /**
   * A new subscription that starts after this log id (`'current'`): signals recorded at or
   * before it may still be handed over by a publish that was running when it opened.
   * Cleared at the first later signal (log order).
   */
  #startsAfter: string | undefined;
  #halted = false;
  #pumping = false;
  /** What the publish being enqueued waits for (see {@link endBatch}). */
  readonly #waits = new PublishWaits();
  readonly #pumpNow = (): void => this.#pump();
  /**
   * The running attempt (`#lone`, attempt `#loneSeq`) whose receiver's promise the prebuilt
   * `#loneSucceeded`/`#loneFailed` settle: one at a time, so one-at-a-time deliveries make
   * no closures; attempts running meanwhile get their own.
   */
  #lone: Delivery | undefined;
  #loneSeq = 0;
  readonly #loneSucceeded = (): void => this.#succeeded(this.#loneTaken(), this.#loneSeq);
  readonly #loneFailed = (error: unknown): void =>
    this.#failed(this.#loneTaken(), this.#loneSeq, error);

  /**
   * @throws BusOptionError (`invalid_option`) naming the bad option
   */
  constructor(init: EngineInit) {
    super(init);
    const { host, id } = init;
    const o = this.options;
    this.maxPending = o.maxPending;
    this.overflow = o.overflow;
    this.maxDlqSize = o.maxDlqSize;
    this.#timers = new LocalTimers(this.ackTimeout, {
      expired: (d) => this.#expired(d),
      due: (d) => this.#due(d),
      fired: (failures) => this.#fired(failures),
    });
    const report = (message: string) => (error: unknown) =>
      host.report(this.storeError(message, error));
    this.#writes = new StoreWrites(report('Writing to the dead-letter queue failed'));
    this.#checkpoint = new LocalCheckpoint(
      host,
      o.checkpointInterval,
      this.#writes,
      () => this.#snapshot(),
      report('Writing the subscription checkpoint failed'),
    );
    this.#dlq = new LocalDlq(host, id, o.maxDlqSize, o.dlqOverflow, this.#writes, this.counters);
    this.redrives = this.#dlq.redrives;
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  /**
   * Load the stored state (resume) or write a fresh one, read the unacked history from the
   * log and start delivering. Live signals arriving meanwhile are buffered and merged
   * after the history without duplicates.
   */
  protected async loadState(): Promise<void> {
    const checkpoint = this.#checkpoint;
    const { id, pattern, persisted } = this;
    const resumed = await checkpoint.resume(id, pattern, this.options.start, persisted, this.#dlq);
    if (resumed.createdAt !== undefined) this.createdAt = resumed.createdAt;
    const buffered = this.#loading ?? [];
    this.#loading = undefined;
    const seen = new Set<string>();
    for (const d of resumed.history) {
      seen.add(d.key);
      if (d.state === DONE) {
        checkpoint.push(d);
        continue;
      }
      this.#q.pending++;
      this.#track(d);
    }
    const after = resumed.startsAfter;
    this.#startsAfter = after;
    for (const d of buffered) {
      // Seen in the history, or recorded before a subscription that starts later.
      if (seen.has(d.key) || (after !== undefined && d.key <= after)) {
        this.#q.pending--;
        continue;
      }
      this.#track(d);
    }
    checkpoint.advance();
    this.#pump();
  }

  /** Stop dispatching and redelivering (timers cleared); tracked signals stay unacked. */
  halt(): void {
    this.#halted = true;
    // Nothing is redelivered any more: the publishes waiting for a running delivery settle.
    for (const d of this.#q.values()) releaseBatch(d);
    this.#timers.halt();
    this.#checkpoint.cancel();
  }

  /**
   * Halt, wait for outstanding store writes, and write the final checkpoint (unless
   * `persist` is false). Errors are reported, never thrown.
   */
  async stop(persist: boolean): Promise<void> {
    this.halt();
    try {
      if (this.loaded !== undefined) await this.loaded.catch(() => undefined);
      if (persist && this.#loading === undefined) await this.#checkpoint.flush();
      else await this.#writes.settle();
    } catch (error) {
      this.host.report(this.storeError('Writing the subscription checkpoint failed', error));
    }
    // Stopped for good: the one `Delivery` kept for its shape (see keepShape) may be here.
    this.#q.forgetAll();
  }

  /** Delete the stored state and DLQ of this subscription. */
  async destroy(): Promise<void> {
    const { store, bus } = this.host;
    await this.#writes.settle();
    await this.#checkpoint.written;
    await store.deleteSubscription(bus, this.id);
    await store.clearDlq(bus, this.id);
  }

  // ── intake ─────────────────────────────────────────────────────────────────

  /**
   * The `QueueFullError` refusing `n` more signals, or `undefined` when they fit (always
   * with `overflow: 'dead-letter'`). Emits backpressure telemetry when full.
   */
  refuse(n: number): QueueFullError | undefined {
    const occupied = this.#q.inFlight + this.#q.pending;
    if (occupied + n <= this.maxInFlight + this.maxPending) return undefined;
    this.#backpressure(n);
    if (this.overflow !== 'reject') return undefined;
    return new QueueFullError(this.host.bus, this.id, {
      inFlight: this.#q.inFlight,
      pending: this.#q.pending,
      maxInFlight: this.maxInFlight,
      maxPending: this.maxPending,
      requested: n,
    });
  }

  /** Start taking one publish's signals (dispatch happens in {@link endBatch}). */
  beginBatch(): void {
    this.batching = true;
    this.#waits.begin();
  }

  /** Track one recorded signal (log order). */
  enqueue(signal: Signal, logId: string): void {
    if (this.#startsAfter !== undefined) {
      if (logId <= this.#startsAfter) return; // recorded before this subscription started
      this.#startsAfter = undefined;
    }
    const d = new Delivery(logId, logId, signal, true, undefined, 0);
    if (this.#loading !== undefined) {
      this.#q.pending++;
      this.#loading.push(d);
      return;
    }
    if (
      this.overflow === 'dead-letter' &&
      this.#q.inFlight + this.#q.pending >= this.maxInFlight + this.maxPending
    ) {
      // Attempts this starts belong to the publish being enqueued: it waits for them too.
      if (this.batching) this.#waits.run(this.#pumpNow);
      else this.#pump();
      if (this.#q.inFlight + this.#q.pending >= this.maxInFlight + this.maxPending) {
        this.#overflowOne(d);
        return;
      }
    }
    this.#q.pending++;
    this.#track(d);
  }

  /**
   * Dispatch what fits; resolves when the first attempts started in this batch settled —
   * each one's handler returned or threw, or its ack deadline passed (the attempt is then
   * aborted). Never waits for acks or redeliveries.
   */
  endBatch(): BatchWait | undefined {
    try {
      return this.#waits.collect(this.#pumpNow);
    } finally {
      this.batching = false;
    }
  }

  #track(d: Delivery): void {
    this.#q.track(d);
    if (d.ordered) this.#checkpoint.push(d);
  }

  /** Full with `overflow: 'dead-letter'`: dead-letter the oldest waiting signal (or `d`). */
  #overflowOne(d: Delivery): void {
    this.#backpressure(1);
    const error: LastError = {
      code: 'queue_full',
      message: `subscription "${this.id}" was full (maxInFlight ${this.maxInFlight}, maxPending ${this.maxPending})`,
    };
    let victim: Delivery;
    if (this.#q.hasQueued()) {
      victim = this.#q.take()!;
      // The victim leaves the pending count and `d` takes its place.
      this.#track(d);
    } else {
      victim = d;
      this.#q.hold(d);
      this.#checkpoint.push(d);
    }
    victim.lastError = error;
    this.#deadLetter(victim);
    this.#settled();
  }

  #backpressure(requested: number): void {
    reportBackpressure(this.host.bus, this.id, this.#q, requested, this.overflow);
  }

  // ── delivery ───────────────────────────────────────────────────────────────

  #pump(): void {
    if (this.#pumping || this.#halted || this.#loading !== undefined) return;
    this.#pumping = true;
    try {
      const q = this.#q;
      while (q.inFlight < this.maxInFlight) {
        const d = q.take();
        if (d === undefined) break;
        q.pending--;
        // Read per hand-over: an async receiver runs synchronously up to its first `await`,
        // so a clock read before an earlier hand-over would make this ack deadline early.
        this.#dispatch(d, Date.now());
        if (this.#halted) break;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Hand `d` to the receiver at time `now`. */
  #dispatch(d: Delivery, now: number): void {
    d.state = DISPATCHING;
    this.#q.inFlight++;
    if (d.attempts === 0 || d.firstAttemptAt === 0) d.firstAttemptAt = now;
    d.attempts++;
    d.lastAttemptAt = now;
    const seq = ++d.seq;
    d.deadline = 0;
    const ctl = this.startAttempt(d);
    const result = this.receiver.call(this.host, this.id, d.signal, d.logId ?? d.key, ctl);
    if (result instanceof Thrown) {
      this.#failed(d, seq, result.error);
      return;
    }
    if (result !== undefined) {
      if (this.#lone === undefined) {
        this.#lone = d;
        this.#loneSeq = seq;
        void result.then(this.#loneSucceeded, this.#loneFailed);
      } else {
        void result.then(
          () => this.#succeeded(d, seq),
          (error: unknown) => this.#failed(d, seq, error),
        );
      }
      // Acked or nacked before it returned: this attempt is over (its settlement is ignored).
      if (d.seq !== seq || d.state !== DISPATCHING) return;
      d.ctl = ctl;
      // The ack deadline counts from hand-over: a handler still running when it passes is
      // aborted and the attempt fails (DESIGN decision 10, JetStream's `ack_wait`).
      if (this.ackTimeout > 0 && !this.#halted) this.#armAck(d, now + this.ackTimeout);
      this.#waits.join(d);
      return;
    }
    this.#succeeded(d, seq);
  }

  /** The lone attempt settled: free its slot; returns its delivery. */
  #loneTaken(): Delivery {
    const d = this.#lone!;
    this.#lone = undefined;
    return d;
  }

  /** Track `d`'s ack deadline `at` (one timer per subscription, FIFO of deadlines). */
  #armAck(d: Delivery, at: number): void {
    this.#timers.armAck(d, at, this.#q.inFlight);
  }

  #succeeded(d: Delivery, seq: number): void {
    if (d.seq !== seq || d.state !== DISPATCHING) return;
    d.ctl = undefined;
    releaseBatch(d);
    this.counters.delivered++;
    if (this.autoAck) {
      this.#q.inFlight--;
      this.#complete(d);
      this.#settled();
      reportAck(this.host.bus, this.id, 1, this.#checkpoint.floor);
      this.#pump();
      return;
    }
    d.state = IN_FLIGHT;
    // Settled synchronously: the deadline (from hand-over) is not tracked yet.
    if (d.deadline === 0 && this.ackTimeout > 0 && !this.#halted) {
      this.#armAck(d, d.lastAttemptAt + this.ackTimeout);
    }
  }

  #failed(d: Delivery, seq: number, error: unknown): void {
    if (d.seq !== seq || d.state !== DISPATCHING) return;
    d.ctl = undefined;
    releaseBatch(d);
    // Reported while it still runs: whoever hears it (`errors$`) may ack or nack it right
    // away, which settles it — then the failure leads nowhere further.
    this.reportFailure(d, error);
    if (d.seq === seq && d.state === DISPATCHING) {
      this.#q.inFlight--;
      this.#retryOrDeadLetter(d, describeError(error), undefined);
    }
    this.#pump();
  }

  /** `d` just left the in-flight count after a failed attempt. */
  #retryOrDeadLetter(d: Delivery, error: LastError, delay: number | undefined): void {
    d.lastError = error;
    if (d.attempts >= this.maxAttempts) {
      this.#deadLetter(d);
      this.#settled();
      return;
    }
    this.counters.retried++;
    this.#q.pending++;
    const wait = delay ?? this.backoff(d.attempts);
    reportRetry(this.host.bus, this.id, d, wait, error.code);
    this.#wait(d, wait);
  }

  /** Park `d` (already counted pending) until `Date.now() + wait`, or queue it now. */
  #wait(d: Delivery, wait: number): void {
    if (wait <= 0) {
      d.state = QUEUED;
      this.#q.push(d);
      return;
    }
    d.state = WAITING;
    this.#q.retrying++;
    this.#timers.retryAt(d, Date.now() + wait);
  }

  /** Mark `d` acked (counts already adjusted by the caller). */
  #complete(d: Delivery): void {
    d.state = DONE;
    this.#timers.settled(d);
    this.#q.forget(d);
    this.counters.acked++;
    if (d.dlqId !== undefined) this.#dlq.acked(d.dlqId);
    releaseSignal(d);
  }

  /** Dead-letter `d` (counts already adjusted by the caller). */
  #deadLetter(d: Delivery): void {
    d.state = DONE;
    this.#q.forget(d);
    this.counters.deadLettered++;
    const lastError = d.lastError ?? { code: 'dead_lettered', message: 'dead-lettered' };
    const entry = dlqEntry(this.id, d, d.attempts, lastError, Date.now());
    const dropped = this.#dlq.put(entry, d.dlqId);
    const reported = { id: entry.id, attempts: entry.attempts, reason: lastError.code };
    reportDeadLetter(this.host.bus, this.id, d, reported, dropped);
    releaseSignal(d);
  }

  /** Some deliveries were acked or dead-lettered: advance the floor, write it soon. */
  #settled(): void {
    this.#checkpoint.advance();
    if (!this.#halted && this.#loading === undefined) this.#checkpoint.schedule();
  }

  // ── ack / nack / reconnect ────────────────────────────────────────────────

  protected awaiting(id: string): Delivery | undefined {
    return this.#q.awaiting(id);
  }

  /** Remove `d` from the in-flight or pending count, whichever holds it. */
  #release(d: Delivery): void {
    this.#q.release(d);
    if (d.state === DISPATCHING) {
      // Acked or nacked while its handler still runs: this attempt is over, so the publish
      // waiting for it goes on (its late settlement is ignored).
      d.ctl = undefined;
      releaseBatch(d);
    }
  }

  protected acked(resolved: Delivery[]): void {
    let count = 0;
    for (let i = 0; i < resolved.length; i++) {
      const d = resolved[i];
      if (d.state === DONE) continue; // listed twice
      this.#release(d);
      this.#complete(d);
      count++;
    }
    this.#settled();
    reportAck(this.host.bus, this.id, count, this.#checkpoint.floor);
    this.#pump();
  }

  protected nacked(d: Delivery, error: LastError, requeue: boolean, delay?: number): void {
    const waiting = d.state === WAITING;
    this.#release(d);
    if (!requeue) {
      d.lastError = error;
      this.#deadLetter(d);
      this.#settled();
    } else if (waiting) {
      // Already failed and parked: only move its retry time.
      d.lastError = error;
      this.#q.pending++;
      this.#wait(d, delay ?? 0);
    } else {
      this.#retryOrDeadLetter(d, error, delay);
    }
    this.#pump();
  }

  /**
   * Deliver to a new receiver from now on, and send it every unacked delivery again:
   * in-flight ones (the old receiver may be gone) and those waiting for a retry are
   * queued at once, ahead of never-delivered ones; nothing is queued twice.
   */
  reconnect(deliver: DeliverFunction, target: string): ReconnectResult {
    this.receiver.set(deliver, target);
    const redelivered = this.#q.requeueUnacked();
    this.#pump();
    return { checkpoint: this.#checkpoint.floor, redelivered };
  }

  // ── DLQ redrive ────────────────────────────────────────────────────────────

  protected tracked(): ReadonlyMap<string, Delivery> {
    return this.#q.byKey;
  }

  protected redriveRefused(): boolean {
    return this.#halted || this.#q.inFlight + this.#q.pending >= this.maxInFlight + this.maxPending;
  }

  /** A redriven entry is a fresh delivery (attempts start over), outside the log order. */
  protected redriveEntry(entry: DlqEntry, key: string): void {
    this.#q.pending++;
    this.#track(new Delivery(key, entry.logId, entry.signal, false, entry.id, 0));
  }

  protected override redriveTaken(): void {
    this.#pump();
  }

  /** The DLQ was cleared: entries being redriven no longer have an entry to delete. */
  forgetRedrives(): void {
    this.#dlq.clear();
  }

  // ── timers ─────────────────────────────────────────────────────────────────

  /** In-flight `d` was not acked by its deadline: a failed attempt. */
  #expired(d: Delivery): void {
    if (d.state === DISPATCHING) {
      // Still running: abort it; its late settlement is ignored (the state moves on).
      const ctl = d.ctl;
      const seq = d.seq;
      d.ctl = undefined;
      releaseBatch(d);
      // Reported while it still runs: an abort listener or `errors$` may ack or nack it.
      this.abortTimedOut(d, ctl);
      if (d.seq !== seq || d.state !== DISPATCHING) return;
    }
    this.#q.inFlight--;
    this.#retryOrDeadLetter(
      d,
      { code: 'ack_timeout', message: `not acked within ${this.ackTimeout} ms of hand-over` },
      0,
    );
  }

  /** Waiting `d` reached its retry time. */
  #due(d: Delivery): void {
    d.state = QUEUED;
    this.#q.retrying--;
    this.#q.push(d);
  }

  #fired(failures: boolean): void {
    if (failures) this.#checkpoint.advance();
    this.#pump();
  }

  // ── checkpoint ─────────────────────────────────────────────────────────────

  #snapshot(): SubscriptionState {
    const { id, pattern, persisted, createdAt } = this;
    const base = { subscriptionId: id, pattern, options: persisted, createdAt };
    return this.#checkpoint.state(base, this.#q.values());
  }

  // ── introspection ──────────────────────────────────────────────────────────

  protected live(): LiveStats {
    return {
      inFlight: this.#q.inFlight,
      pending: this.#q.pending - this.#q.retrying,
      retrying: this.#q.retrying,
      maxDlqSize: this.maxDlqSize,
      checkpoint: this.#checkpoint.floor,
      maxInFlight: this.maxInFlight,
      maxPending: this.maxPending,
      target: this.receiver.target,
    };
  }
}
