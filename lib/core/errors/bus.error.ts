import {
  JidoSignalError,
  type ErrorDetails,
  type JidoSignalErrorCode,
  describeThrown,
} from './jido-signal.error.js';

/** Options of the {@link BusError} constructor. */
export interface BusErrorOptions {
  /** The subscription the error concerns. @default undefined */
  subscriptionId?: string;
  /** Id of the signal the error concerns. @default undefined */
  signalId?: string;
  /** Structured, secret-free context. @default {} */
  details?: ErrorDetails;
  /** The underlying error. @default undefined */
  cause?: unknown;
  /** Whether repeating the operation may succeed. @default false */
  retryable?: boolean;
}

/** The hooks a bus middleware may implement. */
export type MiddlewareHook = 'beforePublish' | 'afterPublish' | 'beforeDispatch' | 'afterDispatch';

/**
 * Root of the signal bus errors. Every error a bus reports — as a rejection or on
 * `bus.errors$` — is a `BusError` naming the bus and, when it concerns one delivery, the
 * subscription and the signal.
 */
export class BusError extends JidoSignalError {
  /** Name of the bus. */
  readonly bus: string;
  /** The subscription concerned, if any. */
  readonly subscriptionId: string | undefined;
  /** Id of the signal concerned, if any. */
  readonly signalId: string | undefined;

  constructor(
    code: JidoSignalErrorCode,
    bus: string,
    message: string,
    options: BusErrorOptions = {},
  ) {
    super(code, message, {
      details: {
        bus,
        ...(options.subscriptionId === undefined ? {} : { subscriptionId: options.subscriptionId }),
        ...(options.signalId === undefined ? {} : { signalId: options.signalId }),
        ...options.details,
      },
      cause: options.cause,
      retryable: options.retryable,
    });
    this.bus = bus;
    this.subscriptionId = options.subscriptionId;
    this.signalId = options.signalId;
  }
}

/** The bus is closed (or closing): no new publishes, subscriptions or queries. Code `'closed'`. */
export class BusClosedError extends BusError {
  /** Ids of the signals a refused publish carried (empty for other operations). */
  readonly signalIds: readonly string[];

  constructor(bus: string, operation: string, signalIds: readonly string[] = []) {
    super('closed', bus, `Bus "${bus}" is closed: cannot ${operation}`, {
      signalId: signalIds[0],
      details: signalIds.length === 0 ? { operation } : { operation, signalIds },
    });
    this.signalIds = signalIds;
  }
}

/** A bus option is out of range. Code `'invalid_option'`. */
export class BusOptionError extends BusError {
  /** The offending option. */
  readonly option: string;

  constructor(bus: string, option: string, message: string) {
    super('invalid_option', bus, `Bus "${bus}": ${message}`, { details: { option } });
    this.option = option;
  }
}

/**
 * `publish` got something that is not a `Signal` (or a list holding one); nothing was
 * recorded. Code `'invalid_signal'`.
 */
export class InvalidSignalsError extends BusError {
  /** Position of the first offending element (`-1` when the argument itself is wrong). */
  readonly index: number;

  constructor(bus: string, index: number, got: string, origin = 'publish') {
    const where = index < 0 ? 'the argument' : `element ${index}`;
    super(
      'invalid_signal',
      bus,
      `${origin} on bus "${bus}" expects Signal instances (use createSignal): ${where} is ${got}`,
      { details: { index, got, origin } },
    );
    this.index = index;
  }
}

/** A subscription with this id already exists; nothing was registered. Code `'subscription_exists'`. */
export class SubscriptionExistsError extends BusError {
  constructor(bus: string, subscriptionId: string) {
    super(
      'subscription_exists',
      bus,
      `Subscription "${subscriptionId}" already exists on bus "${bus}"`,
      {
        subscriptionId,
      },
    );
  }
}

/** No subscription has this id. Code `'subscription_not_found'`. */
export class SubscriptionNotFoundError extends BusError {
  constructor(bus: string, subscriptionId: string) {
    super(
      'subscription_not_found',
      bus,
      `Subscription "${subscriptionId}" does not exist on bus "${bus}"`,
      {
        subscriptionId,
      },
    );
  }
}

/**
 * A subscriber failed on a signal: its handler threw or rejected, its dispatch failed, or
 * its delivery timed out. The publish still succeeded and the other subscribers were not
 * affected. Code `'subscriber_failed'`; {@link reason} is the code of the underlying error
 * (`'dispatch_error'` for anything that was not a library error), `cause` the error itself.
 */
export class SubscriberError extends BusError {
  /** Code of the underlying failure (`'timeout'`, `'process_not_alive'`, `'dispatch_error'`, …). */
  readonly reason: JidoSignalErrorCode;

  constructor(bus: string, subscriptionId: string, signalId: string, cause: unknown) {
    const reason = cause instanceof JidoSignalError ? cause.code : 'dispatch_error';
    super(
      'subscriber_failed',
      bus,
      `Subscriber "${subscriptionId}" of bus "${bus}" failed on signal ${signalId}: ${describeThrown(cause, 300)}`,
      {
        subscriptionId,
        signalId,
        cause,
        details: { reason },
        retryable: cause instanceof JidoSignalError ? cause.retryable : false,
      },
    );
    this.reason = reason;
  }
}

/**
 * A middleware hook threw, rejected, returned something that is not an outcome
 * (code `'middleware_error'`), or did not settle within `middlewareTimeout`
 * (code `'timeout'`). {@link middleware} names it.
 */
export class MiddlewareError extends BusError {
  /** Name of the failing middleware. */
  readonly middleware: string;
  /** The hook that failed. */
  readonly hook: MiddlewareHook;

  constructor(
    bus: string,
    middleware: string,
    hook: MiddlewareHook,
    failure: { timeoutMs: number } | { cause: unknown },
    options: { subscriptionId?: string; signalId?: string } = {},
  ) {
    const timedOut = 'timeoutMs' in failure;
    super(
      timedOut ? 'timeout' : 'middleware_error',
      bus,
      timedOut
        ? `Middleware "${middleware}" ${hook} timed out after ${failure.timeoutMs} ms on bus "${bus}"`
        : `Middleware "${middleware}" ${hook} failed on bus "${bus}": ${describeThrown(failure.cause, 300)}`,
      {
        ...options,
        cause: timedOut ? undefined : failure.cause,
        details: { middleware, hook, ...(timedOut ? { timeoutMs: failure.timeoutMs } : {}) },
        retryable: timedOut,
      },
    );
    this.middleware = middleware;
    this.hook = hook;
  }
}

/**
 * A middleware halted: `beforePublish` → the publish rejects with this error and nothing is
 * recorded; `beforeDispatch` → that subscriber does not get that signal (reported on
 * `errors$`). Code `'halted'`.
 */
export class MiddlewareHaltError extends BusError {
  /** Name of the halting middleware. */
  readonly middleware: string;
  /** `'beforePublish'` or `'beforeDispatch'`. */
  readonly hook: MiddlewareHook;
  /** The reason the middleware gave. */
  readonly reason: unknown;

  constructor(
    bus: string,
    middleware: string,
    hook: MiddlewareHook,
    reason: unknown,
    options: { subscriptionId?: string; signalId?: string } = {},
  ) {
    super(
      'halted',
      bus,
      `Middleware "${middleware}" halted ${hook === 'beforePublish' ? 'the publish' : 'a delivery'} on bus "${bus}": ${describeThrown(reason, 300)}`,
      {
        ...options,
        details: {
          middleware,
          hook,
          reason:
            typeof reason === 'string' || typeof reason === 'number'
              ? reason
              : describeThrown(reason, 300),
        },
      },
    );
    this.middleware = middleware;
    this.hook = hook;
    this.reason = reason;
  }
}

/** One delivery a partition's rate limit dropped. */
export interface DroppedDelivery {
  /** The subscription that did not get the signal. */
  readonly subscriptionId: string;
  /** The signal it did not get. */
  readonly signalId: string;
  /** Its log position. */
  readonly logId: string;
}

/** Most dropped deliveries listed in a {@link RateLimitedError}'s `details`. */
const MAX_LISTED_DROPS = 20;

/**
 * A partition's token bucket had fewer tokens than deliveries to admit: the deliveries in
 * {@link dropped} were not made (the signals are still recorded in the log and can be
 * replayed). Code `'rate_limited'`; `subscriptionId` and `signalId` name the first drop.
 */
export class RateLimitedError extends BusError {
  /** Partition index. */
  readonly partition: number;
  /** Every dropped delivery, in order. */
  readonly dropped: readonly DroppedDelivery[];
  /** Deliveries requested in this admission. */
  readonly requested: number;
  /** Whole tokens that were available. */
  readonly available: number;

  constructor(
    bus: string,
    partition: number,
    dropped: readonly DroppedDelivery[],
    requested: number,
    available: number,
  ) {
    super(
      'rate_limited',
      bus,
      `Partition ${partition} of bus "${bus}" is rate limited: dropped ${dropped.length} of ${requested} deliveries`,
      {
        subscriptionId: dropped[0]?.subscriptionId,
        signalId: dropped[0]?.signalId,
        retryable: true,
        details: {
          partition,
          droppedCount: dropped.length,
          requested,
          available,
          dropped: dropped.slice(0, MAX_LISTED_DROPS),
        },
      },
    );
    this.partition = partition;
    this.dropped = dropped;
    this.requested = requested;
    this.available = available;
  }
}

/** No snapshot has this id on this bus. Code `'snapshot_not_found'`. */
export class SnapshotNotFoundError extends BusError {
  /** The unknown snapshot id. */
  readonly snapshotId: string;

  constructor(bus: string, snapshotId: string) {
    super('snapshot_not_found', bus, `Snapshot "${snapshotId}" does not exist on bus "${bus}"`, {
      details: { snapshotId },
    });
    this.snapshotId = snapshotId;
  }
}

/**
 * `snapshots.create({ id })` got an id that is not usable: not a string, empty, longer than
 * 128 characters, or with characters other than letters, digits, `.`, `_`, `:` and `-`
 * (first character a letter or digit). Nothing was stored. Code `'invalid_id'`.
 */
export class InvalidSnapshotIdError extends BusError {
  constructor(bus: string, got: string) {
    super(
      'invalid_id',
      bus,
      `Snapshot id ${got} is invalid on bus "${bus}": use 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
      { details: { got } },
    );
  }
}

/**
 * `snapshots.create({ id })` got the id of a snapshot this bus already has; the existing
 * one is unchanged. Delete it first to reuse the id. Code `'snapshot_exists'`.
 */
export class SnapshotExistsError extends BusError {
  /** The id already taken. */
  readonly snapshotId: string;

  constructor(bus: string, snapshotId: string) {
    super('snapshot_exists', bus, `Snapshot "${snapshotId}" already exists on bus "${bus}"`, {
      details: { snapshotId },
    });
    this.snapshotId = snapshotId;
  }
}

/** A bus with this name is already registered. Code `'bus_exists'`. */
export class BusExistsError extends BusError {
  constructor(bus: string) {
    super('bus_exists', bus, `A bus named "${bus}" is already registered`);
  }
}

/**
 * A wait (e.g. `SignalSpy.waitFor`) did not see what it waited for in time. Code `'timeout'`.
 */
export class WaitTimeoutError extends JidoSignalError {
  /** The pattern waited for. */
  readonly pattern: string;
  /** The timeout in milliseconds. */
  readonly timeoutMs: number;

  constructor(pattern: string, timeoutMs: number, what = 'signal') {
    super('timeout', `No ${what} matching "${pattern}" within ${timeoutMs} ms`, {
      details: { pattern, timeoutMs, what },
      retryable: true,
    });
    this.pattern = pattern;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A persistent delivery was not acked within the subscription's `ackTimeout`, counted from
 * hand-over (a handler still running included). It is the abort reason a timed-out
 * handler's `AbortSignal` carries and the cause of the `SubscriberError` reported for it;
 * the signal is redelivered, or dead-lettered after `maxAttempts`. Code `'timeout'`,
 * retryable.
 */
export class AckTimeoutError extends BusError {
  /** The subscription's `ackTimeout`, in ms. */
  readonly ackTimeout: number;

  constructor(bus: string, subscriptionId: string, signalId: string, ackTimeout: number) {
    super(
      'timeout',
      bus,
      `Signal ${signalId} was not acked by subscription "${subscriptionId}" of bus "${bus}" within ${ackTimeout} ms of hand-over`,
      { subscriptionId, signalId, details: { ackTimeout }, retryable: true },
    );
    this.ackTimeout = ackTimeout;
  }
}

/** How full a persistent subscription was when it refused more signals. */
export interface QueueFullDetails {
  /** Deliveries handed over and not acked yet (dispatching included). */
  readonly inFlight: number;
  /** Signals waiting for a delivery slot (never delivered, or waiting for a retry). */
  readonly pending: number;
  /** The subscription's `maxInFlight`. */
  readonly maxInFlight: number;
  /** The subscription's `maxPending`. */
  readonly maxPending: number;
  /** Signals of the refused publish (or redrive) meant for this subscription. */
  readonly requested: number;
}

/**
 * A persistent subscription with `overflow: 'reject'` has `maxInFlight` signals in flight
 * and `maxPending` waiting, so it cannot take the signals of a publish. The whole publish
 * was rejected before anything was recorded: no subscriber received any of its signals and
 * the log does not hold them. Code `'queue_full'`, retryable (acks free capacity).
 */
export class QueueFullError extends BusError {
  /** Occupancy of the subscription when it refused. */
  readonly occupancy: QueueFullDetails;

  constructor(bus: string, subscriptionId: string, occupancy: QueueFullDetails) {
    super(
      'queue_full',
      bus,
      `Persistent subscription "${subscriptionId}" of bus "${bus}" is saturated: ${occupancy.inFlight} in flight (max ${occupancy.maxInFlight}), ${occupancy.pending} pending (max ${occupancy.maxPending}); ${occupancy.requested} more refused`,
      { subscriptionId, retryable: true, details: { ...occupancy } },
    );
    this.occupancy = occupancy;
  }
}

/**
 * `ack`/`nack` named a well-formed UUIDv7 that is neither the log id nor the signal id of a
 * delivery awaiting an ack on this subscription (never delivered, already acked or
 * dead-lettered, or not this subscription's). Nothing was acked. Code `'unknown_log_id'`.
 */
export class UnknownLogIdError extends BusError {
  /** The id that did not resolve. */
  readonly id: string;

  constructor(bus: string, subscriptionId: string, id: string) {
    super(
      'unknown_log_id',
      bus,
      `Persistent subscription "${subscriptionId}" of bus "${bus}" has no delivery awaiting an ack with id "${id}"`,
      { subscriptionId, details: { id } },
    );
    this.id = id;
  }
}

/**
 * `ack`/`nack` named an id that is not a UUIDv7 and not the signal id of a delivery
 * awaiting an ack. Nothing was acked. Code `'invalid_log_id'`.
 */
export class InvalidLogIdError extends BusError {
  /** The malformed id (bounded to 100 characters). */
  readonly id: string;

  constructor(bus: string, subscriptionId: string, id: string) {
    const shown = id.length > 100 ? `${id.slice(0, 100)}…` : id;
    super(
      'invalid_log_id',
      bus,
      `Persistent subscription "${subscriptionId}" of bus "${bus}": "${shown}" is neither a log id nor the id of a delivered signal`,
      { subscriptionId, details: { id: shown } },
    );
    this.id = shown;
  }
}

/**
 * `ack` got something other than a string or a non-empty list of strings. Nothing was
 * acked. Code `'invalid_ack_argument'`.
 */
export class InvalidAckArgumentError extends BusError {
  constructor(bus: string, subscriptionId: string, got: string) {
    super(
      'invalid_ack_argument',
      bus,
      `Persistent subscription "${subscriptionId}" of bus "${bus}": ack expects an id or a non-empty list of ids, got ${got}`,
      { subscriptionId, details: { got } },
    );
  }
}

/**
 * `ack`, `nack`, `reconnect` or a DLQ operation named a subscription that is not
 * persistent. Code `'subscription_not_persistent'`.
 */
export class SubscriptionNotPersistentError extends BusError {
  /** The operation attempted. */
  readonly operation: string;

  constructor(bus: string, subscriptionId: string, operation: string) {
    super(
      'subscription_not_persistent',
      bus,
      `Subscription "${subscriptionId}" of bus "${bus}" is not persistent: cannot ${operation}`,
      { subscriptionId, details: { operation } },
    );
    this.operation = operation;
  }
}

/**
 * A publish made with `handlerErrors: 'reject'` was recorded and delivered, and at least one
 * ordinary subscriber failed on it. `failures` holds one `SubscriberError` per failed
 * delivery (its `subscriptionId`, `signalId` and `cause` — what the handler threw), in the
 * order they settled; `logIds` / `signalIds` say what was recorded, since the signals stay in
 * the log. Persistent subscriptions are not included: they retry and dead-letter on their
 * own. Never retryable: publishing again records the signals again. Code `'handlers_failed'`.
 */
export class PublishHandlersError extends BusError {
  /** Every failed delivery of the publish. */
  readonly failures: readonly SubscriberError[];
  /** Log ids of the recorded signals, in publish order. */
  readonly logIds: readonly string[];
  /** Ids of the recorded signals, in publish order. */
  readonly signalIds: readonly string[];

  constructor(
    bus: string,
    failures: readonly SubscriberError[],
    recorded: readonly { readonly logId: string; readonly signal: { readonly id: string } }[],
  ) {
    const shown = failures
      .slice(0, 5)
      .map(
        (f) =>
          `"${f.subscriptionId ?? '?'}" on ${f.signalId ?? '?'}: ${describeThrown(f.cause, 120)}`,
      )
      .join('; ');
    const more = failures.length > 5 ? `; and ${failures.length - 5} more` : '';
    super(
      'handlers_failed',
      bus,
      `${failures.length} subscriber(s) of bus "${bus}" failed on the published signals: ${shown}${more}`,
      {
        signalId: recorded[0]?.signal.id,
        details: {
          failures: failures.map((f) => ({
            subscriptionId: f.subscriptionId,
            signalId: f.signalId,
            reason: f.reason,
            message: describeThrown(f.cause, 300),
          })),
          logIds: recorded.map((e) => e.logId),
        },
      },
    );
    this.failures = failures;
    this.logIds = recorded.map((e) => e.logId);
    this.signalIds = recorded.map((e) => e.signal.id);
  }
}
