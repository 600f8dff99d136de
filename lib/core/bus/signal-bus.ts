import { Observable, Subject, type Subscriber } from 'rxjs';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { batchedDelivery, BatchingRegistry } from './batched-target.js';
import type { DispatchConfig } from '../dispatch/adapter.interface.js';
import type { BusRegistry } from '../dispatch/bus-registry.interface.js';
import {
  BusClosedError,
  BusError,
  BusOptionError,
  InvalidSignalsError,
  PublishHandlersError,
  RateLimitedError,
  SubscriberError,
  SubscriptionExistsError,
  SubscriptionNotFoundError,
  SubscriptionNotPersistentError,
  type DroppedDelivery,
} from '../errors/bus.error.js';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import { validatePattern } from '../router/pattern.js';
import { SignalRouter } from '../router/signal-router.js';
import { Signal } from '../signal/signal.js';
import { SignalId } from '../signal/signal-id.js';
import { MemoryStore } from '../store/memory.store.js';
import type { RecordedSignal, SignalStore, TrimOptions } from '../store/signal-store.interface.js';
import {
  isDistributedStore,
  type DistributedSignalStore,
  type LogTail,
} from '../store/distributed-store.interface.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { CausalityContext, causalityDeliveryScope } from '../journal/causality-context.js';
import { recordPublished } from '../journal/record-published.js';
import type { SignalJournal } from '../journal/signal-journal.js';
import type { DeliveryScope } from './delivery-scope.js';
import {
  observedPublish,
  openTelemetryRegistered,
  trackBusForMetrics,
  withOpenTelemetry,
} from '../telemetry/otel/bus-hooks.js';
import { MiddlewarePipeline, type DispatchVerdict } from './middleware-pipeline.js';
import { isThenable } from '../util/is-thenable.js';
import type {
  BusMiddleware,
  DeliveryResult,
  DispatchContext,
  PublishContext,
} from './middleware.interface.js';
import { Lane, type PartitionStats } from './partition.js';
import { BusDlq } from './dlq.js';
import type { NackOptions, PersistentEngine, ReconnectResult } from './persistent/engine.js';
import type { PersistentSubscribeOptions } from './persistent/options.js';
import { PersistentRegistry } from './persistent/registry.js';
import { rejectionHookOf } from './rejection-hook.js';
import { BusSnapshots, toMillis } from './snapshots.js';
import {
  Subscription,
  type DeliverFunction,
  type SignalHandler,
  type SubscribeOptions,
  type SubscriptionDispatch,
  type SubscriptionInfo,
  type SubscriptionKind,
  type SubscriptionStats,
} from './subscription.js';
import { partitionOf } from './token-bucket.js';

/**
 * What a publish does when ordinary subscribers fail on its signals: `'report'` resolves
 * anyway (failures go to `errors$` and telemetry only); `'reject'` rejects with a
 * `PublishHandlersError` once every ordinary delivery has settled.
 */
export type HandlerErrorMode = 'report' | 'reject';

/** Options of {@link SignalBus.publish}. */
export interface PublishOptions {
  /**
   * `'reject'`: wait for every ordinary (non-persistent) delivery of this publish and reject
   * with a `PublishHandlersError` (code `'handlers_failed'`) carrying each failure — its
   * subscription id, signal id and the handler's error — when at least one failed. The
   * signals stay recorded and the other subscribers still got them. Use it to roll back a
   * transaction when a handler fails. Not available on a partitioned bus.
   * @default the bus's `handlerErrors` ('report')
   */
  handlerErrors?: HandlerErrorMode;
}

/** Options of a {@link SignalBus}. */
export interface SignalBusOptions {
  /** Name of the bus: scopes its data in the store and appears in errors and telemetry. Required. */
  name: string;
  /**
   * Where the log, snapshots, persistent subscription state and the DLQ live. A store
   * passed in is shared and not closed by the bus.
   * @default a new `MemoryStore`, owned (closed with the bus)
   */
  store?: SignalStore;
  /**
   * Delivers to subscriptions given as dispatch configs. A dispatcher passed in is shared
   * and not closed by the bus.
   * @default a new `Dispatcher({ buses })`, owned (closed with the bus)
   */
  dispatcher?: Dispatcher;
  /**
   * Where the default dispatcher looks up `{ adapter: 'bus', bus: name }` targets (ignored
   * when `dispatcher` is given). `SignalBusRegistry.create` passes itself.
   * @default undefined (the `bus` adapter knows no bus by name)
   */
  buses?: BusRegistry;
  /** Middleware, run in this order for every hook. @default [] */
  middleware?: readonly BusMiddleware[];
  /** Longest one middleware call may take, in ms; `0` disables the limit. @default 100 */
  middlewareTimeout?: number;
  /**
   * Most entries kept in the log; after each publish the oldest entries beyond it are
   * removed. `Infinity` keeps everything.
   * @default 100_000
   */
  maxLogSize?: number;
  /**
   * Entries recorded longer ago than this (ms) are removed by a sweep that runs every
   * `logTtl` ms (an unref'd timer, cleared on close).
   * @default undefined (no time-based retention)
   */
  logTtl?: number;
  /**
   * Number of partitions (lanes) for ordinary subscriptions. With more than one, each
   * subscription is assigned to a lane by a stable hash of its id, every lane delivers in
   * FIFO order with its own rate limit, and `publish` resolves once the signals are
   * recorded and admitted — without waiting for deliveries.
   * @default 1
   */
  partitionCount?: number;
  /** Tokens per second refilled into each partition's bucket (one token per delivery). @default 10_000 */
  partitionRateLimitPerSec?: number;
  /** Capacity of each partition's bucket (the largest burst admitted at once). @default 1_000 */
  partitionBurstSize?: number;
  /**
   * Runs every delivery (see {@link DeliveryScope}); the seam for automatic causality.
   * @default undefined (deliveries run in the publisher's context)
   */
  deliveryScope?: DeliveryScope;
  /**
   * Causality journal: every published signal is recorded with its cause (its
   * `causationid`) right after it is logged, before delivery, so causes always precede
   * effects. Journal failures never fail a publish; they are published on
   * `TelemetryChannel.JournalRecordError`.
   * @default undefined (no journal)
   */
  journal?: SignalJournal;
  /**
   * Automatic causality (DESIGN decision 9): handlers run inside a `CausalityContext`, and
   * a signal published while one runs gets `causationid` = the handled signal's id, and
   * inherits its `correlationid` and (a child of) its `traceparent`, unless it sets them
   * itself. It costs an `AsyncLocalStorage` scope per delivery (noticeable on Node 20).
   * Ignored when `deliveryScope` is given.
   * @default true when a `journal` is set, otherwise false
   */
  causality?: boolean;
  /**
   * Default of {@link PublishOptions.handlerErrors} for every publish of this bus.
   * `'reject'` needs `partitionCount` 1.
   * @default 'report'
   */
  handlerErrors?: HandlerErrorMode;
}

/** Options of {@link SignalBus.replay}. */
export interface ReplayOptions {
  /** Only entries recorded at or after this time (ms since the epoch or a Date). @default undefined (from the start of the log) */
  since?: number | Date;
  /** Only entries recorded at or before this time. @default undefined (up to now) */
  until?: number | Date;
  /** Only entries after this log id (exclusive cursor, for paging). @default undefined */
  afterLogId?: string;
  /** Only signals whose `correlationid` extension equals this. @default undefined */
  correlationId?: string;
  /** At most this many entries — the oldest matching ones. @default undefined (all) */
  limit?: number;
}

/** Options of {@link SignalBus.stream}. */
export interface StreamOptions {
  /**
   * Start with the history `replay(pattern, replay)` returns, then continue live with no
   * gap and no duplicate. With `until` or `limit` the replay ends where they say; live
   * signals are those recorded after the stream subscribed.
   * @default undefined (live signals only)
   */
  replay?: ReplayOptions;
  /** Priority of the stream's subscription (−100..100). @default 0 */
  priority?: number;
}

/** Options of {@link SignalBus.unsubscribe}. */
export interface UnsubscribeOptions {
  /**
   * Persistent subscriptions only: also delete the stored state (checkpoint) and the DLQ
   * entries. Without it the final checkpoint is written and a later `subscribe` with the
   * same id resumes.
   * @default false
   */
  deletePersistence?: boolean;
}

/** Options of {@link SignalBus.close} and {@link SignalBus.drain}. */
export interface CloseOptions {
  /**
   * Longest the drain waits for queued publishes, in-flight deliveries and the follow-ups
   * they publish, in ms; after it the bus closes anyway, late results are ignored and
   * publishes still queued are refused (and reported).
   * @default 30_000
   */
  timeout?: number;
}

/** What {@link SignalBus.stats} reports. */
export interface BusStats {
  /** Name of the bus. */
  readonly bus: string;
  /** Entries in the log now. */
  readonly logSize: number;
  /** Signals recorded by this bus instance since it started. */
  readonly published: number;
  /** Publishes accepted and not settled yet (queued or delivering). */
  readonly pendingPublishes: number;
  /** Number of subscriptions (streams included). */
  readonly subscriptionCount: number;
  /** Every subscription with its counters, in registration order. */
  readonly subscriptions: readonly SubscriptionStats[];
  /** One entry per partition (a single one on a bus without partitions). */
  readonly partitions: readonly PartitionStats[];
}

/** Message on {@link TelemetryChannel.BusPublish}. */
export interface BusPublishTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** Number of signals recorded. */
  readonly count: number;
  /** The recorded entries, in order. */
  readonly entries: readonly RecordedSignal[];
  /** Whether deliveries go through partitions (and the publish does not wait for them). */
  readonly partitioned: boolean;
}

/** Fields shared by the per-delivery bus telemetry messages. */
export interface BusDeliveryTelemetryFields {
  /** Name of the bus. */
  readonly bus: string;
  /** The subscription concerned. */
  readonly subscriptionId: string;
  /** Its pattern. */
  readonly pattern: string;
  /** Partition (lane); `0` without partitions. */
  readonly partition: number;
  /** The signal (after `beforeDispatch` for deliveries). */
  readonly signal: Signal;
  /** Its log position. */
  readonly logId: string;
}

/** Message on {@link TelemetryChannel.BusDispatch}. */
export interface BusDispatchTelemetryMessage extends BusDeliveryTelemetryFields {
  /** Milliseconds from handing the signal over to the delivery settling. */
  readonly durationMs: number;
  /** Whether the delivery succeeded. */
  readonly outcome: 'ok' | 'error';
  /** The failure's code (errors only). */
  readonly errorCode?: string;
  /** The failure (errors only). */
  readonly error?: SubscriberError;
}

/** Message on {@link TelemetryChannel.BusDispatchSkipped}. */
export interface BusSkipTelemetryMessage extends BusDeliveryTelemetryFields {
  /** The middleware that skipped. */
  readonly middleware: string;
  /** Its reason, if it gave one. */
  readonly reason: string | undefined;
}

/** Message on {@link TelemetryChannel.BusError}. */
export interface BusErrorTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** The error's stable code. */
  readonly code: string;
  /** The error (the same value `errors$` emits). */
  readonly error: BusError;
  /** The subscription concerned, if any. */
  readonly subscriptionId: string | undefined;
  /** The signal concerned, if any. */
  readonly signalId: string | undefined;
}

/** Message on {@link TelemetryChannel.BusRateLimited}. */
export interface BusRateLimitedTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** Partition index. */
  readonly partition: number;
  /** Deliveries dropped. */
  readonly dropped: number;
  /** Deliveries that asked for admission. */
  readonly requested: number;
  /** Whole tokens that were available. */
  readonly available: number;
}

/** Message on {@link TelemetryChannel.BusLogTruncated}. */
export interface BusLogTruncatedTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** `'max_size'` (after a publish) or `'ttl'` (the periodic sweep). */
  readonly reason: 'max_size' | 'ttl';
  /** Entries removed. */
  readonly removed: number;
  /** Entries left. */
  readonly newSize: number;
  /** The TTL, for `'ttl'`. */
  readonly ttlMs?: number;
}

const publishChannel = telemetryChannel(TelemetryChannel.BusPublish);
const dispatchChannel = telemetryChannel(TelemetryChannel.BusDispatch);
const skipChannel = telemetryChannel(TelemetryChannel.BusDispatchSkipped);
const errorChannel = telemetryChannel(TelemetryChannel.BusError);
const rateLimitedChannel = telemetryChannel(TelemetryChannel.BusRateLimited);
const truncatedChannel = telemetryChannel(TelemetryChannel.BusLogTruncated);

const OK: DeliveryResult = Object.freeze({ status: 'ok' });

/**
 * Publishes (and lane batches) of draining buses without causality that started before
 * their bus's drain and have not settled: their handlers may publish follow-ups — on any
 * bus — that no context attributes. Process-wide, since a handler may publish to any bus;
 * it only matters while buses drain.
 */
let unattributed = 0;

const DEFAULT_CLOSE_TIMEOUT = 30_000;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'a plain object';
  }
  return typeof value;
}

/** A publish waiting for its turn. */
class QueuedPublish {
  constructor(
    readonly signals: readonly Signal[],
    readonly resolve: (entries: RecordedSignal[]) => void,
    readonly reject: (error: unknown) => void,
    /** Entries another instance recorded (distributed store): deliver only. */
    readonly recorded?: RecordedSignal[],
    /** Reject with the ordinary subscribers' failures (`handlerErrors: 'reject'`). */
    readonly collect = false,
  ) {}
}

/**
 * Delivery bookkeeping of one publish (or lane batch): `pending` counts unsettled
 * deliveries and after-hooks, plus one for the invocation phase itself.
 */
class Tracker {
  pending = 1;
  /** Failed deliveries, collected for a `handlerErrors: 'reject'` publish only. */
  failures: SubscriberError[] | undefined = undefined;
  #waiter: (() => void) | undefined;

  constructor(
    /** The publish's middleware context (set whenever middleware exist). */
    readonly context: PublishContext | undefined,
    readonly onDone: (() => void) | undefined = undefined,
  ) {}

  release(): void {
    if (--this.pending !== 0) return;
    this.onDone?.();
    this.#waiter?.();
  }

  /** End the invocation phase; the promise (if any) resolves once everything settled. */
  finish(): Promise<void> | undefined {
    if (this.pending === 1) {
      this.release();
      return undefined;
    }
    const settled = new Promise<void>((resolve) => (this.#waiter = resolve));
    this.release();
    return settled;
  }
}

/** The deliveries of one publish that go to one lane: delivery k = `subs[k]` × `entries[k]`. */
class LaneBatch extends Tracker {
  readonly subs: Subscription[] = [];
  readonly entries: RecordedSignal[] = [];

  constructor(
    context: PublishContext | undefined,
    readonly lane: Lane,
    onDone: () => void,
  ) {
    super(context, onDone);
  }
}

/**
 * A signal bus: publish/subscribe with wildcard patterns, an ordered log in a pluggable
 * store, middleware, replay, live streams, snapshots, retention and optional partitions.
 * One instance per name; no global state.
 *
 * **Ordering.** Publishes are serialized FIFO per bus: signals are recorded in call order
 * and, within and across publishes, every subscription has its signals handed over in log
 * order. Matching subscriptions of one signal are served in route order: priority
 * (descending), then pattern specificity, then registration order.
 *
 * **Awaiting.** `publish` resolves once the signals are recorded and every ordinary
 * subscriber's delivery has completed or failed (a partitioned bus resolves once they are
 * recorded and admitted). Deliveries are *started* inside the publish queue but awaited
 * outside it, so a slow subscriber delays its own publish, not the next one — and a handler
 * may `await bus.publish(...)` on its own bus without deadlocking. An async handler may thus
 * still be running its signal N when it is handed signal N+1 of a later publish. On a bus
 * without middleware, publishes that queue up meanwhile are recorded together with one
 * store append (group commit); each still resolves with its own entries.
 *
 * **Isolation.** A subscriber that throws, rejects or whose dispatch fails never fails the
 * publish or the other subscribers: the failure is counted and reported on
 * {@link SignalBus.errors$} and the `jido.signal.bus.error` channel as a `SubscriberError`.
 *
 * @example
 * const bus = new SignalBus({ name: 'orders' });
 * await bus.subscribe('order.*', { dispatch: (signal) => console.log(signal.type) });
 * const [entry] = await bus.publish(createSignal('order.created', { id: 1 }));
 * console.log(entry.logId);
 * await bus.close();
 */
export class SignalBus {
  /** Name of the bus. */
  readonly name: string;
  /**
   * Errors nobody else sees: failing subscribers (`SubscriberError`), middleware failures
   * and halts in dispatch and after-hooks (`MiddlewareError`, `MiddlewareHaltError`), rate
   * limits (`RateLimitedError`) and retention failures. Completes when the bus closes.
   */
  readonly errors$: Observable<BusError>;
  /** Point-in-time copies of log entries. */
  readonly snapshots: BusSnapshots;
  /** Dead-letter queues of the persistent subscriptions. */
  readonly dlq: BusDlq;

  readonly #store: SignalStore;
  readonly #ownsStore: boolean;
  /** Set when the store is shared by several processes. */
  readonly #distributed: DistributedSignalStore | undefined;
  readonly #stopStoreErrors: (() => void) | undefined;
  /** Feed of entries other instances record (distributed store only). */
  #tail: Promise<LogTail> | undefined;
  readonly #dispatcher: Dispatcher;
  /** Buffers of subscriptions with batched targets (created on first use). */
  #batching: BatchingRegistry | undefined;
  readonly #ownsDispatcher: boolean;
  readonly #pipeline: MiddlewarePipeline;
  readonly #router = new SignalRouter<Subscription>();
  /** Persistent subscriptions: engines, and routing at record time (outside the ordinary delivery paths). */
  readonly #persistent: PersistentRegistry;
  readonly #subs = new Map<string, Subscription>();
  /** Persistent engines read the scope through this, so the drain's replacement reaches them. */
  readonly #currentScope = (): DeliveryScope | undefined => withOpenTelemetry(this.#scope);
  /** Replaced once by the drain context when the drain starts (see `#beginDrain`). */
  #scope: DeliveryScope | undefined;
  readonly #journal: SignalJournal | undefined;
  readonly #causality: boolean;
  readonly #maxLogSize: number;
  readonly #logTtl: number | undefined;
  readonly #lanes: readonly Lane[] | undefined;
  readonly #partitionCount: number;
  readonly #errors = new Subject<BusError>();
  readonly #streams = new Set<Subscriber<Signal>>();

  /** Publishes waiting for their turn, FIFO from `#head`. */
  readonly #queue: (QueuedPublish | undefined)[] = [];
  #head = 0;
  #sequencing = false;
  #active = 0;
  #idleWaiters: (() => void)[] = [];
  #closing = false;
  /** From `close()`/`drain()` until the drain ends: in-flight deliveries may still publish. */
  #draining = false;
  /** Every delivery started before the drain ran in the causality context (attributable). */
  #attributable = false;
  /** Publishes (and lane batches) started before the drain and not settled yet. */
  #early = 0;
  /** `#early` counts in `unattributed` (the drain began on a bus without causality). */
  #countsUnattributed = false;
  #closed: Promise<void> | undefined;
  #knownSize: number | undefined;
  #published = 0;
  #ttlTimer: ReturnType<typeof setInterval> | undefined;
  /** Hand-off from `#invokePlain` to `publish` (read and cleared synchronously). */
  #oneSub: Subscription | undefined;
  #oneSignal: Signal | undefined;
  #sweeping = false;
  /** The options of every maxSize trim (one object, not one per publish). */
  #trimOptions: TrimOptions | undefined;
  readonly #rejectHandlerErrors: boolean;
  /**
   * Trackers of `handlerErrors: 'reject'` publishes being delivered, by signal id: failures
   * a handler wrapper reports itself (`reportSubscriberError`) join their publish's.
   */
  readonly #collecting = new Map<string, Tracker>();
  /** `#pump` is running; a nested call sets `#pumpAgain` instead of recursing. */
  #pumping = false;
  #pumpAgain = false;

  /**
   * @throws BusOptionError (`invalid_option`) for an option out of range; BusOptionError or
   *   a `MiddlewareError`-free validation error naming a malformed middleware
   */
  constructor(options: SignalBusOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new BusOptionError(
        '(unnamed)',
        'options',
        'SignalBus needs an options object with a name',
      );
    }
    const name = options.name;
    if (typeof name !== 'string' || name.length === 0) {
      throw new BusOptionError(
        '(unnamed)',
        'name',
        'SignalBus option "name" must be a non-empty string',
      );
    }
    this.name = name;
    const integer = (
      option: string,
      value: number | undefined,
      fallback: number,
      min: number,
    ): number => {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value < min) {
        throw new BusOptionError(
          name,
          option,
          `option "${option}" must be an integer ≥ ${min}, got ${String(value)}`,
        );
      }
      return value;
    };
    const positive = (option: string, value: number | undefined, fallback: number): number => {
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !(value > 0)) {
        throw new BusOptionError(
          name,
          option,
          `option "${option}" must be a positive number, got ${String(value)}`,
        );
      }
      return value;
    };
    const middlewareTimeout = integer('middlewareTimeout', options.middlewareTimeout, 100, 0);
    this.#maxLogSize =
      options.maxLogSize === Infinity
        ? Infinity
        : integer('maxLogSize', options.maxLogSize, 100_000, 0);
    this.#logTtl =
      options.logTtl === undefined ? undefined : integer('logTtl', options.logTtl, 0, 1);
    this.#partitionCount = integer('partitionCount', options.partitionCount, 1, 1);
    const rate = positive('partitionRateLimitPerSec', options.partitionRateLimitPerSec, 10_000);
    const burst = integer('partitionBurstSize', options.partitionBurstSize, 1_000, 1);
    if (options.middleware !== undefined && !Array.isArray(options.middleware)) {
      throw new BusOptionError(name, 'middleware', 'option "middleware" must be an array');
    }
    this.#pipeline = new MiddlewarePipeline(name, middlewareTimeout, options.middleware ?? []);
    this.#lanes =
      this.#partitionCount > 1
        ? Array.from({ length: this.#partitionCount }, (_, i) => new Lane(i, rate, burst))
        : undefined;
    const handlerErrors = options.handlerErrors ?? 'report';
    const problem = handlerErrorsProblem(name, 'option', handlerErrors, this.#lanes !== undefined);
    if (problem !== undefined) throw problem;
    this.#rejectHandlerErrors = handlerErrors === 'reject';
    this.#journal = options.journal;
    this.#causality = options.causality ?? options.journal !== undefined;
    this.#scope = options.deliveryScope ?? (this.#causality ? causalityDeliveryScope : undefined);
    this.#ownsStore = options.store === undefined;
    this.#store = options.store ?? new MemoryStore();
    this.#distributed = isDistributedStore(this.#store) ? this.#store : undefined;
    this.#persistent = new PersistentRegistry({
      bus: name,
      store: this.#store,
      distributed: this.#distributed,
      scope: this.#currentScope,
      report: this.#report,
    });
    // Store failures with no caller (a stalled feed, a stream configured differently) reach errors$.
    this.#stopStoreErrors = this.#distributed?.onError?.((error) =>
      this.#report(this.#storeError('The store reported a failure', error)),
    );
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Dispatcher({ buses: options.buses });
    this.errors$ = this.#errors.asObservable();
    this.snapshots = new BusSnapshots(name, this.#store, (operation) =>
      this.#ensureOpen(operation),
    );
    this.dlq = new BusDlq(
      name,
      this.#store,
      (operation) => this.#ensureOpen(operation),
      (id, operation) => this.#persistentFor(id, operation),
    );
    trackBusForMetrics(this);
    if (this.#logTtl !== undefined) {
      this.#ttlTimer = setInterval(this.#sweep, this.#logTtl);
      this.#ttlTimer.unref();
    }
  }

  /**
   * On a distributed store: start receiving what other instances publish and resolve once
   * that feed runs (the first ordinary subscription or stream starts it too). At once on a
   * local store.
   */
  async ready(): Promise<void> {
    await this.#follow();
  }

  /**
   * The feed of entries other instances record, started once: they go through the publish
   * queue (log order) to the ordinary subscriptions and streams. A bus with only persistent
   * subscriptions never starts it.
   */
  #follow(): Promise<LogTail> | undefined {
    const store = this.#distributed;
    if (store === undefined) return undefined;
    return (this.#tail ??= this.#startFeed(store));
  }

  async #startFeed(store: DistributedSignalStore): Promise<LogTail> {
    try {
      return await store.tail(this.name, (entry) => {
        if (this.#closing) return;
        this.#active++;
        const recorded = [entry];
        const settle = (): void => undefined;
        if (!this.#sequencing) {
          this.#sequencing = true;
          this.#run([entry.signal], 1, recorded).then(settle, settle);
        } else {
          this.#queue.push(new QueuedPublish([entry.signal], settle, settle, recorded));
        }
      });
    } catch (error) {
      // The next subscribe / ready() tries again.
      this.#tail = undefined;
      throw error instanceof JidoSignalError
        ? error
        : this.#storeError('Following the shared log failed', error);
    }
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closing;
  }

  /** The store holding this bus's log. */
  get store(): SignalStore {
    return this.#store;
  }

  /** The causality journal every published signal is recorded in (option `journal`), if any. */
  get journal(): SignalJournal | undefined {
    return this.#journal;
  }

  /** The dispatcher delivering to dispatch-config subscriptions. */
  get dispatcher(): Dispatcher {
    return this.#dispatcher;
  }

  /** Middleware names, in the order they run. */
  get middleware(): readonly string[] {
    return this.#pipeline.names;
  }

  /**
   * Append a middleware; it runs after those configured before, from the next publish on.
   * @throws BusOptionError when it is not an object with function hooks
   */
  use(middleware: BusMiddleware): this {
    this.#pipeline.add(middleware);
    return this;
  }

  /**
   * Publish one signal or a list, in order: run `beforePublish`, record the signals in the
   * store (each gets a log id), deliver them to every matching subscription, run
   * `afterPublish`. Publishes are queued FIFO per bus; any number may be issued without
   * awaiting them (each settles, in call order).
   *
   * Resolves once the signals are recorded, every ordinary delivery settled, and each
   * persistent subscription's first attempt of them ended — the handler returned or threw,
   * the delivery was acked or nacked, or its `ackTimeout` passed (the attempt is aborted).
   * It never waits for acks or redeliveries.
   *
   * @param options - `{ handlerErrors: 'reject' }` to learn about failing subscribers
   * @returns the recorded entries, in order (`[]` for an empty list, without touching the bus)
   * @throws (rejects with) InvalidSignalsError when an element is not a `Signal` (nothing
   *   recorded); MiddlewareHaltError / MiddlewareError when `beforePublish` halts or fails
   *   (nothing recorded); BusClosedError once `close()` started — except for follow-ups
   *   published by in-flight deliveries while the drain lasts; the store's error when recording
   *   fails; BusOptionError for bad `options`. A failing subscriber rejects the publish only
   *   with `handlerErrors: 'reject'` — with a PublishHandlersError (`handlers_failed`), after
   *   the signals were recorded and delivered.
   */
  publish(
    signals: Signal | readonly Signal[],
    options?: PublishOptions,
  ): Promise<RecordedSignal[]> {
    // OpenTelemetry (producer span, trace context into the signals): one symbol lookup when unused.
    if (openTelemetryRegistered()) {
      return observedPublish(this.name, signals, (s) => this.#publish(s, options));
    }
    return this.#publish(signals, options);
  }

  #publish(
    signals: Signal | readonly Signal[],
    options: PublishOptions | undefined,
  ): Promise<RecordedSignal[]> {
    if (this.#closing && !this.#admitsWhileClosing()) return this.#refuse(signals);
    let collect = this.#rejectHandlerErrors;
    const mode = typeof options === 'object' && options !== null ? options.handlerErrors : options;
    if (mode !== undefined) {
      const problem = handlerErrorsProblem(
        this.name,
        'publish option',
        mode,
        this.#lanes !== undefined,
      );
      if (problem !== undefined) return Promise.reject(problem);
      collect = mode === 'reject';
    }
    let list: readonly Signal[];
    if (signals instanceof Signal) list = [signals];
    else if (Array.isArray(signals)) {
      const input = signals as readonly unknown[];
      const n = input.length;
      if (n === 0) return Promise.resolve([]);
      for (let i = 0; i < n; i++) {
        if (!(input[i] instanceof Signal)) {
          return Promise.reject(new InvalidSignalsError(this.name, i, describeValue(input[i])));
        }
      }
      list = input.slice() as Signal[];
    } else {
      return Promise.reject(new InvalidSignalsError(this.name, -1, describeValue(signals)));
    }
    // Published from inside a handler: link the new signals to the handled one.
    if (this.#causality && CausalityContext.current() !== undefined) {
      list = list.map((s) => CausalityContext.applyCausality(s));
    }
    this.#active++;
    if (!this.#sequencing) {
      // Idle bus: start at once.
      this.#sequencing = true;
      return !collect && this.#plain()
        ? this.#runPlain(list)
        : this.#run(list, 1, undefined, collect);
    }
    // Wait for the turn, FIFO: `#pump` starts queued publishes once the running one has
    // recorded and handed over its signals — several at once (one store append) when the
    // bus has no middleware.
    return new Promise<RecordedSignal[]>((resolve, reject) => {
      this.#queue.push(new QueuedPublish(list, resolve, reject, undefined, collect));
    });
  }

  /**
   * Whether a publish may take {@link #runPlain}: no middleware, persistent subscription,
   * partition, delivery scope (nor OpenTelemetry's) or dispatch telemetry, and a synchronous store whose size is
   * known (or unbounded).
   */
  #plain(): boolean {
    return (
      this.#pipeline.isEmpty &&
      this.#persistent.size === 0 &&
      this.#lanes === undefined &&
      // No delivery scope, OpenTelemetry's included (when it was unregistered, this also
      // releases its channel listeners, as a delivery on the other paths would).
      this.#currentScope() === undefined &&
      !dispatchChannel.hasSubscribers &&
      this.#store.appendSync !== undefined &&
      (this.#knownSize !== undefined || this.#maxLogSize === Infinity)
    );
  }

  /**
   * {@link #run} for the common case ({@link #plain}, one publish, not `'reject'`), without
   * an async function: record synchronously, deliver, and settle the publish when its
   * deliveries have — with callbacks on the single pending delivery, if any. Same order of
   * effects as `#run`; the caller holds the turn.
   */
  #runPlain(list: readonly Signal[]): Promise<RecordedSignal[]> {
    const early = !this.#closing;
    if (early) this.#early++;
    let entries: RecordedSignal[];
    let pending: PromiseLike<unknown> | undefined;
    try {
      try {
        entries = this.#store.appendSync!(this.name, list);
        // Recorded before delivery (and in publish order), so causes precede effects.
        if (this.#journal !== undefined) void recordPublished(this.#journal, list);
      } catch (error) {
        this.#pump();
        throw error instanceof JidoSignalError
          ? error
          : this.#storeError('Recording the publish failed', error);
      }
      const n = entries.length;
      this.#published += n;
      if (publishChannel.hasSubscribers) {
        publishChannel.publish({
          bus: this.name,
          count: n,
          entries,
          partitioned: false,
        } satisfies BusPublishTelemetryMessage);
      }
      if (this.#knownSize !== undefined) {
        this.#knownSize += n;
        if (this.#knownSize > this.#maxLogSize) this.#trimToSize();
      }
      pending = this.#invokePlain(entries);
    } catch (error) {
      this.#endRun(early);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (pending === undefined) {
      // Every delivery settled synchronously.
      this.#endRun(early);
      return Promise.resolve(entries);
    }
    // A handler may return any thenable: settle through a native promise.
    const settled = pending instanceof Promise ? pending : Promise.resolve(pending);
    const sub = this.#oneSub;
    if (sub === undefined) {
      // Several pending deliveries, settled by their own callbacks; this never rejects.
      return settled.then(() => {
        this.#endRun(early);
        return entries;
      });
    }
    // One pending delivery: settle it here, without a tracker.
    const signal = this.#oneSignal!;
    this.#oneSub = this.#oneSignal = undefined;
    return settled.then(
      () => {
        sub.inFlight--;
        sub.delivered++;
        this.#endRun(early);
        return entries;
      },
      (error: unknown) => {
        sub.inFlight--;
        const failure = sub.onRejected === undefined ? error : rejection(sub, signal, error);
        if (failure === SETTLED) sub.delivered++;
        else {
          sub.failed++;
          this.#report(new SubscriberError(this.name, sub.id, signal.id, failure));
        }
        this.#endRun(early);
        return entries;
      },
    );
  }

  /** A publish started by `#runPlain` settled (for `close()`). */
  #endRun(early: boolean): void {
    if (early) this.#earlyDone();
    this.#settle();
  }

  /**
   * Record `list` and deliver it; the caller holds the turn. `count` publishes are settled
   * (for `close()`) when it ends: more than one when queued publishes were grouped.
   */
  async #run(
    list: readonly Signal[],
    count: number,
    recorded?: RecordedSignal[],
    collect = false,
  ): Promise<RecordedSignal[]> {
    let failures: SubscriberError[] | undefined;
    let collector: Tracker | undefined;
    let collected: readonly RecordedSignal[] | undefined;
    // Deliveries started before a drain may publish follow-ups outside any context.
    const early = !this.#closing;
    if (early) this.#early++;
    try {
      const pipeline = this.#pipeline;
      const context: PublishContext | undefined = pipeline.isEmpty
        ? undefined
        : { bus: this.name, publishedAt: Date.now(), metadata: new Map<string, unknown>() };
      let entries: RecordedSignal[];
      try {
        if (recorded !== undefined) entries = recorded;
        else if (
          pipeline.hasBeforePublish &&
          (list = await pipeline.beforePublish(list, context!)).length === 0
        ) {
          entries = [];
        } else {
          if (this.#knownSize === undefined && this.#maxLogSize !== Infinity) {
            this.#knownSize = await this.#store.size(this.name);
          }
          // Persistent subscriptions refuse a publish they cannot take before anything
          // is recorded (QueueFullError): nobody receives any of its signals.
          if (this.#persistent.size > 0) this.#persistent.check(list);
          const store = this.#store;
          entries =
            store.appendSync !== undefined
              ? store.appendSync(this.name, list)
              : await store.append(this.name, list);
          // Recorded before delivery (and in publish order), so causes precede effects.
          if (this.#journal !== undefined) void recordPublished(this.#journal, list);
        }
      } catch (error) {
        this.#pump();
        throw error instanceof JidoSignalError
          ? error
          : this.#storeError('Recording the publish failed', error);
      }
      const n = entries.length;
      if (n === 0) {
        this.#pump();
        return entries;
      }
      if (recorded === undefined) this.#published += n;
      if (recorded === undefined && publishChannel.hasSubscribers) {
        publishChannel.publish({
          bus: this.name,
          count: n,
          entries,
          partitioned: this.#lanes !== undefined,
        } satisfies BusPublishTelemetryMessage);
      }
      const persisting = this.#persistent.size > 0 ? this.#persistent.enqueue(entries) : undefined;
      if (this.#knownSize !== undefined && recorded === undefined) {
        this.#knownSize += n;
        // Issued now, not awaited: MemoryStore applies it at once; a remote store soon
        // after. `close()` waits for it and failures are reported on errors$.
        if (this.#knownSize > this.#maxLogSize) this.#trimToSize();
      }
      if (this.#lanes !== undefined) {
        this.#admit(entries, context);
        this.#pump();
      } else if (
        pipeline.hasBeforeDispatch ||
        pipeline.hasAfterDispatch ||
        this.#currentScope() !== undefined ||
        dispatchChannel.hasSubscribers ||
        collect
      ) {
        const tracker = new Tracker(context);
        if (collect) {
          collector = tracker;
          failures = tracker.failures = [];
          collected = entries;
          for (let i = 0; i < n; i++) this.#collecting.set(entries[i].signal.id, tracker);
        }
        if (pipeline.hasBeforeDispatch) {
          const invoking = this.#invokeFrom(tracker, entries, 0, 0, undefined);
          if (invoking !== undefined) await invoking;
        } else {
          this.#invoke(tracker, entries);
        }
        this.#pump();
        const settled = tracker.finish();
        if (settled !== undefined) await settled;
      } else {
        const pending = this.#invokePlain(entries);
        const sub = this.#oneSub;
        if (pending === undefined) {
          // Every delivery settled synchronously.
        } else if (sub === undefined) {
          await pending; // several pending deliveries, settled by their own callbacks
        } else {
          // One pending delivery: await it here, without callbacks.
          const signal = this.#oneSignal!;
          this.#oneSub = this.#oneSignal = undefined;
          try {
            await pending;
            sub.inFlight--;
            sub.delivered++;
          } catch (error) {
            sub.inFlight--;
            const failure = sub.onRejected === undefined ? error : rejection(sub, signal, error);
            if (failure === SETTLED) sub.delivered++;
            else {
              sub.failed++;
              this.#report(new SubscriberError(this.name, sub.id, signal.id, failure));
            }
          }
        }
      }
      if (persisting !== undefined) await persisting;
      if (pipeline.hasAfterPublish && recorded === undefined) {
        const after = pipeline.afterPublish(entries, context!, this.#report);
        if (after !== undefined) await after;
      }
      if (failures !== undefined && failures.length > 0) {
        throw new PublishHandlersError(this.name, failures, entries);
      }
      return entries;
    } finally {
      if (collected !== undefined) {
        for (let i = 0; i < collected.length; i++) {
          const id = collected[i].signal.id;
          if (this.#collecting.get(id) === collector) this.#collecting.delete(id);
        }
      }
      if (early) this.#earlyDone();
      this.#settle(count);
    }
  }

  /**
   * Subscribe to signals whose type matches `pattern`. The subscription is registered before
   * the returned promise settles, so a publish issued right after reaches it.
   *
   * @param pattern - router grammar: `*` one segment, `**` zero or more. A persistent
   *   subscription also takes a list: one durable subscription (one id, one checkpoint, one
   *   DLQ) receives each signal matching any of the patterns once. It stores, replays and
   *   filters by the narrowest pattern covering the list (e.g. `*.*` for
   *   `['payment.*', 'refund.*']`); covered signals outside the list are acked without
   *   calling the receiver
   * @param options - `{ dispatch, priority?, subscriptionId? }`, or just a handler function;
   *   with `persistent: true` an at-least-once subscription (see `PersistentSubscribeOptions`
   *   and docs/persistent-subscriptions.md): it resumes from the store when one with this id
   *   was stored before, and the promise settles once its unacked history is loaded
   * @returns the subscription id
   * @throws (rejects with) InvalidPatternError (`invalid_pattern`), SubscriptionExistsError
   *   (`subscription_exists`), DispatchConfigError / DispatchAggregateError for invalid
   *   dispatch configs, InvalidRouteError (`invalid_route`) for a bad priority,
   *   BusOptionError for missing options, BusClosedError after `close()`. Nothing is
   *   registered on error.
   */
  subscribe(
    pattern: string | readonly string[],
    options: SubscribeOptions | PersistentSubscribeOptions | SignalHandler,
  ): Promise<string> {
    if (typeof options === 'object' && options !== null && options.persistent === true) {
      return this.#subscribePersistent(pattern, options);
    }
    try {
      if (Array.isArray(pattern)) {
        throw new BusOptionError(
          this.name,
          'pattern',
          'a pattern list needs a persistent subscription ({ persistent: true }); subscribe once per pattern otherwise',
        );
      }
      const id = this.#subscribe(pattern as string, options);
      const feed = this.#follow();
      if (feed === undefined) return Promise.resolve(id);
      // Without the feed the subscription would miss other instances' signals: undo it.
      return feed.then(
        () => id,
        (error: unknown) => {
          const sub = this.#subs.get(id);
          if (sub !== undefined) this.#remove(sub);
          throw error;
        },
      );
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Remove a subscription. Deliveries already handed over finish; nothing new is delivered.
   * A persistent one stops redelivering and writes its final checkpoint (unacked signals
   * stay pending in the store), or deletes its state and DLQ with `deletePersistence`.
   * @throws (rejects with) SubscriptionNotFoundError (`subscription_not_found`), BusClosedError
   */
  unsubscribe(subscriptionId: string, options: UnsubscribeOptions = {}): Promise<void> {
    try {
      this.#ensureOpen('unsubscribe');
      const sub = this.#subs.get(subscriptionId);
      if (sub === undefined) throw new SubscriptionNotFoundError(this.name, String(subscriptionId));
      this.#remove(sub);
      const ps = sub.persistence;
      if (ps !== undefined) {
        return options.deletePersistence === true
          ? ps.stop(false).then(() => ps.destroy())
          : ps.stop(true);
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Acknowledge deliveries of a persistent subscription, by log id or signal id (one or a
   * non-empty list). Every id is checked first: if one is unknown or malformed, nothing is
   * acked. Acks free in-flight slots (pending signals are delivered) and advance the
   * checkpoint (written within `checkpointInterval`).
   * @throws (rejects with) SubscriptionNotFoundError, SubscriptionNotPersistentError,
   *   UnknownLogIdError (`unknown_log_id`: a UUIDv7 not awaiting an ack),
   *   InvalidLogIdError (`invalid_log_id`), InvalidAckArgumentError, BusClosedError
   */
  ack(subscriptionId: string, ids: string | readonly string[]): Promise<void> {
    try {
      this.#persistentFor(subscriptionId, 'ack')!.ack(ids);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Negative-acknowledge a delivery (log id or signal id): redeliver it after `delay` (or
   * the subscription's backoff) — a failed attempt, dead-lettered once `maxAttempts` is
   * reached — or dead-letter it at once with `requeue: false`.
   * @throws (rejects with) the same errors as {@link ack}, BusOptionError for a bad `delay`
   */
  nack(subscriptionId: string, id: string, options: NackOptions = {}): Promise<void> {
    try {
      this.#persistentFor(subscriptionId, 'nack')!.nack(id, options);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Rebind a persistent subscription to a new receiver (handler or dispatch config) and
   * send it every delivery not acked yet — in-flight ones and those waiting for a retry —
   * once, ahead of the never-delivered ones. Only the subscription's own (pattern-matching)
   * signals are involved and nothing already queued is queued twice.
   * @returns the checkpoint and how many deliveries were sent again
   * @throws (rejects with) SubscriptionNotFoundError, SubscriptionNotPersistentError,
   *   dispatch config errors, BusClosedError
   */
  reconnect(subscriptionId: string, receiver: SubscriptionDispatch): Promise<ReconnectResult> {
    try {
      const ps = this.#persistentFor(subscriptionId, 'reconnect')!;
      const { deliver, target } = this.#deliveryFor(receiver, subscriptionId);
      return Promise.resolve(ps.reconnect(deliver, target));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Every subscription (streams included), in registration order. */
  subscriptions(): SubscriptionInfo[] {
    return [...this.#subs.values()].map((s) => s.info());
  }

  /**
   * Entries of the log whose type matches `pattern`, in log order, filtered by record time,
   * cursor and correlation id.
   * @param pattern - router grammar @default '**' (everything)
   * @throws (rejects with) InvalidPatternError, a `ValidationError` for a bad `limit`,
   *   BusClosedError after `close()`
   */
  async replay(pattern = '**', options: ReplayOptions = {}): Promise<RecordedSignal[]> {
    this.#ensureOpen('replay');
    validatePattern(pattern);
    return this.#store.read(this.name, {
      pattern,
      since: toMillis(options.since),
      until: toMillis(options.until),
      afterLogId: options.afterLogId,
      correlationId: options.correlationId,
      limit: options.limit,
    });
  }

  /**
   * A cold `Observable` of the signals matching `pattern`: each subscriber registers a
   * `'stream'` subscription (removed on unsubscribe) and, with `replay`, first gets the
   * history. Live signals arriving during the replay are buffered, then emitted without gap
   * or duplicate. Completes when the bus closes.
   * @throws InvalidPatternError immediately for a bad pattern
   */
  stream(pattern: string, options: StreamOptions = {}): Observable<Signal> {
    validatePattern(pattern);
    return new Observable<Signal>((subscriber) => this.#openStream(pattern, options, subscriber));
  }

  /**
   * Log size, publish counters, every subscription's counters and the partitions.
   * @throws (rejects with) BusClosedError after `close()`
   */
  async stats(): Promise<BusStats> {
    this.#ensureOpen('read stats');
    const logSize = await this.#store.size(this.name);
    const subscriptions = [...this.#subs.values()].map((s) => s.stats());
    const partitions: PartitionStats[] = [];
    for (let i = 0; i < this.#partitionCount; i++) {
      const lane = this.#lanes?.[i];
      partitions.push(
        Object.freeze({
          index: i,
          subscriptions: subscriptions.filter((s) => s.partition === i).length,
          queued: lane?.queued ?? 0,
          tokens: lane?.bucket.available() ?? Infinity,
        }),
      );
    }
    return Object.freeze({
      bus: this.name,
      logSize,
      published: this.#published,
      pendingPublishes: this.#queue.length - this.#head + (this.#sequencing ? 1 : 0),
      subscriptionCount: subscriptions.length,
      subscriptions,
      partitions,
    });
  }

  /**
   * Stop accepting work (publish, subscribe, replay, snapshots and stats reject with
   * `BusClosedError`, code `'closed'`), wait for queued publishes and in-flight deliveries
   * (up to `timeout`), stop the TTL sweep, complete `errors$` and every stream, and close
   * the store and dispatcher if the bus created them. Idempotent: later calls return the
   * same promise.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return (this.#closed ??= this.#shutdown(options.timeout ?? DEFAULT_CLOSE_TIMEOUT));
  }

  /**
   * The first half of {@link close}: stop intake from outside and wait until the bus is
   * idle — queued publishes recorded and delivered, in-flight deliveries settled — or
   * `timeout` passes. Publishes made *by in-flight deliveries* (follow-ups of handlers still
   * running) are accepted and delivered meanwhile, and until `close()` ends the drain; every
   * other publish is refused with `BusClosedError` and reported on `errors$` and the
   * `jido.signal.bus.error` channel with the signal ids. Deliveries are told apart by the
   * causality context (active during the drain even when `causality` is off); on a bus
   * without causality, deliveries already running when the drain starts cannot be, so until
   * those settle every publish is accepted. Persistent subscriptions stop delivering at
   * once (unacked signals stay pending). Several buses whose handlers publish to each other
   * drain together with `SignalBusRegistry.closeAll`.
   * @returns whether the bus was idle (`false`: the timeout passed first)
   */
  drain(options: CloseOptions = {}): Promise<boolean> {
    if (!this.#closing) this.#beginDrain();
    if (!this.#draining) return Promise.resolve(this.#active === 0);
    return this.#waitIdle(options.timeout ?? DEFAULT_CLOSE_TIMEOUT);
  }

  /**
   * Whether nothing is queued, recording or delivering (ordinary subscriptions) — or the
   * bus's drain has ended, so there is nothing left to wait for.
   */
  get idle(): boolean {
    return this.#active === 0 || (this.#closing && !this.#draining);
  }

  /**
   * Report a subscriber failure the bus did not see itself — e.g. a handler wrapper that
   * catches the error so the delivery still counts as successful (the Nest layer's
   * `onError: 'log'`). The `SubscriberError` goes the same way as the bus's own: onto
   * {@link SignalBus.errors$} and the `jido.signal.bus.error` channel. Counters are not
   * touched. Once the bus has closed `errors$` has completed, so only the channel sees it.
   *
   * @param subscriptionId - the failing subscription (need not be registered on this bus)
   * @param signalId - id of the signal it failed on
   * @param cause - what the subscriber threw
   * @returns the reported error
   */
  reportSubscriberError(subscriptionId: string, signalId: string, cause: unknown): SubscriberError {
    const error = new SubscriberError(this.name, subscriptionId, signalId, cause);
    this.#report(error);
    // A wrapper that swallowed the failure still fails a `handlerErrors: 'reject'` publish.
    if (this.#collecting.size !== 0) this.#collecting.get(signalId)?.failures?.push(error);
    return error;
  }

  // ── subscribe ──────────────────────────────────────────────────────────────

  #subscribe(pattern: string, options: SubscribeOptions | SignalHandler): string {
    this.#ensureOpen('subscribe');
    const opts: SubscribeOptions = typeof options === 'function' ? { dispatch: options } : options;
    if (typeof opts !== 'object' || opts === null) {
      throw new BusOptionError(
        this.name,
        'options',
        'subscribe needs options { dispatch } or a handler function',
      );
    }
    validatePattern(pattern);
    const id = this.#newSubscriptionId(opts.subscriptionId);
    const { deliver, target } = this.#deliveryFor(opts.dispatch, id);
    const sub = this.#register(id, pattern, opts.priority, 'ordinary', target, deliver);
    if (typeof opts.dispatch === 'function') sub.onRejected = rejectionHookOf(opts.dispatch);
    return sub.id;
  }

  /**
   * The id of a new subscription: the given one or a new UUIDv7.
   * @throws BusOptionError for an empty or non-string id, SubscriptionExistsError when taken
   */
  #newSubscriptionId(given: string | undefined): string {
    const id = given ?? SignalId.generate();
    if (typeof id !== 'string' || id.length === 0) {
      throw new BusOptionError(
        this.name,
        'subscriptionId',
        'subscriptionId must be a non-empty string',
      );
    }
    if (this.#subs.has(id)) throw new SubscriptionExistsError(this.name, id);
    return id;
  }

  async #subscribePersistent(
    patternOrList: string | readonly string[],
    opts: PersistentSubscribeOptions,
  ): Promise<string> {
    this.#ensureOpen('subscribe');
    const patterns = this.#persistent.patterns(patternOrList);
    const id = this.#newSubscriptionId(opts.subscriptionId);
    const receiver = this.#deliveryFor(opts.dispatch, id);
    const { engine: ps, deliver } = this.#persistent.open(id, patterns, opts, receiver);
    const sub = new Subscription(
      id,
      patterns.pattern,
      opts.priority ?? 0,
      'ordinary',
      0,
      ps.createdAt,
      receiver.target,
      deliver,
      ps,
    );
    this.#subs.set(id, sub);
    try {
      await ps.load();
    } catch (error) {
      this.#remove(sub);
      throw error;
    }
    return id;
  }

  /** The persistent machinery of a subscription; `operation` undefined → soft lookup. */
  #persistentFor(
    subscriptionId: string,
    operation: string | undefined,
  ): PersistentEngine | undefined {
    if (operation === undefined) return this.#subs.get(subscriptionId)?.persistence;
    this.#ensureOpen(operation);
    const sub = this.#subs.get(subscriptionId);
    if (sub === undefined) throw new SubscriptionNotFoundError(this.name, String(subscriptionId));
    if (sub.persistence === undefined) {
      throw new SubscriptionNotPersistentError(this.name, subscriptionId, operation);
    }
    return sub.persistence;
  }

  #deliveryFor(
    dispatch: SubscriptionDispatch | undefined,
    subscriptionId: string,
  ): {
    deliver: DeliverFunction;
    target: string;
  } {
    if (typeof dispatch === 'function') {
      const handler = dispatch;
      return {
        // Only a handler that declares the context gets one (persistent engines make it
        // per dispatch when the deliver function declares it).
        deliver:
          handler.length >= 2
            ? (signal, _logId, delivery) => handler(signal, delivery)
            : (signal) => handler(signal),
        target: `handler ${handler.name || 'anonymous'}`,
      };
    }
    if (
      typeof dispatch !== 'object' ||
      dispatch === null ||
      (Array.isArray(dispatch) && dispatch.length === 0)
    ) {
      throw new BusOptionError(
        this.name,
        'dispatch',
        'subscribe option "dispatch" must be a handler function, a dispatch config or a non-empty list of configs',
      );
    }
    const config = dispatch as DispatchConfig | readonly DispatchConfig[];
    const batched = batchedDelivery(this.#dispatcher, config);
    if (batched !== undefined) {
      (this.#batching ??= new BatchingRegistry()).set(subscriptionId, batched.batchers);
      return batched;
    }
    const validated = this.#dispatcher.validate(config);
    const list = Array.isArray(validated) ? validated : [validated];
    const dispatcher = this.#dispatcher;
    return {
      deliver: (signal, _logId, delivery) =>
        delivery === undefined
          ? dispatcher.dispatch(signal, config)
          : dispatcher.dispatch(signal, config, { signal: delivery.signal }),
      target: list
        .map((v) => (v.target === v.adapter ? v.adapter : `${v.adapter} ${v.target}`))
        .join(', '),
    };
  }

  #register(
    id: string,
    pattern: string,
    priority: number | undefined,
    kind: SubscriptionKind,
    target: string,
    deliver: DeliverFunction,
  ): Subscription {
    const sub = new Subscription(
      id,
      pattern,
      priority ?? 0,
      kind,
      partitionOf(id, this.#partitionCount),
      Date.now(),
      target,
      deliver,
    );
    // The router validates the priority; it throws before anything is registered.
    sub.routeId = this.#router.add({ pattern, target: sub, priority });
    this.#subs.set(id, sub);
    return sub;
  }

  #remove(sub: Subscription): void {
    if (sub.removed) return;
    sub.removed = true;
    this.#subs.delete(sub.id);
    this.#batching?.release(sub.id);
    if (sub.persistence !== undefined) this.#persistent.close(sub.id, sub.persistence);
    else this.#router.remove(sub.routeId);
  }

  // ── publish ────────────────────────────────────────────────────────────────

  /**
   * The running publish handed its signals over: start the next queued one — or, on a bus
   * without middleware, every queued one as a group sharing one store append — or go idle.
   */
  #pump(): void {
    // Iterate, never recurse: a publish started here may release its turn synchronously
    // (a MemoryStore records synchronously), and with a persistent subscription queued
    // publishes are started one by one — recursing went `#run → #pump → #run …` one stack
    // frame set per queued publish and overflowed the stack on a burst. A nested call only
    // asks this loop to go round again.
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#queue.length === this.#head) {
      this.#goIdle(); // the common case: nothing queued
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#startNext();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  /** Nothing is queued: release the turn. */
  #goIdle(): void {
    if (this.#head > 0) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    this.#sequencing = false;
  }

  /** One step of `#pump`: start the next queued publish (or group), or go idle. */
  #startNext(): void {
    const queue = this.#queue;
    const waiting = queue.length - this.#head;
    if (waiting === 0) {
      this.#goIdle();
      return;
    }
    // Grouped publishes share one record step; a persistent subscription may refuse a
    // publish (queue_full), which must fail only that publish — so no grouping then.
    const first = queue[this.#head]!;
    if (
      waiting === 1 ||
      !this.#pipeline.isEmpty ||
      this.#persistent.size > 0 ||
      first.recorded !== undefined ||
      first.collect
    ) {
      queue[this.#head++] = undefined;
      this.#run(first.signals, 1, first.recorded, first.collect).then(first.resolve, first.reject);
      return;
    }
    // Group the local publishes up to the next entry recorded by another instance (or the
    // next publish that collects its own failures).
    let end = this.#head + 1;
    while (end < queue.length && queue[end]!.recorded === undefined && !queue[end]!.collect) {
      end++;
    }
    const jobs = queue.slice(this.#head, end) as QueuedPublish[];
    if (end === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else {
      queue.fill(undefined, this.#head, end);
      this.#head = end;
    }
    const all: Signal[] = [];
    for (const job of jobs) for (const signal of job.signals) all.push(signal);
    this.#run(all, jobs.length).then(
      (entries) => {
        let at = 0;
        for (const job of jobs) {
          const n = job.signals.length;
          job.resolve(entries.slice(at, at + n));
          at += n;
        }
      },
      (error: unknown) => {
        for (const job of jobs) job.reject(error);
      },
    );
  }

  /**
   * The common case — no dispatch middleware, no scope, no dispatch telemetry: hand every
   * entry to its subscribers and release the turn. Returns what to wait for: nothing when
   * every delivery settled synchronously; the single pending delivery's own promise (its
   * subscription and signal left in `#oneSub`/`#oneSignal` for the caller to settle — no
   * callbacks); or, with several pending, a promise that settles them all.
   */
  #invokePlain(entries: readonly RecordedSignal[]): PromiseLike<unknown> | undefined {
    let one: PromiseLike<unknown> | undefined;
    let oneSub: Subscription | undefined;
    let oneSignal: Signal | undefined;
    let oneLogId = '';
    let tracker: Tracker | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const signal = entry.signal;
      const subs = this.#router.route(signal.type);
      for (let j = 0; j < subs.length; j++) {
        const sub = subs[j];
        if (sub.removed) continue;
        let result: unknown;
        try {
          result = sub.deliver(signal, entry.logId);
        } catch (error) {
          sub.failed++;
          this.#report(new SubscriberError(this.name, sub.id, signal.id, error));
          continue;
        }
        if (!isThenable(result)) {
          sub.delivered++;
          continue;
        }
        sub.inFlight++;
        if (one === undefined && tracker === undefined) {
          one = result;
          oneSub = sub;
          oneSignal = signal;
          oneLogId = entry.logId;
          continue;
        }
        if (tracker === undefined) {
          tracker = new Tracker(undefined);
          this.#trackPlain(tracker, one!, oneSub!, oneSignal!, oneLogId);
          one = undefined;
        }
        this.#trackPlain(tracker, result, sub, signal, entry.logId);
      }
    }
    this.#pump();
    if (tracker !== undefined) return tracker.finish();
    if (one !== undefined) {
      this.#oneSub = oneSub;
      this.#oneSignal = oneSignal;
    }
    return one;
  }

  /** Hands every entry of a publish to its subscribers (no `beforeDispatch` middleware). */
  #invoke(tracker: Tracker, entries: readonly RecordedSignal[]): void {
    const observed = dispatchChannel.hasSubscribers;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const subs = this.#router.route(entry.signal.type);
      for (let j = 0; j < subs.length; j++) {
        const sub = subs[j];
        if (!sub.removed) this.#deliver(tracker, sub, entry.signal, entry.logId, 0, observed);
      }
    }
  }

  /**
   * Same as {@link #invoke} with `beforeDispatch` middleware: synchronous while the hooks
   * are, resuming after an asynchronous hook so no later delivery overtakes it.
   */
  #invokeFrom(
    tracker: Tracker,
    entries: readonly RecordedSignal[],
    i: number,
    j: number,
    current: readonly Subscription[] | undefined,
  ): void | Promise<void> {
    for (; i < entries.length; i++, j = 0, current = undefined) {
      const entry = entries[i];
      const subs = current ?? this.#router.route(entry.signal.type);
      for (; j < subs.length; j++) {
        const sub = subs[j];
        if (sub.removed) continue;
        const verdict = this.#pipeline.beforeDispatch(
          entry.signal,
          sub.info(),
          this.#dispatchContext(tracker, entry.logId, 0),
        );
        if (isThenable(verdict)) {
          const at = i;
          const next = j + 1;
          return verdict.then((v) => {
            this.#apply(tracker, sub, entry, 0, v);
            return this.#invokeFrom(tracker, entries, at, next, subs);
          });
        }
        this.#apply(tracker, sub, entry, 0, verdict);
      }
    }
  }

  #apply(
    tracker: Tracker,
    sub: Subscription,
    entry: RecordedSignal,
    partition: number,
    verdict: DispatchVerdict,
  ): void {
    if (sub.removed) return;
    if (verdict.kind === 'deliver') {
      this.#deliver(
        tracker,
        sub,
        verdict.signal,
        entry.logId,
        partition,
        dispatchChannel.hasSubscribers,
      );
    } else if (verdict.kind === 'skip') {
      sub.skipped++;
      emit(skipChannel, (): BusSkipTelemetryMessage => ({
        bus: this.name,
        subscriptionId: sub.id,
        pattern: sub.pattern,
        partition,
        signal: entry.signal,
        logId: entry.logId,
        middleware: verdict.middleware,
        reason: verdict.reason,
      }));
    } else {
      sub.failed++;
      this.#report(verdict.error);
    }
  }

  /** Hand one signal to one subscription and track its settlement. */
  #deliver(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    observed: boolean,
  ): void {
    const started = observed ? performance.now() : 0;
    let result: unknown;
    const scope = this.#currentScope();
    try {
      result =
        scope === undefined
          ? sub.deliver(signal, logId)
          : scope.run({ bus: this.name, signal, logId, subscriptionId: sub.id }, () =>
              sub.deliver(signal, logId),
            );
    } catch (error) {
      this.#failed(tracker, sub, signal, logId, partition, started, error);
      return;
    }
    if (isThenable(result)) {
      sub.inFlight++;
      this.#track(tracker, result, sub, signal, logId, partition, started);
    } else {
      this.#succeeded(tracker, sub, signal, logId, partition, started);
    }
  }

  /**
   * {@link #track} for `#invokePlain` (no middleware, telemetry or partition): the settle
   * callbacks capture only what they need, and a success touches nothing but counters.
   */
  #trackPlain(
    tracker: Tracker,
    result: PromiseLike<unknown>,
    sub: Subscription,
    signal: Signal,
    logId: string,
  ): void {
    tracker.pending++;
    result.then(
      () => {
        sub.inFlight--;
        // Middleware added since the hand-over still sees the outcome, as with `#track`.
        if (this.#pipeline.hasAfterDispatch) this.#succeeded(tracker, sub, signal, logId, 0, 0);
        else sub.delivered++;
        tracker.release();
      },
      (error: unknown) => {
        sub.inFlight--;
        const failure = sub.onRejected === undefined ? error : rejection(sub, signal, error);
        if (failure === SETTLED) this.#succeeded(tracker, sub, signal, logId, 0, 0);
        else this.#failed(tracker, sub, signal, logId, 0, 0, failure);
        tracker.release();
      },
    );
  }

  /** Count a pending delivery on `tracker` and settle it when `result` does. */
  #track(
    tracker: Tracker,
    result: PromiseLike<unknown>,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    started: number,
  ): void {
    tracker.pending++;
    result.then(
      () => {
        sub.inFlight--;
        this.#succeeded(tracker, sub, signal, logId, partition, started);
        tracker.release();
      },
      (error: unknown) => {
        sub.inFlight--;
        const failure = sub.onRejected === undefined ? error : rejection(sub, signal, error);
        if (failure === SETTLED) this.#succeeded(tracker, sub, signal, logId, partition, started);
        else this.#failed(tracker, sub, signal, logId, partition, started, failure);
        tracker.release();
      },
    );
  }

  #succeeded(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    started: number,
  ): void {
    sub.delivered++;
    if (started !== 0) {
      emit(dispatchChannel, (): BusDispatchTelemetryMessage => ({
        bus: this.name,
        subscriptionId: sub.id,
        pattern: sub.pattern,
        partition,
        signal,
        logId,
        durationMs: performance.now() - started,
        outcome: 'ok',
      }));
    }
    if (this.#pipeline.hasAfterDispatch)
      this.#afterDispatch(tracker, sub, signal, logId, partition, OK);
  }

  #failed(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    started: number,
    cause: unknown,
  ): void {
    sub.failed++;
    const error = new SubscriberError(this.name, sub.id, signal.id, cause);
    tracker.failures?.push(error);
    emit(dispatchChannel, (): BusDispatchTelemetryMessage => ({
      bus: this.name,
      subscriptionId: sub.id,
      pattern: sub.pattern,
      partition,
      signal,
      logId,
      durationMs: started === 0 ? 0 : performance.now() - started,
      outcome: 'error',
      errorCode: error.reason,
      error,
    }));
    this.#report(error);
    if (this.#pipeline.hasAfterDispatch) {
      this.#afterDispatch(tracker, sub, signal, logId, partition, { status: 'error', error });
    }
  }

  #afterDispatch(
    tracker: Tracker,
    sub: Subscription,
    signal: Signal,
    logId: string,
    partition: number,
    result: DeliveryResult,
  ): void {
    const after = this.#pipeline.afterDispatch(
      signal,
      sub.info(),
      result,
      this.#dispatchContext(tracker, logId, partition),
      this.#report,
    );
    if (after !== undefined) {
      tracker.pending++;
      void after.then(() => tracker.release());
    }
  }

  // ── partitions ─────────────────────────────────────────────────────────────

  /** Split a publish's deliveries by lane, charge each lane's bucket, enqueue. */
  #admit(entries: readonly RecordedSignal[], context: PublishContext | undefined): void {
    const lanes = this.#lanes!;
    const batches: (LaneBatch | undefined)[] = new Array<LaneBatch | undefined>(lanes.length);
    for (const entry of entries) {
      const subs = this.#router.route(entry.signal.type);
      for (let j = 0; j < subs.length; j++) {
        const sub = subs[j];
        if (sub.removed) continue;
        const batch = (batches[sub.partition] ??= new LaneBatch(
          context,
          lanes[sub.partition],
          this.#closing ? this.#settle : this.#settleEarly,
        ));
        batch.subs.push(sub);
        batch.entries.push(entry);
      }
    }
    for (const batch of batches) {
      if (batch === undefined) continue;
      const lane = batch.lane;
      const requested = batch.subs.length;
      const available = Math.floor(lane.bucket.available());
      const granted = lane.bucket.take(requested);
      if (granted < requested) this.#rateLimited(batch, granted, requested, available);
      if (granted === 0) continue;
      this.#active++;
      if (batch.onDone === this.#settleEarly) this.#early++;
      lane.enqueue(() => this.#runBatch(batch));
    }
  }

  /** `onDone` of a lane batch admitted before the drain started. */
  readonly #settleEarly = (): void => {
    this.#earlyDone();
    this.#settle();
  };

  #earlyDone(): void {
    this.#early--;
    if (this.#countsUnattributed) unattributed--;
  }

  #rateLimited(batch: LaneBatch, granted: number, requested: number, available: number): void {
    const dropped: DroppedDelivery[] = [];
    for (let k = granted; k < requested; k++) {
      const sub = batch.subs[k];
      const entry = batch.entries[k];
      sub.rateLimited++;
      dropped.push({ subscriptionId: sub.id, signalId: entry.signal.id, logId: entry.logId });
    }
    batch.subs.length = granted;
    batch.entries.length = granted;
    const partition = batch.lane.index;
    emit(rateLimitedChannel, (): BusRateLimitedTelemetryMessage => ({
      bus: this.name,
      partition,
      dropped: dropped.length,
      requested,
      available,
    }));
    this.#report(new RateLimitedError(this.name, partition, dropped, requested, available));
  }

  /** Run one lane batch: hold the lane while `beforeDispatch` is asynchronous. */
  #runBatch(batch: LaneBatch): void | Promise<void> {
    const held = this.#runBatchFrom(batch, 0);
    if (held === undefined) {
      batch.release();
      return;
    }
    return held.then(() => batch.release());
  }

  #runBatchFrom(batch: LaneBatch, k: number): void | Promise<void> {
    const partition = batch.lane.index;
    const observed = dispatchChannel.hasSubscribers;
    const withMiddleware = this.#pipeline.hasBeforeDispatch;
    for (; k < batch.subs.length; k++) {
      const sub = batch.subs[k];
      const entry = batch.entries[k];
      if (sub.removed) continue;
      if (!withMiddleware) {
        this.#deliver(batch, sub, entry.signal, entry.logId, partition, observed);
        continue;
      }
      const verdict = this.#pipeline.beforeDispatch(
        entry.signal,
        sub.info(),
        this.#dispatchContext(batch, entry.logId, partition),
      );
      if (isThenable(verdict)) {
        const at = k;
        return verdict.then((v) => {
          this.#apply(batch, sub, entry, partition, v);
          return this.#runBatchFrom(batch, at + 1);
        });
      }
      this.#apply(batch, sub, entry, partition, verdict);
    }
  }

  // ── retention ──────────────────────────────────────────────────────────────

  #trimToSize(): void {
    // A maxSize trim leaves exactly maxLogSize entries (this bus is the log's only writer
    // as far as it knows), so the size is known now; per-bus callbacks avoid closures on
    // this per-publish path once the log is full.
    this.#knownSize = this.#maxLogSize;
    const store = this.#store;
    const options = (this.#trimOptions ??= Object.freeze({ maxSize: this.#maxLogSize }));
    if (store.trimSync !== undefined) {
      // In-process store: trim now, without a promise per publish (and, being synchronous,
      // without counting as pending work for close()).
      let removed: number;
      try {
        removed = store.trimSync(this.name, options);
      } catch (error) {
        this.#active++;
        this.#trimFailed(error);
        return;
      }
      if (removed > 0 && truncatedChannel.hasSubscribers) this.#truncated(removed);
      return;
    }
    this.#active++;
    store.trim(this.name, options).then(this.#trimmed, this.#trimFailed);
  }

  #truncated(removed: number): void {
    emit(truncatedChannel, (): BusLogTruncatedTelemetryMessage => ({
      bus: this.name,
      reason: 'max_size',
      removed,
      newSize: this.#maxLogSize,
    }));
  }

  readonly #trimmed = (removed: number): void => {
    if (removed > 0) this.#truncated(removed);
    this.#settle();
  };

  readonly #trimFailed = (error: unknown): void => {
    this.#report(this.#storeError('Trimming the log to maxLogSize failed', error));
    this.#settle();
  };

  readonly #sweep = (): void => {
    if (this.#sweeping || this.#closing) return;
    this.#sweeping = true;
    this.#active++;
    const ttl = this.#logTtl!;
    void this.#store
      .trim(this.name, { olderThan: Date.now() - ttl })
      .then(async (removed) => {
        if (removed <= 0) return;
        if (this.#knownSize !== undefined) this.#knownSize = Math.max(0, this.#knownSize - removed);
        if (truncatedChannel.hasSubscribers) {
          const newSize = await this.#store.size(this.name);
          emit(truncatedChannel, (): BusLogTruncatedTelemetryMessage => ({
            bus: this.name,
            reason: 'ttl',
            removed,
            newSize,
            ttlMs: ttl,
          }));
        }
      })
      .catch((error: unknown) => this.#report(this.#storeError('The log TTL sweep failed', error)))
      .finally(() => {
        this.#sweeping = false;
        this.#settle();
      });
  };

  #storeError(message: string, error: unknown): BusError {
    return error instanceof BusError
      ? error
      : new BusError(
          'store_error',
          this.name,
          `${message}: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
  }

  // ── streams ────────────────────────────────────────────────────────────────

  #openStream(pattern: string, options: StreamOptions, subscriber: Subscriber<Signal>): () => void {
    if (this.#closing) {
      subscriber.error(new BusClosedError(this.name, 'stream'));
      return () => {};
    }
    this.#follow()?.catch((error: unknown) => subscriber.error(error));
    let buffer: { signal: Signal; logId: string }[] | undefined =
      options.replay === undefined ? undefined : [];
    // Settles once the replay is emitted and the buffer flushed: a delivery buffered during
    // the replay returns it, so `await publish()` still means "the observer has it".
    let flushed: Promise<void> | undefined;
    let replayedUpTo = '';
    let sub: Subscription;
    try {
      sub = this.#register(
        `stream-${SignalId.generate()}`,
        pattern,
        options.priority,
        'stream',
        'stream',
        (signal, logId) => {
          if (buffer !== undefined) {
            buffer.push({ signal, logId });
            return flushed;
          }
          if (logId > replayedUpTo) subscriber.next(signal);
          return undefined;
        },
      );
    } catch (error) {
      subscriber.error(error);
      return () => {};
    }
    this.#streams.add(subscriber);
    if (options.replay !== undefined) {
      flushed = this.replay(pattern, options.replay).then(
        (history) => {
          const live = buffer!;
          buffer = undefined;
          if (subscriber.closed) return;
          for (const entry of history) {
            subscriber.next(entry.signal);
            if (entry.logId > replayedUpTo) replayedUpTo = entry.logId;
          }
          for (const item of live) if (item.logId > replayedUpTo) subscriber.next(item.signal);
        },
        (error: unknown) => {
          buffer = undefined;
          subscriber.error(error);
        },
      );
    }
    return () => {
      this.#streams.delete(subscriber);
      this.#remove(sub);
    };
  }

  // ── reporting and lifecycle ────────────────────────────────────────────────

  readonly #report = (error: BusError): void => {
    emit(errorChannel, (): BusErrorTelemetryMessage => ({
      bus: this.name,
      code: error.code,
      error,
      subscriptionId: error.subscriptionId,
      signalId: error.signalId,
    }));
    this.#errors.next(error);
  };

  #dispatchContext(tracker: Tracker, logId: string, partition: number): DispatchContext {
    const base = tracker.context ?? {
      bus: this.name,
      publishedAt: Date.now(),
      metadata: new Map(),
    };
    return {
      bus: base.bus,
      publishedAt: base.publishedAt,
      metadata: base.metadata,
      logId,
      partition,
    };
  }

  #ensureOpen(operation: string): void {
    if (this.#closing) throw new BusClosedError(this.name, operation);
  }

  // ── drain ──────────────────────────────────────────────────────────────────

  /**
   * Stop outside intake. From now on every ordinary delivery runs in the causality context,
   * so what its handler publishes is known to come from a delivery; persistent
   * subscriptions stop (re)delivering.
   */
  #beginDrain(): void {
    this.#closing = true;
    this.#draining = true;
    this.#batching?.drainAll();
    if (this.#ttlTimer !== undefined) clearInterval(this.#ttlTimer);
    const inner = this.#scope;
    this.#attributable = inner === causalityDeliveryScope;
    if (!this.#attributable) {
      this.#countsUnattributed = true;
      unattributed += this.#early;
      // Only now, so a bus without causality pays for AsyncLocalStorage during the drain only.
      this.#scope =
        inner === undefined
          ? causalityDeliveryScope
          : {
              run: (handled, fn) =>
                causalityDeliveryScope.run(handled, () => inner.run(handled, fn)),
            };
    }
    for (const sub of this.#subs.values()) sub.persistence?.halt();
  }

  /**
   * During the drain: a publish from a delivery (in the causality context), or any publish
   * while deliveries that started before a drain outside that context — on any bus — may
   * still be running.
   */
  #admitsWhileClosing(): boolean {
    if (!this.#draining) return false;
    return CausalityContext.current() !== undefined || unattributed > 0;
  }

  /** Refuse a publish because the bus is closing or closed: reject, and report it with ids. */
  #refuse(signals: unknown): Promise<never> {
    const ids: string[] = [];
    if (signals instanceof Signal) ids.push(signals.id);
    else if (Array.isArray(signals)) {
      for (const s of signals as unknown[]) if (s instanceof Signal) ids.push(s.id);
    }
    const error = new BusClosedError(this.name, 'publish', ids);
    this.#report(error);
    return Promise.reject(error);
  }

  /** Wait until idle or `timeout` ms; `true` when idle. */
  async #waitIdle(timeout: number): Promise<boolean> {
    if (this.#active === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = await Promise.race([
      this.#idle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeout);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    return idle;
  }

  /** The drain is over: refuse (and report) the publishes still waiting for their turn. */
  #endDrain(): void {
    this.#draining = false;
    // Deliveries still running past the deadline stop counting: a hung one must not make
    // later drains (of any bus) accept every outside publish.
    if (this.#countsUnattributed) {
      unattributed -= this.#early;
      this.#countsUnattributed = false;
    }
    const queue = this.#queue;
    for (let i = this.#head; i < queue.length; i++) {
      const job = queue[i];
      if (job === undefined) continue;
      queue[i] = undefined;
      if (job.recorded === undefined) {
        const error = new BusClosedError(
          this.name,
          'publish',
          job.signals.map((signal) => signal.id),
        );
        this.#report(error);
        job.reject(error);
      }
      this.#settle();
    }
    queue.length = 0;
    this.#head = 0;
  }

  readonly #settle = (count = 1): void => {
    this.#active -= count;
    if (this.#active === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  #idle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #shutdown(timeout: number): Promise<void> {
    if (!this.#closing) this.#beginDrain();
    // Persistent subscriptions stopped (re)delivering when the drain began; unacked signals
    // stay pending.
    const persistent: PersistentEngine[] = [];
    for (const sub of this.#subs.values()) {
      if (sub.persistence !== undefined) persistent.push(sub.persistence);
    }
    await this.#waitIdle(timeout);
    this.#endDrain();
    for (const subscriber of [...this.#streams]) subscriber.complete();
    this.#streams.clear();
    this.#stopStoreErrors?.();
    this.#errors.complete();
    for (const sub of [...this.#subs.values()]) this.#remove(sub);
    // Final checkpoints, before an owned store closes.
    await Promise.allSettled(persistent.map((ps) => ps.stop(true)));
    const tail = await this.#tail?.catch(() => undefined);
    await tail?.stop().catch((error: unknown) => {
      this.#report(this.#storeError('Stopping the shared log feed failed', error));
    });
    const closing: Promise<unknown>[] = [];
    if (this.#ownsDispatcher) closing.push(this.#dispatcher.close());
    if (this.#ownsStore) closing.push(this.#store.close());
    await Promise.allSettled(closing);
  }
}

/**
 * What is wrong with a `handlerErrors` value, if anything: a value other than 'report' /
 * 'reject', or 'reject' on a partitioned bus (a partitioned publish does not wait for
 * deliveries).
 */
function handlerErrorsProblem(
  bus: string,
  what: 'option' | 'publish option',
  mode: unknown,
  partitioned: boolean,
): BusOptionError | undefined {
  if (mode !== 'report' && mode !== 'reject') {
    return new BusOptionError(
      bus,
      'handlerErrors',
      `${what} "handlerErrors" must be 'report' or 'reject', got ${describeValue(mode)}`,
    );
  }
  if (mode === 'reject' && partitioned) {
    return new BusOptionError(
      bus,
      'handlerErrors',
      `${what} "handlerErrors: 'reject'" needs partitionCount 1 (a partitioned publish does not wait for deliveries)`,
    );
  }
  return undefined;
}

/** What {@link rejection} returns when the subscription's hook settled the failure itself. */
const SETTLED: unique symbol = Symbol('settled');

/**
 * A delivery of `sub` rejected with `error`: `SETTLED` when its rejection hook took care of
 * it (the delivery counts as succeeded), else the error to fail it with (what the hook
 * threw, if it threw).
 */
function rejection(sub: Subscription, signal: Signal, error: unknown): unknown {
  try {
    return sub.onRejected!(error, signal) ? error : SETTLED;
  } catch (thrown) {
    return thrown;
  }
}
