import { AckTimeoutError, SubscriberError, type BusError } from '../../errors/bus.error.js';
import type { DeliveryController } from '../../dispatch/delivery-controller.js';
import type { DlqEntry } from '../../store/signal-store.interface.js';
import type { BackoffFunction } from './backoff.js';
import { findDelivery, resolveAckIds } from './ack-ids.js';
import { redriveEntries, type Redrives } from './dead-letter.js';
import type {
  DeliverFunction,
  NackOptions,
  PersistentEngine,
  PersistentHost,
  PersistentStats,
  ReconnectResult,
  RedriveResult,
} from './engine.js';
import { subscriptionStoreError, type LastError } from './failure.js';
import {
  checkNackDelay,
  resolvePersistentOptions,
  type PersistentSubscribeOptions,
  type ResolvedPersistentOptions,
} from './options.js';
import { Receiver } from './receiver.js';
import { PersistentCounters, type LiveStats } from './stats.js';
import { reportDeliver, reportNack, reportRedrive, type ReportedDelivery } from './telemetry.js';

/** What a persistent engine is created with. @internal */
export interface EngineInit<S extends PersistentHost['store'] = PersistentHost['store']> {
  readonly host: PersistentHost<S>;
  /** Subscription id. */
  readonly id: string;
  /** The (covering) pattern it is stored and filtered with. */
  readonly pattern: string;
  readonly options: PersistentSubscribeOptions;
  /** The receiver and its secret-free description. */
  readonly deliver: DeliverFunction;
  readonly target: string;
}

/**
 * What both persistent engines share: the validated options, the receiver, the counters,
 * loading once, resolving the ids of `ack`/`nack`, the `nack` and `redrive` steps common
 * to both, and the stats. Each engine is the state machine behind the abstract steps.
 * @internal
 */
export abstract class PersistentEngineBase<
  D extends ReportedDelivery,
  S extends PersistentHost['store'] = PersistentHost['store'],
> implements PersistentEngine {
  readonly maxInFlight: number;
  readonly maxAttempts: number;
  readonly ackTimeout: number;
  readonly autoAck: boolean;
  readonly id: string;
  readonly pattern: string;
  createdAt: number;

  protected readonly host: PersistentHost<S>;
  /** The validated options. */
  protected readonly options: ResolvedPersistentOptions;
  protected readonly backoff: BackoffFunction;
  /** JSON-safe options kept in the subscription state. */
  protected readonly persisted: Record<string, unknown>;
  protected readonly receiver: Receiver;
  protected readonly counters = new PersistentCounters();
  /** The DLQ entries being redriven. */
  protected abstract readonly redrives: Redrives;
  #loaded: Promise<void> | undefined;

  /**
   * @throws BusOptionError (`invalid_option`) naming the bad option
   */
  constructor(init: EngineInit<S>) {
    const { host, deliver, target } = init;
    this.host = host;
    this.id = init.id;
    this.pattern = init.pattern;
    const o = (this.options = resolvePersistentOptions(host.bus, init.options));
    this.maxInFlight = o.maxInFlight;
    this.maxAttempts = o.maxAttempts;
    this.ackTimeout = o.ackTimeout;
    this.autoAck = o.autoAck;
    this.backoff = o.backoff;
    this.persisted = o.persisted;
    this.receiver = new Receiver(deliver, target);
    this.createdAt = Date.now();
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  /**
   * Load the stored state and start delivering (once; later calls share the first load).
   * @throws BusOptionError when the stored subscription has another pattern; store errors
   */
  load(): Promise<void> {
    return (this.#loaded ??= this.loadState());
  }

  /** The load started, if any. */
  protected get loaded(): Promise<void> | undefined {
    return this.#loaded;
  }

  protected abstract loadState(): Promise<void>;
  abstract halt(): void;
  abstract stop(persist: boolean): Promise<void>;
  abstract destroy(): Promise<void>;
  abstract reconnect(deliver: DeliverFunction, target: string): ReconnectResult;
  abstract forgetRedrives(): void;

  // ── ack / nack ─────────────────────────────────────────────────────────────

  /** The delivery awaiting an ack with log id or signal id `id`, if any. */
  protected abstract awaiting(id: string): D | undefined;

  /** Ack the resolved deliveries (a delivery may be listed twice). */
  protected abstract acked(list: D[]): void;

  /** `d` was nacked: redeliver it after `delay`, or dead-letter it (`requeue` false). */
  protected abstract nacked(
    d: D,
    error: LastError,
    requeue: boolean,
    delay: number | undefined,
  ): void;

  /** Find the delivery an ack or nack names. */
  protected resolve(id: unknown): D {
    return findDelivery(this.host.bus, this.id, id, (key) => this.awaiting(key));
  }

  /**
   * Ack deliveries by log id or signal id. Every id is resolved first: one bad id throws
   * and nothing is acked.
   * @throws InvalidAckArgumentError, UnknownLogIdError, InvalidLogIdError
   */
  ack(ids: string | readonly string[]): void {
    this.acked(resolveAckIds(this.host.bus, this.id, ids, (id) => this.resolve(id)));
  }

  /**
   * Negative ack: redeliver after `delay` (default: the backoff; counts as a failed
   * attempt, dead-lettered once `maxAttempts` is reached), or dead-letter now with
   * `requeue: false`.
   * @throws InvalidAckArgumentError, UnknownLogIdError, InvalidLogIdError, BusOptionError
   */
  nack(id: string, options: NackOptions = {}): void {
    const { requeue = true, delay, reason } = options;
    checkNackDelay(this.host.bus, delay);
    const d = this.resolve(id);
    reportNack(this.host.bus, this.id, d, requeue, delay);
    const error: LastError = {
      code: 'nacked',
      message: reason ?? (requeue ? 'nacked' : 'nacked without requeue'),
    };
    this.nacked(d, error, requeue, delay);
  }

  // ── DLQ redrive ────────────────────────────────────────────────────────────

  /** The tracked deliveries by key (a redriven entry whose log id is one gets `dlq:<id>`). */
  protected abstract tracked(): ReadonlyMap<string, D>;

  /** Whether a redrive can take no more entries now. */
  protected abstract redriveRefused(): boolean;

  /** Deliver DLQ entry `entry` again, tracked under `key`. */
  protected abstract redriveEntry(entry: DlqEntry, key: string): void;

  /** A redrive took its entries. */
  protected redriveTaken(): void {}

  /**
   * Send up to `limit` DLQ entries back through the subscription as fresh deliveries
   * (attempts start over); `ids`: only these entries (the listing is then not limited).
   * An entry leaves the DLQ when its redelivery is acked (or is replaced by a new entry if
   * it fails again); entries already being redriven are skipped. With `clearOnSuccess`
   * false an acked redelivery leaves its entry in the DLQ.
   */
  async redrive(
    limit: number | undefined,
    clearOnSuccess = true,
    ids?: ReadonlySet<string>,
  ): Promise<RedriveResult> {
    const result = await redriveEntries(
      this.host,
      this.id,
      this.redrives,
      { limit, clearOnSuccess, ids },
      this.tracked(),
      () => this.redriveRefused(),
      (entry, key) => this.redriveEntry(entry, key),
    );
    this.counters.redriven += result.redriven;
    this.redriveTaken();
    reportRedrive(this.host.bus, this.id, result.redriven, result.failed);
    return result;
  }

  // ── introspection ──────────────────────────────────────────────────────────

  /** The live part of the stats. */
  protected abstract live(): LiveStats;

  /** Current counters. */
  stats(): PersistentStats {
    return this.counters.stats(this.live());
  }

  /** Report a failed attempt of `d` (a `SubscriberError` caused by `error`). */
  protected reportFailure(d: D, error: unknown): void {
    this.host.report(new SubscriberError(this.host.bus, this.id, d.signal.id, error));
  }

  /**
   * The ack deadline of `d`'s running attempt passed: report it and abort the handler
   * (through `ctl`, when it took a context; its late settlement is ignored).
   */
  protected abortTimedOut(d: D, ctl: DeliveryController | undefined): void {
    const reason = new AckTimeoutError(this.host.bus, this.id, d.signal.id, this.ackTimeout);
    this.reportFailure(d, reason);
    ctl?.abort(reason);
  }

  /** Report attempt `d.attempts` of `d` as handed over; its context, if the receiver takes one. */
  protected startAttempt(d: D): DeliveryController | undefined {
    reportDeliver(this.host.bus, this.id, d);
    return this.receiver.context(d.attempts);
  }

  /** A store failure of this subscription as a `BusError` (`store_error`). */
  protected storeError(message: string, error: unknown): BusError {
    return subscriptionStoreError(this.host.bus, this.id, message, error);
  }
}
