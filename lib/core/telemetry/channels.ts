/**
 * Names of the `node:diagnostics_channel` channels the library publishes on. Subscribe with
 * `diagnostics_channel.subscribe(TelemetryChannel.DispatchError, fn)`. Publishing costs a
 * few nanoseconds when nobody listens.
 */
export const TelemetryChannel = {
  /** A router guard threw; its route was excluded. Message: `{ routeId, pattern, type, error }`. */
  RouterGuardError: 'jido.signal.router.guard_error',
  /** A routing call finished. Message: `{ type, matched, cached }`. */
  RouterRouted: 'jido.signal.router.routed',

  /**
   * A single-target delivery started.
   * Message: `DispatchTelemetryMessage` `{ adapter, target, signalId, signalType, fallback }`.
   */
  DispatchStart: 'jido.dispatch.start',
  /** A single-target delivery succeeded. Message: start fields + `{ durationMs, outcome: 'ok' }`. */
  DispatchEnd: 'jido.dispatch.end',
  /**
   * A single-target delivery failed. Message: start fields +
   * `{ durationMs, outcome: 'error', errorCode, retryable, error }`.
   */
  DispatchError: 'jido.dispatch.error',
  /**
   * A fire-and-forget receiver (pid/named `deliveryMode: 'async'`, in-process pubsub
   * subscriber) failed after its dispatch had already succeeded. Message:
   * `{ adapter, target, signalId, signalType, errorCode, error }`.
   */
  DispatchReceiverError: 'jido.dispatch.receiver_error',
  /**
   * A delivery is retried after a failure (`http`/`webhook` adapters). Message:
   * `DispatchRetryMessage` `{ adapter, target, signalId, signalType, attempt, maxAttempts,
   * delayMs, error: { code, status? } }`.
   */
  DispatchRetry: 'jido.dispatch.retry',
  /**
   * A circuit opened. Message: `CircuitTelemetryMessage`
   * `{ adapter, key, state: 'open', failures, error? }` (`error` = code, never a message).
   */
  CircuitOpen: 'jido.dispatch.circuit.open',
  /** A circuit went half-open (probing). Message: `{ adapter, key, state: 'half_open' }`. */
  CircuitHalfOpen: 'jido.dispatch.circuit.half_open',
  /** A circuit closed again (probe succeeded or reset). Message: `{ adapter, key, state: 'closed' }`. */
  CircuitClose: 'jido.dispatch.circuit.close',
  /** A call was rejected because its circuit is open. Message: `{ adapter, key, state }`. */
  CircuitRejected: 'jido.dispatch.circuit.rejected',
  /**
   * A call through a circuit failed and the failure was counted (jido_signal's `melt`).
   * Message: `CircuitFailureMessage` `{ adapter, key, state, failures, error }` (`state` after
   * the failure, `failures` in the window, `error` = code, never a message).
   */
  CircuitFailure: 'jido.dispatch.circuit.failure',

  /**
   * A bus recorded a publish (after `beforePublish`, before delivery).
   * Message: `BusPublishTelemetryMessage` `{ bus, count, entries, partitioned }`.
   */
  BusPublish: 'jido.signal.bus.publish',
  /**
   * A bus delivery to one subscription finished.
   * Message: `BusDispatchTelemetryMessage` `{ bus, subscriptionId, pattern, partition, signal,
   * logId, durationMs, outcome: 'ok' | 'error', errorCode?, error? }`.
   */
  BusDispatch: 'jido.signal.bus.dispatch',
  /**
   * `beforeDispatch` middleware skipped a delivery.
   * Message: `BusSkipTelemetryMessage` `{ bus, subscriptionId, pattern, partition, signal, logId, middleware, reason }`.
   */
  BusDispatchSkipped: 'jido.signal.bus.dispatch_skipped',
  /**
   * A middleware hook call started. Message: `MiddlewareCallMessage` `{ bus, middleware, hook,
   * signalCount, signalId, subscriptionId }` (`signalCount` for the publish hooks, the ids for
   * the dispatch hooks).
   */
  MiddlewareStart: 'jido.signal.middleware.start',
  /**
   * A middleware hook call finished with `continue` or `halt`. Message:
   * `MiddlewareStopMessage` = start fields + `{ durationMs, outcome: 'continue' | 'halt' }`.
   */
  MiddlewareStop: 'jido.signal.middleware.stop',
  /**
   * A `beforeDispatch` call skipped the delivery. Message: `MiddlewareSkipMessage` = start
   * fields + `{ durationMs, reason }`.
   */
  MiddlewareSkip: 'jido.signal.middleware.skip',
  /**
   * A middleware hook call threw, rejected, returned an invalid outcome or timed out — for
   * `beforePublish` before anything was recorded (the publish then rejects with the same
   * error). Message: `MiddlewareExceptionMessage` = start fields + `{ durationMs, timedOut,
   * error }` (a `MiddlewareError`).
   */
  MiddlewareException: 'jido.signal.middleware.exception',
  /**
   * A bus reported an error that no caller sees directly (failing subscriber, middleware
   * failure or halt, rate limit, retention failure) — the same values as `bus.errors$`.
   * Message: `BusErrorTelemetryMessage` `{ bus, code, error, subscriptionId?, signalId? }`.
   */
  BusError: 'jido.signal.bus.error',
  /**
   * A partition's token bucket dropped deliveries.
   * Message: `BusRateLimitedTelemetryMessage` `{ bus, partition, dropped, requested, available }`.
   */
  BusRateLimited: 'jido.signal.bus.rate_limited',
  /**
   * Log retention removed entries (`maxLogSize` after a publish, or the `logTtl` sweep).
   * Message: `BusLogTruncatedTelemetryMessage` `{ bus, reason: 'max_size' | 'ttl', removed, newSize, ttlMs? }`.
   */
  BusLogTruncated: 'jido.signal.bus.log_truncated',

  /**
   * A persistent subscription handed a signal to its receiver (first delivery or redelivery).
   * Message: `PersistentDeliverMessage` `{ bus, subscriptionId, signal, logId, attempt }`.
   */
  SubscriptionDeliver: 'jido.signal.subscription.deliver',
  /**
   * A persistent subscription acked deliveries (explicitly or by `autoAck`).
   * Message: `PersistentAckMessage` `{ bus, subscriptionId, count, checkpoint }`.
   */
  SubscriptionAck: 'jido.signal.subscription.ack',
  /**
   * A delivery was nacked. Message: `PersistentNackMessage`
   * `{ bus, subscriptionId, signalId, logId, requeue, delayMs }`.
   */
  SubscriptionNack: 'jido.signal.subscription.nack',
  /**
   * A failed delivery (dispatch error, nack, ack timeout) is scheduled again. Message:
   * `PersistentRetryMessage` `{ bus, subscriptionId, signalId, logId, attempt, delayMs, reason }`.
   */
  SubscriptionRetry: 'jido.signal.subscription.retry',
  /**
   * A persistent subscription was full when signals arrived (`queue_full` or overflow
   * dead-lettering). Message: `PersistentBackpressureMessage`
   * `{ bus, subscriptionId, inFlight, pending, requested, overflow }`.
   */
  SubscriptionBackpressure: 'jido.signal.subscription.backpressure',
  /**
   * A signal was dead-lettered. Message: `PersistentDeadLetterMessage`
   * `{ bus, subscriptionId, signalId, logId, dlqId, attempts, reason }`.
   */
  SubscriptionDeadLetter: 'jido.signal.subscription.dlq',
  /**
   * `bus.dlq.redrive` sent DLQ entries back through their subscription.
   * Message: `PersistentRedriveMessage` `{ bus, subscriptionId, redriven, failed }`.
   */
  BusDlqRedrive: 'jido.signal.bus.dlq.redrive',

  /**
   * A journal recorded a signal (or accepted an identical re-record).
   * Message: `JournalRecordMessage` `{ journal, signalId, signalType, causeId, conversationId, duplicate }`.
   */
  JournalRecord: 'jido.signal.journal.record',
  /**
   * A journal rejected a signal (rule violation or I/O failure).
   * Message: `JournalRecordErrorMessage` `{ journal, signalId, signalType, causeId, errorCode, error }`.
   */
  JournalRecordError: 'jido.signal.journal.record_error',
  /**
   * A file journal wrote one group-commit batch.
   * Message: `JournalFlushMessage` `{ journal, directory, segment, records, bytes, synced, durationMs }`.
   */
  JournalFlush: 'jido.signal.journal.flush',
  /**
   * A file journal dropped a torn or corrupt tail when it was opened.
   * Message: `JournalRecoveryReport` `{ journal, directory, segment, offset, droppedBytes, reason, … }`.
   */
  JournalRecovery: 'jido.signal.journal.recovery',
} as const;

/** One of the channel names in {@link TelemetryChannel}. */
export type TelemetryChannelName = (typeof TelemetryChannel)[keyof typeof TelemetryChannel];
