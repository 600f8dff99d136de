import { BusOptionError } from '../../errors/bus.error.js';
import { SignalId } from '../../signal/signal-id.js';
import type { SubscriptionState } from '../../store/signal-store.interface.js';
import { integerProblem } from '../../util/integer.js';
import { compileBackoff, type BackoffFunction, type BackoffOptions } from './backoff.js';
import type { SubscribeOptions } from '../subscription.js';

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

/** Resolved `startFrom`, as stored in the subscription state. @internal */
export interface StartSpec {
  /** Exclusive log cursor. */
  readonly after?: string;
  /** Ms since the epoch (inclusive). */
  readonly since?: number;
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
    const problem = integerProblem(value, min, Number.MAX_SAFE_INTEGER);
    if (problem !== undefined) throw new BusOptionError(bus, name, `option "${name}" ${problem}`);
    return value as number;
  };
  const maxInFlight = integer('maxInFlight', options.maxInFlight, 1000, 1);
  const maxPending = integer('maxPending', options.maxPending, 10_000, 0);
  const maxAttempts = integer('maxAttempts', options.maxAttempts, 5, 1);
  const ackTimeout = integer('ackTimeout', options.ackTimeout, 30_000, 0);
  const checkpointInterval = integer('checkpointInterval', options.checkpointInterval, 100, 0);
  /** One of two policies, the first by default. */
  const policy = <P extends string>(name: string, value: P | undefined, allowed: [P, P]): P => {
    const chosen = value ?? allowed[0];
    if (chosen === allowed[0] || chosen === allowed[1]) return chosen;
    throw new BusOptionError(
      bus,
      name,
      `option "${name}" must be '${allowed[0]}' or '${allowed[1]}', got ${String(chosen)}`,
    );
  };
  const overflow = policy<OverflowPolicy>('overflow', options.overflow, ['reject', 'dead-letter']);
  const maxDlqSize =
    options.maxDlqSize === Infinity
      ? Infinity
      : integer('maxDlqSize', options.maxDlqSize, 10_000, 1);
  const dlqOverflow = policy<DlqOverflowPolicy>('dlqOverflow', options.dlqOverflow, [
    'drop-oldest',
    'drop-newest',
  ]);
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
