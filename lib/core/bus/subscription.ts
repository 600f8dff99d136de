import type { DeliveryContext, DispatchConfig } from '../dispatch/adapter.interface.js';
import type { Signal } from '../signal/signal.js';
import type { DeliverFunction, PersistentEngine, PersistentStats } from './persistent/engine.js';
import type { RejectionHook } from './rejection-hook.js';

/**
 * A plain subscriber function. It may return anything or a promise; a throw or rejection
 * is a failed delivery (reported, never failing the publish).
 *
 * A persistent subscription passes a second argument when the handler declares one: the
 * delivery's `DeliveryContext` — `attempt` (1 for the first delivery) and an abort that
 * fires (reason: `AckTimeoutError`) when the `ackTimeout` passes while the handler still
 * runs. Ordinary subscriptions pass `undefined`.
 */
export type SignalHandler = (signal: Signal, delivery?: DeliveryContext) => unknown;

/** Where a subscription's signals go: a handler function, one dispatch config or a list. */
export type SubscriptionDispatch = SignalHandler | DispatchConfig | readonly DispatchConfig[];

/** Options of `SignalBus.subscribe`. */
export interface SubscribeOptions {
  /**
   * A handler function (called directly, the fastest path), or any dispatch config — or a
   * list — delivered through the bus's `Dispatcher` (e.g. `{ adapter: 'pid', target: fn }`,
   * `{ adapter: 'http', url }`). Configs are validated at subscribe time. A config with
   * `batch: { size, timeout }` (`SubscriptionBatchOptions`) buffers signals for its target
   * and sends them in batches (one CloudEvents batch request for `http`/`webhook`). Required.
   */
  dispatch: SubscriptionDispatch;
  /**
   * Integer −100..100; higher-priority subscriptions receive a signal first. Ties are broken
   * by pattern specificity, then registration order.
   * @default 0
   */
  priority?: number;
  /** Id of the subscription; must be unique on the bus. @default a new UUIDv7 */
  subscriptionId?: string;
  /**
   * `true` makes the subscription persistent (at-least-once, acks, retries, DLQ) — see
   * `PersistentSubscribeOptions`.
   * @default false
   */
  persistent?: false;
}

/** Kind of a subscription (`subscribe` or `stream`); see `SubscriptionInfo.persistent` for at-least-once ones. */
export type SubscriptionKind = 'ordinary' | 'stream';

/** Public, read-only description of a subscription (what middleware and `stats()` see). */
export interface SubscriptionInfo {
  /** Subscription id. */
  readonly id: string;
  /** The pattern it subscribed with. */
  readonly pattern: string;
  /** Priority (−100..100). */
  readonly priority: number;
  /** `'ordinary'` for `subscribe`, `'stream'` for a `stream()` observer. */
  readonly kind: SubscriptionKind;
  /** Whether deliveries are tracked for at-least-once delivery (`subscribe` with `persistent: true`). */
  readonly persistent: boolean;
  /** Partition (lane) that delivers to it; `0` on a bus without partitions. */
  readonly partition: number;
  /** When it was created (ms since the epoch). */
  readonly createdAt: number;
  /** Secret-free description of where signals go (`handler onOrder`, `http https://host/path`). */
  readonly target: string;
}

/** Counters of one subscription, from `SignalBus.stats()`. */
export interface SubscriptionStats extends SubscriptionInfo {
  /** Deliveries that succeeded. */
  readonly delivered: number;
  /** Deliveries that failed (handler or dispatch error, middleware failure or halt). */
  readonly failed: number;
  /** Deliveries `beforeDispatch` middleware skipped. */
  readonly skipped: number;
  /** Deliveries a partition's rate limit dropped. */
  readonly rateLimited: number;
  /** Deliveries started and not settled yet (persistent: handed over and not acked yet). */
  readonly inFlight: number;
  /** Flow-control and ack counters of a persistent subscription (absent otherwise). */
  readonly persistence?: PersistentStats;
}

export type { DeliverFunction } from './persistent/engine.js';

/**
 * A registered subscription: its description, how to deliver, and its counters. Internal
 * to the bus; the public view is {@link SubscriptionInfo}.
 * @internal
 */
export class Subscription implements SubscriptionInfo {
  delivered = 0;
  failed = 0;
  skipped = 0;
  rateLimited = 0;
  inFlight = 0;
  /** Set once unsubscribed: deliveries already admitted still run, nothing new is admitted. */
  removed = false;
  /** Router route id. */
  routeId = '';
  /** Settles a rejected delivery of a handler that registered a hook (see `setRejectionHook`). */
  onRejected: RejectionHook | undefined = undefined;
  /**
   * The handler itself when it is a function taking the signal only: the plain path calls
   * it directly (with the signal alone, as `deliver` would) instead of through `deliver`.
   */
  handler: ((signal: Signal) => unknown) | undefined = undefined;
  /**
   * Settle callbacks of this subscription's deliveries in the bus's shared plain publish
   * (see `FanOut`): made once, so such a delivery allocates no closures.
   */
  settleOk: (() => void) | undefined = undefined;
  settleFail: ((error: unknown) => void) | undefined = undefined;
  #info: SubscriptionInfo | undefined;

  constructor(
    readonly id: string,
    readonly pattern: string,
    readonly priority: number,
    readonly kind: SubscriptionKind,
    readonly partition: number,
    readonly createdAt: number,
    readonly target: string,
    /** Delivers one signal; may throw or return a promise. */
    readonly deliver: DeliverFunction,
    /** The at-least-once machinery of a persistent subscription. */
    readonly persistence?: PersistentEngine,
  ) {}

  /** Whether the subscription is persistent. */
  get persistent(): boolean {
    return this.persistence !== undefined;
  }

  /** The frozen description (what middleware get; created once). */
  info(): SubscriptionInfo {
    return (this.#info ??= Object.freeze({
      id: this.id,
      pattern: this.pattern,
      priority: this.priority,
      kind: this.kind,
      persistent: this.persistent,
      partition: this.partition,
      createdAt: this.createdAt,
      target: this.target,
    }));
  }

  /** Description plus counters. */
  stats(): SubscriptionStats {
    const persistence = this.persistence?.stats();
    return Object.freeze({
      ...this.info(),
      delivered: persistence?.delivered ?? this.delivered,
      failed: this.failed,
      skipped: this.skipped,
      rateLimited: this.rateLimited,
      inFlight: persistence?.inFlight ?? this.inFlight,
      ...(persistence === undefined ? {} : { persistence }),
    });
  }
}
