import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { BusRegistry } from '../dispatch/bus-registry.interface.js';
import { BusOptionError } from '../errors/bus.error.js';
import type { SignalJournal } from '../journal/signal-journal.js';
import type { SignalStore } from '../store/signal-store.interface.js';
import type { DeliveryScope } from './delivery-scope.js';
import { integerProblem } from '../util/integer.js';
import { MiddlewarePipeline } from './middleware-pipeline.js';
import type { BusMiddleware } from './middleware.interface.js';
import { Lane } from './partition.js';

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

/** Longest `close()`/`drain()` waits by default, in ms. @internal */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;

/**
 * The validated options of a bus, resolved to what it runs with. @internal
 */
export interface BusSettings {
  readonly name: string;
  readonly pipeline: MiddlewarePipeline;
  readonly maxLogSize: number;
  readonly logTtl: number | undefined;
  readonly partitionCount: number;
  /** One lane per partition; undefined without partitions. */
  readonly lanes: readonly Lane[] | undefined;
  /** `handlerErrors: 'reject'` is the bus's default. */
  readonly rejectHandlerErrors: boolean;
  readonly causality: boolean;
}

/**
 * Validate `options` in the order the bus always did and resolve the defaults.
 * @throws BusOptionError (`invalid_option`) for an option out of range; BusOptionError or
 *   a `MiddlewareError`-free validation error naming a malformed middleware
 * @internal
 */
export function resolveBusOptions(options: SignalBusOptions): BusSettings {
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
  const integer = (
    option: string,
    value: number | undefined,
    fallback: number,
    min: number,
  ): number => {
    if (value === undefined) return fallback;
    const problem = integerProblem(value, min, Number.MAX_SAFE_INTEGER);
    if (problem !== undefined)
      throw new BusOptionError(name, option, `option "${option}" ${problem}`);
    return value;
  };
  const middlewareTimeout = integer('middlewareTimeout', options.middlewareTimeout, 100, 0);
  const maxLogSize =
    options.maxLogSize === Infinity
      ? Infinity
      : integer('maxLogSize', options.maxLogSize, 100_000, 0);
  const logTtl = options.logTtl === undefined ? undefined : integer('logTtl', options.logTtl, 0, 1);
  const partitionCount = integer('partitionCount', options.partitionCount, 1, 1);
  const rate =
    options.partitionRateLimitPerSec === undefined ? 10_000 : options.partitionRateLimitPerSec;
  if (typeof rate !== 'number' || !(rate > 0)) {
    throw new BusOptionError(
      name,
      'partitionRateLimitPerSec',
      `option "partitionRateLimitPerSec" must be a positive number, got ${String(rate)}`,
    );
  }
  const burst = integer('partitionBurstSize', options.partitionBurstSize, 1_000, 1);
  if (options.middleware !== undefined && !Array.isArray(options.middleware)) {
    throw new BusOptionError(name, 'middleware', 'option "middleware" must be an array');
  }
  const pipeline = new MiddlewarePipeline(name, middlewareTimeout, options.middleware ?? []);
  const lanes =
    partitionCount > 1
      ? Array.from({ length: partitionCount }, (_, i) => new Lane(i, rate, burst))
      : undefined;
  const handlerErrors = options.handlerErrors ?? 'report';
  const problem = handlerErrorsProblem(name, 'option', handlerErrors, lanes !== undefined);
  if (problem !== undefined) throw problem;
  return {
    name,
    pipeline,
    maxLogSize,
    logTtl,
    partitionCount,
    lanes,
    rejectHandlerErrors: handlerErrors === 'reject',
    causality: options.causality ?? options.journal !== undefined,
  };
}

/**
 * What is wrong with a `handlerErrors` value, if anything: a value other than 'report' /
 * 'reject', or 'reject' on a partitioned bus (a partitioned publish does not wait for
 * deliveries).
 * @internal
 */
export function handlerErrorsProblem(
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

/** How a value that is not what was asked for is named in an error message. @internal */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'a plain object';
  }
  return typeof value;
}
