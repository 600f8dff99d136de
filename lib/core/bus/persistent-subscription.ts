import {
  AckTimeoutError,
  BusError,
  BusOptionError,
  InvalidAckArgumentError,
  InvalidLogIdError,
  QueueFullError,
  SubscriberError,
  UnknownLogIdError,
} from '../errors/bus.error.js';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import type { Signal } from '../signal/signal.js';
import { SignalId } from '../signal/signal-id.js';
import { DeliveryController } from '../dispatch/delivery-controller.js';
import type { DlqEntry, SignalStore, SubscriptionState } from '../store/signal-store.interface.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { compileBackoff, type BackoffFunction, type BackoffOptions } from './backoff.js';
import { selectDlqEntries } from './dlq-select.js';
import type { DeliveryScope } from './delivery-scope.js';
import { DlqIndex } from './dlq-index.js';
import { isThenable } from '../util/is-thenable.js';
import type { DeliverFunction, SubscribeOptions } from './subscription.js';

/** Where a new persistent subscription starts reading the log. */
export type StartFrom = 'origin' | 'current' | Date | number;

/** What a full persistent subscription does with more signals. */
export type OverflowPolicy = 'reject' | 'dead-letter';

/**
 * What a persistent subscription does with a new dead letter when its DLQ holds
 * `maxDlqSize` entries: `'drop-oldest'` deletes the oldest entry to make room,
 * `'drop-newest'` discards the new one. Either way the signal counts as dead-lettered and
 * the discarded entry is counted in `dlqDropped`.
 */
export type DlqOverflowPolicy = 'drop-oldest' | 'drop-newest';

/**
 * Options of `SignalBus.subscribe` for a persistent (at-least-once, store-backed)
 * subscription. Vocabulary follows NATS JetStream consumers: `maxInFlight` ≈
 * `max_ack_pending`, `maxAttempts` ≈ `max_deliver`, `ackTimeout` ≈ `ack_wait`, `backoff`.
 */
export interface PersistentSubscribeOptions extends Omit<SubscribeOptions, 'persistent'> {
  /** Marks the subscription persistent. */
  persistent: true;
  /**
   * Stable id: a later `subscribe` with the same id on a bus over the same store resumes
   * from the stored checkpoint. @default a new UUIDv7 (not resumable unless you keep it)
   */
  subscriptionId?: string;
  /** Deliveries handed over and not acked yet, at most. @default 1000 */
  maxInFlight?: number;
  /**
   * Signals held beyond `maxInFlight`, at most: those waiting for a delivery slot plus those
   * waiting for a retry. `maxInFlight + maxPending` bounds everything the subscription holds;
   * a publish beyond it meets the `overflow` policy.
   * @default 10_000
   */
  maxPending?: number;
  /** Delivery attempts per signal before it is dead-lettered (≥ 1). @default 5 */
  maxAttempts?: number;
  /**
   * Delay before retrying a failed delivery (dispatch error, `nack` without delay).
   * @default { type: 'exponential', initial: 100, max: 30_000, multiplier: 2, jitter: true }
   */
  backoff?: BackoffOptions;
  /** Shorthand for a fixed backoff of this many ms (jido's `retry_interval`). @default undefined */
  retryInterval?: number;
  /**
   * A delivery not acked within this many ms, counted from when it was handed over (a
   * handler still running included — like JetStream's `ack_wait`), is a failed attempt:
   * a handler still running is aborted (its `DeliveryContext` aborts with an
   * `AckTimeoutError`), and the signal is redelivered, or dead-lettered after `maxAttempts`.
   * With `autoAck` the handler must settle within it. `0` disables it (a handler that
   * never settles then holds its slot until the subscription stops).
   * @default 30_000
   */
  ackTimeout?: number;
  /**
   * Where a *new* subscription starts: `'origin'` (the whole log), `'current'` (signals
   * recorded after subscribing), or a time (Date or ms since the epoch: entries recorded at
   * or after it). Ignored when the subscription resumes from the store.
   * @default 'current'
   */
  startFrom?: StartFrom;
  /**
   * When `maxInFlight + maxPending` signals are outstanding: `'reject'` rejects the whole
   * publish with `QueueFullError` (`queue_full`) before anything is recorded;
   * `'dead-letter'` dead-letters the oldest waiting signal to make room.
   * @default 'reject'
   */
  overflow?: OverflowPolicy;
  /**
   * Most entries this subscription keeps in its dead-letter queue (in-process engine);
   * beyond it `dlqOverflow` decides which entry is discarded, and `stats()` counts it in
   * `dlqDropped`. `Infinity` keeps every entry (memory grows with the failures).
   * @default 10_000
   */
  maxDlqSize?: number;
  /**
   * Which entry goes when the DLQ is full: the oldest (`'drop-oldest'`) or the new one
   * (`'drop-newest'`).
   * @default 'drop-oldest'
   */
  dlqOverflow?: DlqOverflowPolicy;
  /**
   * Ack a delivery as soon as its dispatch succeeds (the handler returned or resolved, the
   * dispatch config delivered). Without it every delivery must be acked with `bus.ack`.
   * @default false
   */
  autoAck?: boolean;
  /**
   * Checkpoint writes are coalesced: state is written at most once per this many ms (and
   * on close/unsubscribe). A crash loses at most this window of acks — those signals are
   * redelivered (at-least-once).
   * @default 100
   */
  checkpointInterval?: number;
}

/** Options of `SignalBus.nack`. */
export interface NackOptions {
  /** `false` dead-letters the signal at once (JetStream `term`). @default true */
  requeue?: boolean;
  /** Redeliver after this many ms instead of the subscription's backoff. @default the backoff */
  delay?: number;
  /** Recorded as the DLQ entry's last error message. @default 'nacked' */
  reason?: string;
}

/** Result of `SignalBus.reconnect`. */
export interface ReconnectResult {
  /** Ack floor: every matching entry up to it is acked or dead-lettered (`undefined` before the first). */
  readonly checkpoint: string | undefined;
  /** Unacked deliveries sent again to the new receiver. */
  readonly redelivered: number;
}

/** Result of `bus.dlq.redrive`. */
export interface RedriveResult {
  /** DLQ entries sent back through the subscription (they leave the DLQ once acked). */
  readonly redriven: number;
  /** Entries that could not be taken (subscription full); they stay in the DLQ. */
  readonly failed: number;
}

/**
 * Counters of a persistent subscription (`stats().subscriptions[i].persistence`).
 * `inFlight + pending + retrying ≤ maxInFlight + maxPending` always holds, and so do
 * `inFlight ≤ maxInFlight` and (once loaded, while running) `pending ≤ maxPending`.
 */
export interface PersistentStats {
  /** Deliveries handed over and not acked yet (a handler still running included); at most `maxInFlight`. */
  readonly inFlight: number;
  /** Signals waiting for a delivery slot (not handed over yet, or due for a redelivery). */
  readonly pending: number;
  /** Signals that failed an attempt and wait for their retry time (backoff, nack delay). */
  readonly retrying: number;
  /** Successful dispatches (first deliveries and redeliveries). */
  readonly delivered: number;
  /** Signals acked (explicitly or by `autoAck`). */
  readonly acked: number;
  /** Retries scheduled (dispatch failures, nacks, ack timeouts). */
  readonly retried: number;
  /** Signals dead-lettered (those whose DLQ entry was then discarded included). */
  readonly deadLettered: number;
  /** DLQ entries discarded because the DLQ held `maxDlqSize` entries (see `dlqOverflow`). */
  readonly dlqDropped: number;
  /** `maxDlqSize`. */
  readonly maxDlqSize: number;
  /** DLQ entries redriven. */
  readonly redriven: number;
  /** The ack floor (log id), `undefined` before the first ack. */
  readonly checkpoint: string | undefined;
  /** `maxInFlight`. */
  readonly maxInFlight: number;
  /** `maxPending`. */
  readonly maxPending: number;
  /** Secret-free description of the current receiver. */
  readonly target: string;
}

/** Message on {@link TelemetryChannel.SubscriptionDeliver}. */
export interface PersistentDeliverMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signal: Signal;
  readonly logId: string | undefined;
  /** 1 for the first delivery. */
  readonly attempt: number;
}

/** Message on {@link TelemetryChannel.SubscriptionAck}. */
export interface PersistentAckMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly count: number;
  readonly checkpoint: string | undefined;
}

/** Message on {@link TelemetryChannel.SubscriptionNack}. */
export interface PersistentNackMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signalId: string;
  readonly logId: string | undefined;
  readonly requeue: boolean;
  readonly delayMs: number | undefined;
}

/** Message on {@link TelemetryChannel.SubscriptionRetry}. */
export interface PersistentRetryMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signalId: string;
  readonly logId: string | undefined;
  /** Attempts made so far. */
  readonly attempt: number;
  readonly delayMs: number;
  /** Code of the failure (`dispatch_error`, `nacked`, `ack_timeout`, …). */
  readonly reason: string;
}

/** Message on {@link TelemetryChannel.SubscriptionBackpressure}. */
export interface PersistentBackpressureMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly inFlight: number;
  readonly pending: number;
  readonly requested: number;
  readonly overflow: OverflowPolicy;
}

/** Message on {@link TelemetryChannel.SubscriptionDeadLetter}. */
export interface PersistentDeadLetterMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signalId: string;
  readonly logId: string | undefined;
  readonly dlqId: string;
  readonly attempts: number;
  readonly reason: string;
  /**
   * Set when the DLQ was full (`maxDlqSize`): the id of the entry discarded — the oldest
   * one, or `dlqId` itself with `dlqOverflow: 'drop-newest'`.
   */
  readonly dropped: string | undefined;
}

/** Message on {@link TelemetryChannel.BusDlqRedrive}. */
export interface PersistentRedriveMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly redriven: number;
  readonly failed: number;
}

/** What the bus lends a persistent subscription. @internal */
export interface PersistentHost {
  readonly bus: string;
  readonly store: SignalStore;
  /** The bus's delivery scope now (the drain replaces it when shutdown starts). */
  readonly scope: () => DeliveryScope | undefined;
  readonly report: (error: BusError) => void;
}

const deliverChannel = telemetryChannel(TelemetryChannel.SubscriptionDeliver);
const ackChannel = telemetryChannel(TelemetryChannel.SubscriptionAck);
const nackChannel = telemetryChannel(TelemetryChannel.SubscriptionNack);
const retryChannel = telemetryChannel(TelemetryChannel.SubscriptionRetry);
const backpressureChannel = telemetryChannel(TelemetryChannel.SubscriptionBackpressure);
const deadLetterChannel = telemetryChannel(TelemetryChannel.SubscriptionDeadLetter);
const redriveChannel = telemetryChannel(TelemetryChannel.BusDlqRedrive);

// States of one tracked signal.
const QUEUED = 0; // waiting for a delivery slot (in `#queue`)
const DISPATCHING = 1; // handed to the receiver, dispatch not settled
const IN_FLIGHT = 2; // dispatched, awaiting an ack
const WAITING = 3; // failed, waiting for its retry time (in `#heap`)
const DONE = 4; // acked or dead-lettered

type LastError = { readonly code: string; readonly message: string };

/** One signal tracked by a persistent subscription. */
class Delivery {
  state = QUEUED;
  firstAttemptAt = 0;
  lastAttemptAt = 0;
  /** Ack deadline (IN_FLIGHT) or retry time (WAITING). */
  deadline = 0;
  /** Bumped per dispatch so a stale settlement is ignored. */
  seq = 0;
  lastError: LastError | undefined = undefined;

  constructor(
    /** `logId`, or `dlq:<id>` for a redriven entry whose log id is tracked already. */
    readonly key: string,
    readonly logId: string | undefined,
    readonly signal: Signal,
    /** Part of the log order (counts for the ack floor); redriven entries are not. */
    readonly ordered: boolean,
    /** DLQ entry this delivery was redriven from. */
    readonly dlqId: string | undefined,
    /** Delivery attempts made. */
    public attempts: number,
  ) {}

  /** Abort handle of a running (DISPATCHING) delivery whose receiver takes a context. */
  ctl: DeliveryController | undefined = undefined;
  /** The publish waiting for this delivery's first attempt to settle. */
  batch: BatchWait | undefined = undefined;
}

/**
 * What a publish waits for: the first attempts its signals started, each until it settles
 * (handler returned or threw, dispatch done) or its ack deadline passes. One per batch.
 */
class BatchWait {
  left = 0;
  readonly promise: Promise<void>;
  resolve!: () => void;

  constructor() {
    this.promise = new Promise<void>((resolve) => (this.resolve = resolve));
  }
}

/**
 * `d` is acked or dead-lettered: let its signal go. The delivery itself may stay in the
 * ack-floor order for a while (behind an older unacked one), and only its log id is read
 * there — keeping every signal above a stuck floor alive made a dead-letter burst grow
 * memory without bound.
 */
function releaseSignal(d: Delivery): void {
  (d as { signal: Signal | undefined }).signal = undefined;
  d.lastError = undefined;
}

/** `d`'s first attempt settled: release the publish waiting for it, if any. */
function releaseBatch(d: Delivery): void {
  const b = d.batch;
  if (b === undefined) return;
  d.batch = undefined;
  if (--b.left === 0) b.resolve();
}

/** A binary min-heap of retry times (retries are rare; an item per retry is fine). */
interface HeapItem {
  readonly at: number;
  readonly d: Delivery;
}

/** Resolved `startFrom`, as stored in the subscription state. @internal */
export interface StartSpec {
  /** Exclusive log cursor. */
  readonly after?: string;
  /** Ms since the epoch (inclusive). */
  readonly since?: number;
}

/** @internal */
export function describeError(error: unknown): LastError {
  const code = error instanceof JidoSignalError ? error.code : 'dispatch_error';
  let message: string;
  try {
    message = error instanceof Error ? error.message : String(error);
  } catch {
    message = 'unprintable error';
  }
  return { code, message: message.length > 300 ? `${message.slice(0, 300)}…` : message };
}

/** @internal */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value))
    return value.length === 0 ? 'an empty list' : 'a list with a non-string';
  return typeof value;
}

/** Validated persistent-subscription options (shared by the in-process and remote engines). */
export interface ResolvedPersistentOptions {
  readonly maxInFlight: number;
  readonly maxPending: number;
  readonly maxAttempts: number;
  readonly ackTimeout: number;
  readonly checkpointInterval: number;
  readonly overflow: OverflowPolicy;
  readonly maxDlqSize: number;
  readonly dlqOverflow: DlqOverflowPolicy;
  readonly autoAck: boolean;
  readonly backoff: BackoffFunction;
  readonly start: StartSpec;
  /** JSON-safe form kept in the subscription state. */
  readonly persisted: Record<string, unknown>;
}

/**
 * Validate and default the options of a persistent subscription.
 * @throws BusOptionError naming the bad option
 * @internal
 */
export function resolvePersistentOptions(
  bus: string,
  options: PersistentSubscribeOptions,
): ResolvedPersistentOptions {
  const integer = (name: string, value: unknown, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new BusOptionError(
        bus,
        name,
        `option "${name}" must be an integer ≥ ${min}, got ${typeof value === 'number' ? value : typeof value}`,
      );
    }
    return value;
  };
  const maxInFlight = integer('maxInFlight', options.maxInFlight, 1000, 1);
  const maxPending = integer('maxPending', options.maxPending, 10_000, 0);
  const maxAttempts = integer('maxAttempts', options.maxAttempts, 5, 1);
  const ackTimeout = integer('ackTimeout', options.ackTimeout, 30_000, 0);
  const checkpointInterval = integer('checkpointInterval', options.checkpointInterval, 100, 0);
  const overflow = options.overflow ?? 'reject';
  if (overflow !== 'reject' && overflow !== 'dead-letter') {
    throw new BusOptionError(
      bus,
      'overflow',
      `option "overflow" must be 'reject' or 'dead-letter', got ${String(overflow)}`,
    );
  }
  const maxDlqSize =
    options.maxDlqSize === Infinity
      ? Infinity
      : integer('maxDlqSize', options.maxDlqSize, 10_000, 1);
  const dlqOverflow = options.dlqOverflow ?? 'drop-oldest';
  if (dlqOverflow !== 'drop-oldest' && dlqOverflow !== 'drop-newest') {
    throw new BusOptionError(
      bus,
      'dlqOverflow',
      `option "dlqOverflow" must be 'drop-oldest' or 'drop-newest', got ${String(dlqOverflow)}`,
    );
  }
  if (options.autoAck !== undefined && typeof options.autoAck !== 'boolean') {
    throw new BusOptionError(bus, 'autoAck', 'option "autoAck" must be a boolean');
  }
  const autoAck = options.autoAck ?? false;
  const backoff = compileBackoff(bus, options.backoff, options.retryInterval);
  const start = resolveStart(bus, options.startFrom);
  const persisted = {
    maxInFlight,
    maxPending,
    maxAttempts,
    ackTimeout,
    overflow,
    autoAck,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.retryInterval === undefined ? {} : { retryInterval: options.retryInterval }),
    start: { ...start },
  };
  return {
    maxInFlight,
    maxPending,
    maxAttempts,
    ackTimeout,
    checkpointInterval,
    overflow,
    maxDlqSize,
    dlqOverflow,
    autoAck,
    backoff,
    start,
    persisted,
  };
}

function resolveStart(bus: string, startFrom: StartFrom | undefined): StartSpec {
  if (startFrom === undefined || startFrom === 'current') return { after: SignalId.generate() };
  if (startFrom === 'origin') return {};
  const ms = startFrom instanceof Date ? startFrom.getTime() : startFrom;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new BusOptionError(
      bus,
      'startFrom',
      `option "startFrom" must be 'origin', 'current', a Date or ms since the epoch, got ${String(startFrom)}`,
    );
  }
  return { since: Math.floor(ms) };
}

/**
 * Throw when the stored state of subscription `id` has another pattern.
 * @throws BusOptionError (`invalid_option`)
 * @internal
 */
export function assertStoredPattern(
  bus: string,
  id: string,
  stored: SubscriptionState | undefined,
  pattern: string,
): void {
  if (stored !== undefined && stored.pattern !== pattern) {
    throw new BusOptionError(
      bus,
      'pattern',
      `persistent subscription "${id}" is stored with pattern "${stored.pattern}", not "${pattern}"; unsubscribe it with { deletePersistence: true } first`,
    );
  }
}

/**
 * Resolve the ids of an ack (one id or a non-empty list) with `resolve`; one bad id throws.
 * @throws InvalidAckArgumentError for anything but a string or a non-empty list
 * @internal
 */
export function resolveAckIds<D>(
  bus: string,
  subscriptionId: string,
  ids: unknown,
  resolve: (id: unknown) => D,
): D[] {
  if (typeof ids === 'string') return [resolve(ids)];
  if (Array.isArray(ids) && ids.length > 0) return (ids as readonly unknown[]).map(resolve);
  throw new InvalidAckArgumentError(bus, subscriptionId, describeValue(ids));
}

/**
 * Find the delivery an ack or nack names, by log id or signal id.
 * @throws InvalidAckArgumentError (not a string), UnknownLogIdError (a UUIDv7 not awaiting an
 *   ack), InvalidLogIdError (anything else)
 * @internal
 */
export function findDelivery<D>(
  bus: string,
  subscriptionId: string,
  id: unknown,
  lookup: (id: string) => D | undefined,
): D {
  if (typeof id !== 'string') {
    throw new InvalidAckArgumentError(bus, subscriptionId, describeValue(id));
  }
  const found = lookup(id);
  if (found !== undefined) return found;
  throw SignalId.isValid(id)
    ? new UnknownLogIdError(bus, subscriptionId, id)
    : new InvalidLogIdError(bus, subscriptionId, id);
}

/**
 * Check a `nack` delay.
 * @throws BusOptionError unless it is undefined or a number ≥ 0
 * @internal
 */
export function checkNackDelay(bus: string, delay: number | undefined): void {
  if (delay !== undefined && (typeof delay !== 'number' || !(delay >= 0))) {
    throw new BusOptionError(
      bus,
      'delay',
      `nack option "delay" must be a number ≥ 0, got ${String(delay)}`,
    );
  }
}

/** A store failure of a subscription as a `BusError` (`store_error`). @internal */
export function subscriptionStoreError(
  bus: string,
  subscriptionId: string,
  message: string,
  error: unknown,
): BusError {
  return error instanceof BusError
    ? error
    : new BusError(
        'store_error',
        bus,
        `${message} (subscription "${subscriptionId}"): ${error instanceof Error ? error.message : String(error)}`,
        { subscriptionId, cause: error },
      );
}

/**
 * What a bus needs of a persistent subscription's machinery: the in-process
 * {@link PersistentSubscription} or the remote one over a distributed store.
 * @internal
 */
export interface PersistentEngine {
  readonly id: string;
  readonly pattern: string;
  readonly createdAt: number;
  load(): Promise<void>;
  halt(): void;
  stop(persist: boolean): Promise<void>;
  destroy(): Promise<void>;
  ack(ids: string | readonly string[]): void;
  nack(id: string, options?: NackOptions): void;
  reconnect(deliver: DeliverFunction, target: string): ReconnectResult;
  /** `ids`: only these DLQ entries (the listing is then not limited). */
  redrive(
    limit: number | undefined,
    clearOnSuccess?: boolean,
    ids?: ReadonlySet<string>,
  ): Promise<RedriveResult>;
  forgetRedrives(): void;
  stats(): PersistentStats;
}

/**
 * The at-least-once machinery of one persistent subscription: flow control (in flight up
 * to `maxInFlight`, then pending up to `maxPending`), acks, nacks, retries with backoff,
 * ack timeouts, dead-lettering and a checkpoint kept in the store.
 *
 * Hot path data structures: Maps keyed by log id and signal id, arrays with a head index
 * as queues, one timer per subscription driven by a FIFO of ack deadlines (they grow
 * monotonically) and a heap of retry times — no per-signal timers.
 * @internal — use it through `SignalBus`.
 */
export class PersistentSubscription implements PersistentEngine {
  readonly maxInFlight: number;
  readonly maxPending: number;
  readonly maxAttempts: number;
  readonly ackTimeout: number;
  readonly overflow: OverflowPolicy;
  readonly maxDlqSize: number;
  readonly dlqOverflow: DlqOverflowPolicy;
  readonly autoAck: boolean;
  readonly checkpointInterval: number;
  createdAt: number;
  /** Scratch counter the bus uses while checking a publish's demand. */
  requested = 0;
  /** Set while the bus enqueues one publish. */
  batching = false;

  readonly #host: PersistentHost;
  readonly #backoff: BackoffFunction;
  readonly #persisted: Record<string, unknown>;
  readonly #start: StartSpec;
  #deliver: DeliverFunction;
  /** The receiver takes a `DeliveryContext` (third parameter): one is made per dispatch. */
  #wantsContext: boolean;
  #target: string;

  readonly #byKey = new Map<string, Delivery>();
  readonly #bySignal = new Map<string, Delivery>();
  #queue: (Delivery | undefined)[] = [];
  #qHead = 0;
  #order: (Delivery | undefined)[] = [];
  #oHead = 0;
  #floor: string | undefined;
  #inFlight = 0;
  /** Held beyond the in-flight ones: waiting for a slot (QUEUED) or a retry (WAITING). */
  #pending = 0;
  /** The WAITING part of `#pending`. */
  #retrying = 0;

  #delivered = 0;
  #acked = 0;
  #retried = 0;
  #deadLettered = 0;
  #redriven = 0;
  #dlqDropped = 0;
  /** Ids of this subscription's DLQ entries, oldest first (only with a finite `maxDlqSize`). */
  #dlqIds: DlqIndex | undefined;

  #ackQ: (Delivery | undefined)[] = [];
  #ackAt: number[] = [];
  #aHead = 0;
  readonly #ackSlack: number;
  readonly #heap: HeapItem[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();
  readonly #writes = new Set<Promise<unknown>>();
  /** Live signals that arrived while the stored state and history were loading. */
  #loading: Delivery[] | undefined = [];
  #loaded: Promise<void> | undefined;
  #halted = false;
  #pumping = false;
  /** Set while `endBatch` dispatches: first attempts started then join `#batch`. */
  #collecting = false;
  #batch: BatchWait | undefined;
  readonly #redriving = new Set<string>();
  /** DLQ entries being redriven with `clearOnSuccess: false`: kept when acked. */
  readonly #keepOnAck = new Set<string>();

  /**
   * @throws BusOptionError (`invalid_option`) naming the bad option
   */
  constructor(
    host: PersistentHost,
    readonly id: string,
    readonly pattern: string,
    options: PersistentSubscribeOptions,
    deliver: DeliverFunction,
    target: string,
  ) {
    this.#host = host;
    const o = resolvePersistentOptions(host.bus, options);
    this.maxInFlight = o.maxInFlight;
    this.maxPending = o.maxPending;
    this.maxAttempts = o.maxAttempts;
    this.ackTimeout = o.ackTimeout;
    this.checkpointInterval = o.checkpointInterval;
    this.overflow = o.overflow;
    this.maxDlqSize = o.maxDlqSize;
    this.dlqOverflow = o.dlqOverflow;
    this.#dlqIds = o.maxDlqSize === Infinity ? undefined : new DlqIndex();
    this.autoAck = o.autoAck;
    this.#backoff = o.backoff;
    this.#start = o.start;
    // Slack lets one timer wake-up handle many ack deadlines (≤ 5% late, at most 1 s).
    this.#ackSlack = Math.min(1000, Math.floor(this.ackTimeout / 20));
    this.#persisted = o.persisted;
    this.#deliver = deliver;
    this.#wantsContext = deliver.length >= 3;
    this.#target = target;
    this.createdAt = Date.now();
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  /**
   * Load the stored state (resume) or write a fresh one, read the unacked history from the
   * log and start delivering. Live signals arriving meanwhile are buffered and merged
   * after the history without duplicates.
   * @throws BusOptionError when the stored subscription has another pattern; store errors
   */
  load(): Promise<void> {
    return (this.#loaded ??= this.#load());
  }

  async #load(): Promise<void> {
    const { store, bus } = this.#host;
    const existing = await store.getSubscription(bus, this.id);
    let start = this.#start;
    let acked: ReadonlySet<string> = new Set<string>();
    let attempts: Readonly<Record<string, number>> = {};
    assertStoredPattern(bus, this.id, existing, this.pattern);
    if (existing !== undefined) {
      this.createdAt = existing.createdAt;
      this.#floor = existing.ackFloor;
      const stored = existing.options.start as StartSpec | undefined;
      start = stored ?? {};
      this.#persisted.start = { ...start };
      acked = new Set(existing.acked);
      attempts = existing.attempts;
    } else {
      await store.putSubscription(bus, this.#snapshot());
    }
    const fresh = existing === undefined && start.after !== undefined && start.since === undefined;
    const history = fresh
      ? []
      : await store.read(bus, {
          afterLogId: this.#floor ?? start.after,
          since: this.#floor === undefined ? start.since : undefined,
          pattern: this.pattern,
        });
    if (this.#dlqIds !== undefined && existing !== undefined) {
      const known = this.#dlqIds;
      for (const entry of await store.listDlq(bus, this.id)) known.add(entry.id);
    }
    const buffered = this.#loading ?? [];
    this.#loading = undefined;
    const seen = new Set<string>();
    for (const entry of history) {
      seen.add(entry.logId);
      const d = new Delivery(
        entry.logId,
        entry.logId,
        entry.signal,
        true,
        undefined,
        attempts[entry.logId] ?? 0,
      );
      if (acked.has(entry.logId)) {
        d.state = DONE;
        this.#order.push(d);
        continue;
      }
      this.#pending++;
      this.#track(d);
    }
    for (const d of buffered) {
      if (seen.has(d.key)) {
        this.#pending--;
        continue;
      }
      this.#track(d);
    }
    this.#advanceFloor();
    this.#pump();
  }

  /** Stop dispatching and redelivering (timers cleared); tracked signals stay unacked. */
  halt(): void {
    this.#halted = true;
    // Nothing is redelivered any more: the publishes waiting for a running delivery settle.
    for (const d of this.#byKey.values()) releaseBatch(d);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#timer = this.#flushTimer = undefined;
    this.#timerAt = Infinity;
  }

  /**
   * Halt, wait for outstanding store writes, and write the final checkpoint (unless
   * `persist` is false). Errors are reported, never thrown.
   */
  async stop(persist: boolean): Promise<void> {
    this.halt();
    try {
      if (this.#loaded !== undefined) await this.#loaded.catch(() => undefined);
      if (persist && this.#loading === undefined) await this.#flush();
      else await this.#settleWrites();
    } catch (error) {
      this.#host.report(this.#storeError('Writing the subscription checkpoint failed', error));
    }
  }

  /** Delete the stored state and DLQ of this subscription. */
  async destroy(): Promise<void> {
    const { store, bus } = this.#host;
    await this.#settleWrites();
    await this.#chain;
    await store.deleteSubscription(bus, this.id);
    await store.clearDlq(bus, this.id);
  }

  // ── intake ─────────────────────────────────────────────────────────────────

  /**
   * The `QueueFullError` refusing `n` more signals, or `undefined` when they fit (always
   * with `overflow: 'dead-letter'`). Emits backpressure telemetry when full.
   */
  refuse(n: number): QueueFullError | undefined {
    const occupied = this.#inFlight + this.#pending;
    if (occupied + n <= this.maxInFlight + this.maxPending) return undefined;
    this.#backpressure(n);
    if (this.overflow !== 'reject') return undefined;
    return new QueueFullError(this.#host.bus, this.id, {
      inFlight: this.#inFlight,
      pending: this.#pending,
      maxInFlight: this.maxInFlight,
      maxPending: this.maxPending,
      requested: n,
    });
  }

  /** Start taking one publish's signals (dispatch happens in {@link endBatch}). */
  beginBatch(): void {
    this.batching = true;
    this.#batch = undefined;
  }

  /** Track one recorded signal (log order). */
  enqueue(signal: Signal, logId: string): void {
    const d = new Delivery(logId, logId, signal, true, undefined, 0);
    if (this.#loading !== undefined) {
      this.#pending++;
      this.#loading.push(d);
      return;
    }
    if (
      this.overflow === 'dead-letter' &&
      this.#inFlight + this.#pending >= this.maxInFlight + this.maxPending
    ) {
      this.#pump();
      if (this.#inFlight + this.#pending >= this.maxInFlight + this.maxPending) {
        this.#overflowOne(d);
        return;
      }
    }
    this.#pending++;
    this.#track(d);
  }

  /**
   * Dispatch what fits; resolves when the first attempts started in this batch settled —
   * each one's handler returned or threw, or its ack deadline passed (the attempt is then
   * aborted). Never waits for acks or redeliveries.
   */
  endBatch(): PromiseLike<unknown> | undefined {
    this.#collecting = true;
    try {
      this.#pump();
    } finally {
      this.#collecting = false;
      this.batching = false;
    }
    const batch = this.#batch;
    this.#batch = undefined;
    return batch !== undefined && batch.left > 0 ? batch.promise : undefined;
  }

  #track(d: Delivery): void {
    this.#byKey.set(d.key, d);
    if (!this.#bySignal.has(d.signal.id)) this.#bySignal.set(d.signal.id, d);
    if (d.ordered) this.#order.push(d);
    this.#queue.push(d);
  }

  #forget(d: Delivery): void {
    this.#byKey.delete(d.key);
    if (this.#bySignal.get(d.signal.id) === d) this.#bySignal.delete(d.signal.id);
  }

  /** Full with `overflow: 'dead-letter'`: dead-letter the oldest waiting signal (or `d`). */
  #overflowOne(d: Delivery): void {
    this.#backpressure(1);
    const error: LastError = {
      code: 'queue_full',
      message: `subscription "${this.id}" was full (maxInFlight ${this.maxInFlight}, maxPending ${this.maxPending})`,
    };
    const q = this.#queue;
    while (this.#qHead < q.length && q[this.#qHead]!.state !== QUEUED) q[this.#qHead++] = undefined;
    let victim: Delivery;
    if (this.#qHead < q.length) {
      victim = q[this.#qHead]!;
      q[this.#qHead++] = undefined;
      // The victim leaves the pending count and `d` takes its place.
      this.#track(d);
    } else {
      victim = d;
      this.#byKey.set(d.key, d);
      this.#order.push(d);
    }
    victim.lastError = error;
    this.#deadLetter(victim);
    this.#advanceFloor();
    this.#scheduleFlush();
  }

  #backpressure(requested: number): void {
    emit(backpressureChannel, (): PersistentBackpressureMessage => ({
      bus: this.#host.bus,
      subscriptionId: this.id,
      inFlight: this.#inFlight,
      pending: this.#pending,
      requested,
      overflow: this.overflow,
    }));
  }

  // ── delivery ───────────────────────────────────────────────────────────────

  #pump(): void {
    if (this.#pumping || this.#halted || this.#loading !== undefined) return;
    this.#pumping = true;
    try {
      const q = this.#queue;
      // The clock is read once for up to 64 hand-overs of async receivers (a batch hands
      // over up to maxInFlight at once); a receiver that settles synchronously may have run
      // for long, so the clock is read again after it.
      let now = 0;
      let reuses = 0;
      while (this.#inFlight < this.maxInFlight && this.#qHead < q.length) {
        const d = q[this.#qHead]!;
        q[this.#qHead++] = undefined;
        if (d.state !== QUEUED) continue;
        this.#pending--;
        if (now === 0 || ++reuses === 64) {
          now = Date.now();
          reuses = 0;
        }
        if (!this.#dispatch(d, now)) now = 0;
        if (this.#halted) break;
      }
      if (this.#qHead === q.length) {
        q.length = 0;
        this.#qHead = 0;
      } else if (this.#qHead > 1024 && this.#qHead * 2 > q.length) {
        this.#queue = q.slice(this.#qHead);
        this.#qHead = 0;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Hand `d` to the receiver at time `now`.
   * @returns whether the receiver returned a promise (did not settle synchronously)
   */
  #dispatch(d: Delivery, now: number): boolean {
    d.state = DISPATCHING;
    this.#inFlight++;
    if (d.attempts === 0 || d.firstAttemptAt === 0) d.firstAttemptAt = now;
    d.attempts++;
    d.lastAttemptAt = now;
    const seq = ++d.seq;
    d.deadline = 0;
    const logId = d.logId ?? d.key;
    if (deliverChannel.hasSubscribers) {
      emit(deliverChannel, (): PersistentDeliverMessage => ({
        bus: this.#host.bus,
        subscriptionId: this.id,
        signal: d.signal,
        logId: d.logId,
        attempt: d.attempts,
      }));
    }
    const deliver = this.#deliver;
    const ctl = this.#wantsContext ? new DeliveryController({ attempt: d.attempts }) : undefined;
    let result: unknown;
    try {
      const scope = this.#host.scope();
      result =
        scope === undefined
          ? deliver(d.signal, logId, ctl)
          : scope.run(
              { bus: this.#host.bus, signal: d.signal, logId, subscriptionId: this.id },
              () => deliver(d.signal, logId, ctl),
            );
    } catch (error) {
      this.#failed(d, seq, error);
      return false;
    }
    if (isThenable(result)) {
      d.ctl = ctl;
      // The ack deadline counts from hand-over: a handler still running when it passes is
      // aborted and the attempt fails (DESIGN decision 10, JetStream's `ack_wait`).
      if (this.ackTimeout > 0 && !this.#halted) this.#armAck(d, now + this.ackTimeout);
      if (this.#collecting) {
        const batch = (this.#batch ??= new BatchWait());
        batch.left++;
        d.batch = batch;
      }
      result.then(
        () => this.#succeeded(d, seq),
        (error: unknown) => this.#failed(d, seq, error),
      );
      return true;
    }
    this.#succeeded(d, seq);
    return false;
  }

  /** Track `d`'s ack deadline `at` (one timer per subscription, FIFO of deadlines). */
  #armAck(d: Delivery, at: number): void {
    d.deadline = at;
    this.#ackQ.push(d);
    this.#ackAt.push(at);
    if (this.#ackQ.length - this.#aHead > 2 * this.#inFlight + 4096) this.#compactAcks();
    if (at + this.#ackSlack < this.#timerAt) this.#arm(at + this.#ackSlack);
  }

  #succeeded(d: Delivery, seq: number): void {
    if (d.seq !== seq || d.state !== DISPATCHING) return;
    d.ctl = undefined;
    releaseBatch(d);
    this.#delivered++;
    if (this.autoAck) {
      this.#inFlight--;
      this.#complete(d);
      this.#advanceFloor();
      this.#scheduleFlush();
      if (ackChannel.hasSubscribers) {
        emit(ackChannel, (): PersistentAckMessage => ({
          bus: this.#host.bus,
          subscriptionId: this.id,
          count: 1,
          checkpoint: this.#floor,
        }));
      }
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
    this.#inFlight--;
    this.#host.report(new SubscriberError(this.#host.bus, this.id, d.signal.id, error));
    this.#retryOrDeadLetter(d, describeError(error), undefined);
    this.#pump();
  }

  /** `d` just left the in-flight count after a failed attempt. */
  #retryOrDeadLetter(d: Delivery, error: LastError, delay: number | undefined): void {
    d.lastError = error;
    if (d.attempts >= this.maxAttempts) {
      this.#deadLetter(d);
      this.#advanceFloor();
      this.#scheduleFlush();
      return;
    }
    this.#retried++;
    this.#pending++;
    const wait = delay ?? this.#backoff(d.attempts);
    emit(retryChannel, (): PersistentRetryMessage => ({
      bus: this.#host.bus,
      subscriptionId: this.id,
      signalId: d.signal.id,
      logId: d.logId,
      attempt: d.attempts,
      delayMs: wait,
      reason: error.code,
    }));
    this.#wait(d, wait);
  }

  /** Park `d` (already counted pending) until `Date.now() + wait`, or queue it now. */
  #wait(d: Delivery, wait: number): void {
    if (wait <= 0) {
      d.state = QUEUED;
      this.#queue.push(d);
      return;
    }
    d.state = WAITING;
    this.#retrying++;
    const at = Date.now() + wait;
    d.deadline = at;
    this.#heapPush({ at, d });
    if (at < this.#timerAt) this.#arm(at);
  }

  /** Mark `d` acked (counts already adjusted by the caller). */
  #complete(d: Delivery): void {
    d.state = DONE;
    this.#forget(d);
    this.#acked++;
    if (d.dlqId !== undefined) {
      const dlqId = d.dlqId;
      this.#redriving.delete(dlqId);
      if (!this.#keepOnAck.delete(dlqId)) {
        this.#dlqIds?.delete(dlqId);
        this.#write(this.#host.store.deleteDlq(this.#host.bus, this.id, [dlqId]));
      }
    }
    releaseSignal(d);
  }

  /** Dead-letter `d` (counts already adjusted by the caller). */
  #deadLetter(d: Delivery): void {
    d.state = DONE;
    this.#forget(d);
    this.#deadLettered++;
    const now = Date.now();
    const entry: DlqEntry = {
      id: SignalId.generate(),
      subscriptionId: this.id,
      ...(d.logId === undefined ? {} : { logId: d.logId }),
      signal: d.signal,
      attempts: d.attempts,
      lastError: d.lastError ?? { code: 'dead_lettered', message: 'dead-lettered' },
      firstAttemptAt: d.firstAttemptAt === 0 ? now : d.firstAttemptAt,
      lastAttemptAt: d.lastAttemptAt === 0 ? now : d.lastAttemptAt,
      insertedAt: now,
    };
    const { store, bus } = this.#host;
    const previous = d.dlqId;
    if (previous !== undefined) {
      this.#redriving.delete(previous);
      this.#keepOnAck.delete(previous);
    }
    // The DLQ bound: make room by discarding the oldest entry, or discard the new one.
    const ids = this.#dlqIds;
    let dropped: string | undefined;
    if (ids !== undefined) {
      if (previous !== undefined) ids.delete(previous);
      if (ids.size >= this.maxDlqSize) {
        this.#dlqDropped++;
        if (this.dlqOverflow === 'drop-newest') dropped = entry.id;
        else {
          dropped = ids.shift();
          if (dropped !== undefined) {
            this.#redriving.delete(dropped);
            this.#keepOnAck.delete(dropped);
            this.#write(store.deleteDlq(bus, this.id, [dropped]));
          }
        }
      }
      if (dropped !== entry.id) ids.add(entry.id);
    }
    if (dropped === entry.id) {
      if (previous !== undefined) this.#write(store.deleteDlq(bus, this.id, [previous]));
    } else {
      this.#write(
        store
          .putDlq(bus, entry)
          .then(() =>
            previous === undefined ? undefined : store.deleteDlq(bus, this.id, [previous]),
          ),
      );
    }
    emit(deadLetterChannel, (): PersistentDeadLetterMessage => ({
      bus,
      subscriptionId: this.id,
      signalId: d.signal.id,
      logId: d.logId,
      dlqId: entry.id,
      attempts: entry.attempts,
      reason: entry.lastError.code,
      dropped,
    }));
    releaseSignal(d);
  }

  // ── ack / nack / reconnect ────────────────────────────────────────────────

  #resolve(id: unknown): Delivery {
    return findDelivery(this.#host.bus, this.id, id, (key) => {
      const d = this.#byKey.get(key) ?? this.#bySignal.get(key);
      return d !== undefined && d.state !== QUEUED && d.state !== DONE ? d : undefined;
    });
  }

  /** Remove `d` from the in-flight or pending count, whichever holds it. */
  #release(d: Delivery): void {
    if (d.state === WAITING) {
      this.#pending--;
      this.#retrying--;
      return;
    }
    this.#inFlight--;
    if (d.state === DISPATCHING) {
      // Acked or nacked while its handler still runs: this attempt is over, so the publish
      // waiting for it goes on (its late settlement is ignored).
      d.ctl = undefined;
      releaseBatch(d);
    }
  }

  /**
   * Ack deliveries by log id or signal id. Every id is resolved first: one bad id throws
   * and nothing is acked.
   * @throws InvalidAckArgumentError, UnknownLogIdError, InvalidLogIdError
   */
  ack(ids: string | readonly string[]): void {
    const resolved = resolveAckIds(this.#host.bus, this.id, ids, (id) => this.#resolve(id));
    let count = 0;
    for (let i = 0; i < resolved.length; i++) {
      const d = resolved[i];
      if (d.state === DONE) continue; // listed twice
      this.#release(d);
      this.#complete(d);
      count++;
    }
    this.#advanceFloor();
    this.#scheduleFlush();
    emit(ackChannel, (): PersistentAckMessage => ({
      bus: this.#host.bus,
      subscriptionId: this.id,
      count,
      checkpoint: this.#floor,
    }));
    this.#pump();
  }

  /**
   * Negative ack: redeliver after `delay` (default: the backoff; counts as a failed
   * attempt, dead-lettered once `maxAttempts` is reached), or dead-letter now with
   * `requeue: false`.
   * @throws InvalidAckArgumentError, UnknownLogIdError, InvalidLogIdError, BusOptionError
   */
  nack(id: string, options: NackOptions = {}): void {
    const { requeue = true, delay, reason } = options;
    checkNackDelay(this.#host.bus, delay);
    const d = this.#resolve(id);
    emit(nackChannel, (): PersistentNackMessage => ({
      bus: this.#host.bus,
      subscriptionId: this.id,
      signalId: d.signal.id,
      logId: d.logId,
      requeue,
      delayMs: delay,
    }));
    const error: LastError = {
      code: 'nacked',
      message: reason ?? (requeue ? 'nacked' : 'nacked without requeue'),
    };
    const waiting = d.state === WAITING;
    this.#release(d);
    if (!requeue) {
      d.lastError = error;
      this.#deadLetter(d);
      this.#advanceFloor();
      this.#scheduleFlush();
    } else if (waiting) {
      // Already failed and parked: only move its retry time.
      d.lastError = error;
      this.#pending++;
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
    this.#deliver = deliver;
    this.#wantsContext = deliver.length >= 3;
    this.#target = target;
    const again: Delivery[] = [];
    for (const d of this.#byKey.values()) {
      if (d.state === IN_FLIGHT) {
        this.#inFlight--;
        this.#pending++;
      } else if (d.state === WAITING) this.#retrying--;
      else continue;
      d.state = QUEUED;
      again.push(d);
    }
    again.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rest = this.#queue.slice(this.#qHead);
    this.#queue = again.concat(rest as Delivery[]);
    this.#qHead = 0;
    this.#pump();
    return { checkpoint: this.#floor, redelivered: again.length };
  }

  // ── DLQ redrive ────────────────────────────────────────────────────────────

  /**
   * Send up to `limit` DLQ entries back through the subscription as fresh deliveries
   * (attempts start over). An entry leaves the DLQ when its redelivery is acked (or is
   * replaced by a new entry if it fails again); entries already being redriven are skipped.
   * With `clearOnSuccess` false an acked redelivery leaves its entry in the DLQ.
   */
  async redrive(
    limit: number | undefined,
    clearOnSuccess = true,
    ids?: ReadonlySet<string>,
  ): Promise<RedriveResult> {
    const { store, bus } = this.#host;
    const listed = await store.listDlq(bus, this.id, limit === undefined || ids ? {} : { limit });
    const entries = ids === undefined ? listed : selectDlqEntries(listed, ids, limit);
    let redriven = 0;
    let failed = 0;
    for (const entry of entries) {
      if (this.#redriving.has(entry.id)) continue;
      if (this.#halted || this.#inFlight + this.#pending >= this.maxInFlight + this.maxPending) {
        failed++;
        continue;
      }
      const key =
        entry.logId !== undefined && !this.#byKey.has(entry.logId)
          ? entry.logId
          : `dlq:${entry.id}`;
      const d = new Delivery(key, entry.logId, entry.signal, false, entry.id, 0);
      this.#redriving.add(entry.id);
      if (!clearOnSuccess) this.#keepOnAck.add(entry.id);
      this.#pending++;
      this.#track(d);
      redriven++;
    }
    this.#redriven += redriven;
    this.#pump();
    emit(redriveChannel, (): PersistentRedriveMessage => ({
      bus,
      subscriptionId: this.id,
      redriven,
      failed,
    }));
    return { redriven, failed };
  }

  /** The DLQ was cleared: entries being redriven no longer have an entry to delete. */
  forgetRedrives(): void {
    this.#redriving.clear();
    this.#keepOnAck.clear();
    this.#dlqIds?.clear();
  }

  // ── timers ─────────────────────────────────────────────────────────────────

  #arm(at: number): void {
    if (this.#halted) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - Date.now()));
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#halted) return;
    const now = Date.now();
    const ackQ = this.#ackQ;
    const ackAt = this.#ackAt;
    let failures = false;
    while (this.#aHead < ackQ.length && ackAt[this.#aHead] <= now) {
      const d = ackQ[this.#aHead]!;
      const at = ackAt[this.#aHead];
      ackQ[this.#aHead++] = undefined;
      if ((d.state !== IN_FLIGHT && d.state !== DISPATCHING) || d.deadline !== at) continue;
      this.#inFlight--;
      failures = true;
      if (d.state === DISPATCHING) {
        // Still running: abort it; its late settlement is ignored (the state moves on).
        const reason = new AckTimeoutError(this.#host.bus, this.id, d.signal.id, this.ackTimeout);
        const ctl = d.ctl;
        d.ctl = undefined;
        releaseBatch(d);
        this.#host.report(new SubscriberError(this.#host.bus, this.id, d.signal.id, reason));
        ctl?.abort(reason);
      }
      this.#retryOrDeadLetter(
        d,
        { code: 'ack_timeout', message: `not acked within ${this.ackTimeout} ms of hand-over` },
        0,
      );
    }
    if (this.#aHead === ackQ.length) {
      ackQ.length = 0;
      ackAt.length = 0;
      this.#aHead = 0;
    } else if (this.#aHead > 4096 && this.#aHead * 2 > ackQ.length) {
      this.#ackQ = ackQ.slice(this.#aHead);
      this.#ackAt = ackAt.slice(this.#aHead);
      this.#aHead = 0;
    }
    const heap = this.#heap;
    while (heap.length > 0 && heap[0].at <= now) {
      const { at, d } = this.#heapPop();
      if (d.state !== WAITING || d.deadline !== at) continue;
      d.state = QUEUED;
      this.#retrying--;
      this.#queue.push(d);
    }
    if (failures) this.#advanceFloor();
    this.#pump();
    let next = Infinity;
    if (this.#aHead < this.#ackAt.length) next = this.#ackAt[this.#aHead] + this.#ackSlack;
    if (heap.length > 0 && heap[0].at < next) next = heap[0].at;
    if (next !== Infinity && next < this.#timerAt) this.#arm(next);
  };

  #compactAcks(): void {
    const q: Delivery[] = [];
    const at: number[] = [];
    for (let i = this.#aHead; i < this.#ackQ.length; i++) {
      const d = this.#ackQ[i]!;
      if ((d.state === IN_FLIGHT || d.state === DISPATCHING) && d.deadline === this.#ackAt[i]) {
        q.push(d);
        at.push(this.#ackAt[i]);
      }
    }
    this.#ackQ = q;
    this.#ackAt = at;
    this.#aHead = 0;
  }

  #heapPush(item: HeapItem): void {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= item.at) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
  }

  #heapPop(): HeapItem {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r].at < h[l].at ? r : l;
        if (h[c].at >= last.at) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  // ── checkpoint ─────────────────────────────────────────────────────────────

  /** Advance the ack floor past every leading acked or dead-lettered entry. */
  #advanceFloor(): void {
    const order = this.#order;
    let head = this.#oHead;
    while (head < order.length && order[head]!.state === DONE) {
      this.#floor = order[head]!.logId;
      order[head++] = undefined;
    }
    if (head === order.length) {
      order.length = 0;
      head = 0;
    } else if (head > 1024 && head * 2 > order.length) {
      this.#order = order.slice(head);
      head = 0;
    }
    this.#oHead = head;
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined || this.#halted || this.#loading !== undefined) return;
    this.#flushTimer = setTimeout(this.#onFlushTimer, this.checkpointInterval);
    this.#flushTimer.unref();
  }

  readonly #onFlushTimer = (): void => {
    this.#flushTimer = undefined;
    this.#flush().catch((error: unknown) =>
      this.#host.report(this.#storeError('Writing the subscription checkpoint failed', error)),
    );
  };

  /** Write the state after every DLQ write issued so far (a crash never skips a signal). */
  #flush(): Promise<void> {
    const run = this.#chain.then(async () => {
      await this.#settleWrites();
      await this.#host.store.putSubscription(this.#host.bus, this.#snapshot());
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #snapshot(): SubscriptionState {
    const acked: string[] = [];
    for (let i = this.#oHead; i < this.#order.length; i++) {
      const d = this.#order[i]!;
      if (d.state === DONE) acked.push(d.logId!);
    }
    const attempts: Record<string, number> = {};
    for (const d of this.#byKey.values()) {
      if (d.ordered && d.attempts > 0) attempts[d.key] = d.attempts;
    }
    return {
      subscriptionId: this.id,
      pattern: this.pattern,
      options: this.#persisted,
      ...(this.#floor === undefined ? {} : { ackFloor: this.#floor }),
      acked,
      attempts,
      createdAt: this.createdAt,
    };
  }

  #write(promise: Promise<unknown>): void {
    const tracked = promise.then(
      () => {
        this.#writes.delete(tracked);
      },
      (error: unknown) => {
        this.#writes.delete(tracked);
        this.#host.report(this.#storeError('Writing to the dead-letter queue failed', error));
      },
    );
    this.#writes.add(tracked);
  }

  async #settleWrites(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all([...this.#writes]);
  }

  #storeError(message: string, error: unknown): BusError {
    return subscriptionStoreError(this.#host.bus, this.id, message, error);
  }

  // ── introspection ──────────────────────────────────────────────────────────

  /** Deliveries handed over and not acked. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Signals waiting for a slot or a retry (what counts against `maxPending`). */
  get pending(): number {
    return this.#pending;
  }

  /** Current counters. */
  stats(): PersistentStats {
    return Object.freeze({
      inFlight: this.#inFlight,
      pending: this.#pending - this.#retrying,
      retrying: this.#retrying,
      delivered: this.#delivered,
      acked: this.#acked,
      retried: this.#retried,
      deadLettered: this.#deadLettered,
      dlqDropped: this.#dlqDropped,
      maxDlqSize: this.maxDlqSize,
      redriven: this.#redriven,
      checkpoint: this.#floor,
      maxInFlight: this.maxInFlight,
      maxPending: this.maxPending,
      target: this.#target,
    });
  }
}
