import { AckTimeoutError } from '../../errors/bus.error.js';
import type { DeliveryController } from '../../dispatch/delivery-controller.js';
import type { Signal } from '../../signal/signal.js';
import type {
  ConsumerStart,
  DistributedSignalStore,
  DurableConsumer,
  DurableMessage,
} from '../../store/distributed-store.interface.js';
import type { DlqEntry } from '../../store/signal-store.interface.js';
import { dlqEntry, Redrives } from './dead-letter.js';
import type { DeliverFunction, PersistentHost, ReconnectResult } from './engine.js';
import { PersistentEngineBase, type EngineInit } from './engine-base.js';
import { describeError, type LastError } from './failure.js';
import { assertStoredPattern } from './options.js';
import { Thrown } from './receiver.js';
import type { LiveStats } from './stats.js';
import { reportAck, reportDeadLetter, reportRetry } from './telemetry.js';
import { StoreWrites } from './writes.js';

/** What a remote persistent subscription needs of its bus. @internal */
export type RemotePersistentHost = PersistentHost<DistributedSignalStore>;

/** `ack_wait` used when `ackTimeout` is 0 (disabled): one day. */
const NO_ACK_TIMEOUT = 86_400_000;

/** One delivery on this instance: from the durable consumer, or redriven from the DLQ. */
class RemoteDelivery {
  /** Dispatch running (not settled). */
  dispatching = false;
  done = false;
  firstAttemptAt: number;
  lastAttemptAt = 0;
  /** Retry timer of a DLQ redrive waiting here. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Ack deadline of a running dispatch (`ackTimeout` from hand-over). */
  deadline: ReturnType<typeof setTimeout> | undefined;
  /** Abort handle of a running dispatch whose receiver takes a context. */
  ctl: DeliveryController | undefined;
  /** Bumped per dispatch so a late settlement of an aborted attempt is ignored. */
  seq = 0;

  constructor(
    /** Key in the tracking map: the log id, or `dlq:<id>` for a redrive of a tracked one. */
    readonly key: string,
    readonly signal: Signal,
    readonly logId: string | undefined,
    /** The server's delivery (undefined for a DLQ redrive). */
    readonly message: DurableMessage | undefined,
    /** Attempts including this one (the server's count for consumer deliveries). */
    public attempts: number,
    readonly dlqId: string | undefined,
  ) {
    this.firstAttemptAt = Date.now();
  }
}

/**
 * A persistent subscription over a {@link DistributedSignalStore}: a durable consumer shared
 * by every instance of the bus (competing consumers). The server keeps the delivery state —
 * `maxInFlight` is `max_ack_pending` across instances, `ackTimeout` is `ack_wait`, retries
 * are `nak(backoff delay)` and `maxAttempts` bounds the server's delivery count (one extra
 * delivery is reserved to dead-letter an entry whose last attempt timed out, so nothing is
 * dropped silently). This instance tracks only its own deliveries for `ack`/`nack`.
 * @internal — use it through `SignalBus`.
 */
export class RemotePersistentSubscription extends PersistentEngineBase<
  RemoteDelivery,
  DistributedSignalStore
> {
  readonly #start: ConsumerStart;
  readonly #byKey = new Map<string, RemoteDelivery>();
  readonly #bySignal = new Map<string, RemoteDelivery>();
  protected readonly redrives = new Redrives();
  /** Store writes and the consumer's stop, awaited by `stop`. */
  readonly #work: StoreWrites;
  #consumer: DurableConsumer | undefined;
  #halted = false;
  #inFlight = 0;
  #waiting = 0;

  /**
   * @throws BusOptionError (`invalid_option`) naming the bad option
   */
  constructor(init: EngineInit<DistributedSignalStore>) {
    super(init);
    const { host } = init;
    const { start } = this.options;
    this.#start =
      start.since !== undefined ? start.since : start.after !== undefined ? 'current' : 'origin';
    this.#work = new StoreWrites((error) =>
      host.report(this.storeError('Writing to the dead-letter queue failed', error)),
    );
  }

  /**
   * Store the subscription state (or check the stored one) and start pulling from the
   * shared durable consumer.
   */
  protected async loadState(): Promise<void> {
    const { store, bus } = this.host;
    const existing = await store.getSubscription(bus, this.id);
    assertStoredPattern(bus, this.id, existing, this.pattern);
    if (existing !== undefined) {
      this.createdAt = existing.createdAt;
    } else {
      await store.putSubscription(bus, {
        subscriptionId: this.id,
        pattern: this.pattern,
        options: this.persisted,
        acked: [],
        attempts: {},
        createdAt: this.createdAt,
      });
    }
    const consumer = await store.openConsumer(
      bus,
      {
        subscriptionId: this.id,
        pattern: this.pattern,
        maxAckPending: this.maxInFlight,
        // Unlimited on the server: hand-backs (stop, reconnect) count as deliveries too, so a
        // server-side limit could drop an entry silently. `#receive` dead-letters an entry
        // delivered more than `maxAttempts` times instead.
        maxDeliver: -1,
        ackWait: this.ackTimeout > 0 ? this.ackTimeout : NO_ACK_TIMEOUT,
        startFrom: this.#start,
      },
      (message) => this.#receive(message),
    );
    if (this.#halted) await consumer.stop();
    else this.#consumer = consumer;
  }

  /** Stop pulling; deliveries on this instance are no longer redelivered here. */
  halt(): void {
    if (this.#halted) return;
    this.#halted = true;
    for (const d of [...this.#byKey.values()]) {
      if (d.timer === undefined) continue;
      // A redrive waiting for its retry: its entry stays in the DLQ.
      this.#forget(d);
      this.redrives.end(d.dlqId!);
    }
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer !== undefined) this.#work.track(consumer.stop());
  }

  /**
   * Halt, let running dispatches finish, and hand every delivery still awaiting an ack back
   * to the server (another instance, or this subscription's next start, gets it; the store
   * delays the redelivery past the stopped consumer's lingering pull request).
   * Errors are reported, never thrown.
   */
  async stop(): Promise<void> {
    this.halt();
    if (this.loaded !== undefined) await this.loaded.catch(() => undefined);
    await this.#work.settle();
    // Everything not settled goes back, including deliveries still being dispatched (a late
    // result of those is ignored: they are done here).
    for (const d of [...this.#byKey.values()]) {
      if (d.done) continue;
      this.#forget(d);
      d.message?.nak();
    }
    await this.#work.settle();
  }

  /** Delete the durable consumer, the stored state and the DLQ of this subscription. */
  async destroy(): Promise<void> {
    const { store, bus } = this.host;
    await this.#work.settle();
    await store.deleteConsumer(bus, this.id);
    await store.deleteSubscription(bus, this.id);
    await store.clearDlq(bus, this.id);
  }

  // ── deliveries ─────────────────────────────────────────────────────────────

  #receive(message: DurableMessage): void {
    if (this.#halted) {
      message.nak();
      return;
    }
    const { entry } = message;
    const d = new RemoteDelivery(
      entry.logId,
      entry.signal,
      entry.logId,
      message,
      message.deliveryCount,
      undefined,
    );
    const previous = this.#byKey.get(d.key);
    if (previous !== undefined) {
      // Redelivered to us (its ack_wait passed): a handler still running on it is aborted.
      const running = previous.dispatching ? previous.ctl : undefined;
      this.#forget(previous);
      running?.abort(new AckTimeoutError(this.host.bus, this.id, d.signal.id, this.ackTimeout));
    }
    this.#byKey.set(d.key, d);
    this.#bySignal.set(d.signal.id, d);
    this.#inFlight++;
    if (d.attempts > this.maxAttempts) {
      // Every attempt was used up by ack timeouts: dead-letter, never drop.
      this.#deadLetter(d, {
        code: 'ack_timeout',
        message: `not acked within ${this.ackTimeout} ms in ${this.maxAttempts} attempts`,
      });
      return;
    }
    this.#dispatch(d);
  }

  #dispatch(d: RemoteDelivery): void {
    d.dispatching = true;
    d.lastAttemptAt = Date.now();
    const seq = ++d.seq;
    const ctl = this.startAttempt(d);
    const result = this.receiver.call(this.host, this.id, d.signal, d.logId ?? d.key, ctl);
    if (result instanceof Thrown) {
      this.#failed(d, seq, result.error);
      return;
    }
    if (result !== undefined) {
      d.ctl = ctl;
      // `ack_wait` counts from hand-over on the server (no `working()` while the handler
      // runs): at the deadline a handler still running is aborted and the attempt fails.
      if (this.ackTimeout > 0) {
        d.deadline = setTimeout(() => this.#timedOut(d, seq), this.ackTimeout);
        d.deadline.unref?.();
      }
      // Not tracked by stop(): a handler that never settles must not block a shutdown.
      void result.then(
        () => this.#succeeded(d, seq),
        (error: unknown) => this.#failed(d, seq, error),
      );
    } else this.#succeeded(d, seq);
  }

  /** The dispatch of attempt `seq` ended (settled or timed out): drop its timer and abort handle. */
  #endAttempt(d: RemoteDelivery, seq: number): boolean {
    if (d.seq !== seq || !d.dispatching) return false;
    d.dispatching = false;
    d.ctl = undefined;
    if (d.deadline !== undefined) {
      clearTimeout(d.deadline);
      d.deadline = undefined;
    }
    return !d.done;
  }

  /** `ackTimeout` passed while the handler of attempt `seq` still runs. */
  #timedOut(d: RemoteDelivery, seq: number): void {
    d.deadline = undefined;
    const ctl = d.ctl;
    if (!this.#endAttempt(d, seq) || this.#halted) return;
    this.abortTimedOut(d, ctl);
    if (this.#settledMeanwhile(d)) return;
    if (d.message !== undefined) {
      // The server's `ack_wait` (from its hand-over, a little earlier) has passed too: it
      // redelivers the entry itself — a nak here would race that redelivery and cost an
      // extra attempt. The last attempt is dead-lettered by the reserved extra delivery.
      this.#forget(d);
      return;
    }
    this.#retryOrDeadLetter(
      d,
      { code: 'ack_timeout', message: `not acked within ${this.ackTimeout} ms of hand-over` },
      0,
    );
  }

  #succeeded(d: RemoteDelivery, seq: number): void {
    if (!this.#endAttempt(d, seq)) return;
    this.counters.delivered++;
    // Not acked by autoAck: the server's `ack_wait` (from hand-over) keeps running.
    if (this.autoAck) this.#complete([d]);
  }

  #failed(d: RemoteDelivery, seq: number, error: unknown): void {
    if (!this.#endAttempt(d, seq)) return;
    this.reportFailure(d, error);
    if (!this.#settledMeanwhile(d)) this.#retryOrDeadLetter(d, describeError(error), undefined);
  }

  /**
   * Whether a failed attempt of `d` was acked or nacked while it was being reported (by an
   * `errors$` or abort listener): then the failure leads nowhere further.
   */
  #settledMeanwhile(d: RemoteDelivery): boolean {
    return d.done || d.timer !== undefined;
  }

  #retryOrDeadLetter(d: RemoteDelivery, error: LastError, delay: number | undefined): void {
    if (d.attempts >= this.maxAttempts) {
      this.#deadLetter(d, error);
      return;
    }
    this.counters.retried++;
    const wait = delay ?? this.backoff(d.attempts);
    reportRetry(this.host.bus, this.id, d, wait, error.code);
    if (d.message !== undefined) {
      // The server redelivers it after `wait`, to whichever instance pulls first.
      this.#forget(d);
      d.message.nak(wait);
      return;
    }
    // A DLQ redrive retries here (its entry stays in the DLQ until it succeeds).
    if (this.#halted) {
      this.#forget(d);
      this.redrives.end(d.dlqId!);
      return;
    }
    this.#inFlight--;
    this.#waiting++;
    d.timer = setTimeout(() => {
      d.timer = undefined;
      this.#waiting--;
      this.#inFlight++;
      d.attempts++;
      this.#dispatch(d);
    }, wait);
    d.timer.unref?.();
  }

  #complete(list: readonly RemoteDelivery[]): void {
    const { store, bus } = this.host;
    for (const d of list) {
      this.#forget(d);
      this.counters.acked++;
      // A lost ack means a redelivery (at least once).
      if (d.message !== undefined) d.message.ack();
      else if (this.redrives.acked(d.dlqId!)) {
        this.#work.write(store.deleteDlq(bus, this.id, [d.dlqId!]));
      }
    }
    reportAck(bus, this.id, list.length, undefined);
  }

  /** Write a DLQ entry, then `term` the server's delivery (a failed write naks it instead). */
  #deadLetter(d: RemoteDelivery, error: LastError): void {
    this.#forget(d);
    this.counters.deadLettered++;
    const attempts = Math.min(d.attempts, this.maxAttempts);
    const entry = dlqEntry(this.id, d, attempts, error, Date.now());
    const { store, bus } = this.host;
    const previous = d.dlqId;
    if (previous !== undefined) this.redrives.end(previous);
    const message = d.message;
    this.#work.write(
      store.putDlq(bus, entry).then(
        async () => {
          message?.term();
          if (previous !== undefined) await store.deleteDlq(bus, this.id, [previous]);
        },
        (failure: unknown) => {
          message?.nak(this.backoff(d.attempts));
          throw failure;
        },
      ),
    );
    reportDeadLetter(bus, this.id, d, { id: entry.id, attempts, reason: error.code }, undefined);
  }

  #forget(d: RemoteDelivery): void {
    if (d.done) return;
    d.done = true;
    if (d.deadline !== undefined) {
      clearTimeout(d.deadline);
      d.deadline = undefined;
    }
    if (d.timer !== undefined) {
      clearTimeout(d.timer);
      d.timer = undefined;
      this.#waiting--;
    } else this.#inFlight--;
    if (this.#byKey.get(d.key) === d) this.#byKey.delete(d.key);
    if (this.#bySignal.get(d.signal.id) === d) this.#bySignal.delete(d.signal.id);
  }

  // ── ack / nack / reconnect ────────────────────────────────────────────────

  protected awaiting(id: string): RemoteDelivery | undefined {
    const d = this.#byKey.get(id) ?? this.#bySignal.get(id);
    return d !== undefined && !d.done ? d : undefined;
  }

  protected acked(list: RemoteDelivery[]): void {
    this.#complete([...new Set(list)]);
  }

  protected nacked(d: RemoteDelivery, error: LastError, requeue: boolean, delay?: number): void {
    if (d.timer !== undefined) {
      clearTimeout(d.timer);
      d.timer = undefined;
      this.#waiting--;
      this.#inFlight++;
    }
    if (!requeue) this.#deadLetter(d, error);
    else this.#retryOrDeadLetter(d, error, delay);
  }

  /**
   * Deliver to a new receiver from now on. Deliveries of this instance awaiting an ack are
   * handed back to the server at once, so they are redelivered (to any instance) without
   * waiting for `ackTimeout`.
   */
  reconnect(deliver: DeliverFunction, target: string): ReconnectResult {
    this.receiver.set(deliver, target);
    let redelivered = 0;
    for (const d of [...this.#byKey.values()]) {
      if (d.dispatching || d.message === undefined) continue;
      this.#forget(d);
      d.message.nak();
      redelivered++;
    }
    return { checkpoint: undefined, redelivered };
  }

  // ── DLQ redrive ────────────────────────────────────────────────────────────

  protected tracked(): ReadonlyMap<string, RemoteDelivery> {
    return this.#byKey;
  }

  protected redriveRefused(): boolean {
    return this.#halted;
  }

  /**
   * Dispatch a DLQ entry again on this instance, with fresh attempts and the subscription's
   * backoff between them (it is not redelivered by the server).
   */
  protected redriveEntry(entry: DlqEntry, key: string): void {
    const d = new RemoteDelivery(key, entry.signal, entry.logId, undefined, 1, entry.id);
    this.#byKey.set(d.key, d);
    if (!this.#bySignal.has(d.signal.id)) this.#bySignal.set(d.signal.id, d);
    this.#inFlight++;
    this.#dispatch(d);
  }

  /** The DLQ was cleared: entries being redriven no longer have an entry to delete. */
  forgetRedrives(): void {
    this.redrives.clear();
  }

  // ── introspection ──────────────────────────────────────────────────────────

  /**
   * Counters of this instance. `retrying` counts DLQ redrives waiting for a retry here;
   * entries not delivered yet (and server-side redeliveries) live on the server (see the
   * store's consumer info), so `pending` is 0. The DLQ is not bounded by this engine.
   */
  protected live(): LiveStats {
    return {
      inFlight: this.#inFlight,
      pending: 0,
      retrying: this.#waiting,
      maxDlqSize: Infinity,
      checkpoint: undefined,
      maxInFlight: this.maxInFlight,
      maxPending: 0,
      target: this.receiver.target,
    };
  }
}
