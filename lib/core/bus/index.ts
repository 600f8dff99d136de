export {
  SignalBus,
  type SignalBusOptions,
  type ReplayOptions,
  type StreamOptions,
  type CloseOptions,
  type BusStats,
  type BusPublishTelemetryMessage,
  type BusDispatchTelemetryMessage,
  type BusSkipTelemetryMessage,
  type BusErrorTelemetryMessage,
  type BusRateLimitedTelemetryMessage,
  type BusLogTruncatedTelemetryMessage,
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
