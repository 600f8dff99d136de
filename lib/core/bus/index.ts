export {
  SignalBus,
  type SignalBusOptions,
  type ReplayOptions,
  type StreamOptions,
  type CloseOptions,
  type HandlerErrorMode,
  type PublishOptions,
  type UnsubscribeOptions,
  type BusStats,
} from './signal-bus.js';
export type {
  SignalHandler,
  SubscriptionDispatch,
  SubscribeOptions,
  SubscriptionKind,
  SubscriptionInfo,
  SubscriptionStats,
} from './subscription.js';
export type {
  BusMiddleware,
  PublishContext,
  DispatchContext,
  PublishDecision,
  DispatchDecision,
  DeliveryResult,
  MaybePromise,
} from './middleware.interface.js';
export {
  LoggingMiddleware,
  consoleBusLogger,
  type BusLogger,
  type BusLogLevel,
  type LoggingMiddlewareOptions,
} from './logging.middleware.js';
export {
  BusSnapshots,
  type Snapshot,
  type SnapshotOptions,
  type SnapshotRef,
} from './snapshots.js';
export { TokenBucket, partitionOf } from './token-bucket.js';
export type { PartitionStats } from './partition.js';
export {
  AsyncLocalDeliveryScope,
  type DeliveryScope,
  type HandledSignal,
} from './delivery-scope.js';
export { SignalBusRegistry } from './bus-registry.js';
export {
  type NackOptions,
  type ReconnectResult,
  type RedriveResult,
  type PersistentStats,
} from './persistent/engine.js';
export {
  compileBackoff,
  DEFAULT_BACKOFF,
  type BackoffOptions,
  type BackoffFunction,
  type ExponentialBackoff,
  type FixedBackoff,
} from './persistent/backoff.js';
export { BusDlq, type DlqListOptions, type DlqRedriveOptions } from './dlq.js';
export type { SubscriptionBatchOptions } from './batched-target.js';
export type {
  MiddlewareCallMessage,
  MiddlewareStopMessage,
  MiddlewareSkipMessage,
  MiddlewareExceptionMessage,
} from './middleware-telemetry.js';
export {
  type BusPublishTelemetryMessage,
  type BusDeliveryTelemetryFields,
  type BusDispatchTelemetryMessage,
  type BusSkipTelemetryMessage,
  type BusErrorTelemetryMessage,
  type BusRateLimitedTelemetryMessage,
  type BusLogTruncatedTelemetryMessage,
} from './bus-telemetry.js';
export {
  type PersistentSubscribeOptions,
  type StartFrom,
  type OverflowPolicy,
  type DlqOverflowPolicy,
} from './persistent/options.js';
export {
  type PersistentDeliverMessage,
  type PersistentAckMessage,
  type PersistentNackMessage,
  type PersistentRetryMessage,
  type PersistentBackpressureMessage,
  type PersistentDeadLetterMessage,
  type PersistentRedriveMessage,
} from './persistent/telemetry.js';
