export type {
  AdapterHealth,
  BatchDeliveryOutcome,
  DeliveryContext,
  DeliveryFailure,
  DispatchAdapter,
  DispatchAdapterClass,
  DispatchConfig,
  UnnamedDispatchAdapter,
} from './adapter.interface.js';
export {
  DeliveryController,
  type DeliveryAbortListener,
  type DeliveryControllerOptions,
} from './delivery-controller.js';
export {
  AdapterRegistry,
  DEFAULT_ADAPTER_NAME,
  type AdapterReference,
} from './adapter-registry.js';
export { Dispatcher } from './dispatcher.js';
export {
  DEFAULT_DISPATCH_BATCH_SIZE,
  type DispatchManyOptions,
  type DispatchManyResult,
  type SignalDispatchFailure,
} from './batching/dispatch-many.js';
export type {
  DispatchTelemetryMessage,
  ReceiverErrorTelemetryMessage,
} from './dispatch-telemetry.js';
export {
  isSensitiveKey,
  normalizeKey,
  preview,
  REDACTED,
  sanitize,
  SENSITIVE_KEYS,
  type SanitizeOptions,
} from './sanitize.js';
export {
  isReceiverAlive,
  receiverKind,
  watchReceiver,
  type DeliveryMode,
  type NormalizedReceiverOptions,
  type ReceiverKind,
  type SignalHandlerFunction,
  type SignalHandlerObject,
  type SignalObserver,
  type SignalPort,
  type SignalReceiver,
} from './receiver.js';
export { ReceiverRegistry, type ReceiverResolver } from './receiver-registry.js';
// not exported (@internal): callPubSubHandlers, reportPubSubError
export {
  DEFAULT_PUBSUB_NAME,
  InProcessPubSub,
  type InProcessPubSubOptions,
  type PubSub,
  type PubSubHandler,
  type PubSubRegistry,
} from './pubsub.js';
export type { BusRegistry, PublishableBus } from './bus-registry.interface.js';
export { createBuiltInAdapters, type BuiltInAdapterDependencies } from './adapters/index.js';
export {
  DEFAULT_RECEIVER_TIMEOUT,
  PidAdapter,
  type PidDispatchOptions,
  type ReceiverDeliveryOptions,
} from './adapters/pid.adapter.js';
export {
  NamedAdapter,
  type NamedDispatchOptions,
  type NormalizedNamedOptions,
} from './adapters/named.adapter.js';
export {
  createDefaultPubSubRegistry,
  PubSubAdapter,
  type NormalizedPubSubOptions,
  type PubSubDispatchOptions,
} from './adapters/pubsub.adapter.js';
export {
  BusAdapter,
  type BusDispatchOptions,
  type NormalizedBusOptions,
} from './adapters/bus.adapter.js';
export {
  consoleLogger,
  LoggerAdapter,
  type DispatchLogger,
  type DispatchLogLevel,
  type LoggerDispatchOptions,
  type NormalizedLoggerOptions,
} from './adapters/logger.adapter.js';
export {
  ConsoleAdapter,
  type ConsoleDispatchOptions,
  type ConsoleFormat,
  type ConsoleStreams,
  type NormalizedConsoleOptions,
  type TextSink,
} from './adapters/console.adapter.js';
export { NoopAdapter } from './adapters/noop.adapter.js';
export { HttpAdapter } from './adapters/http.adapter.js';
export type { HttpTransportAdapter } from './adapters/http-transport-adapter.js';
export { WebhookAdapter } from './adapters/webhook.adapter.js';
export type { HttpTlsOptions, PemInput, ResolvedTls, TlsSummary } from './adapters/tls.js';
export {
  CircuitBreaker,
  DEFAULT_CIRCUIT_BREAKER_SETTINGS,
  resolveCircuitBreakerSettings,
  WindowBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerSettings,
  type CircuitSnapshot,
  type CircuitStateName,
  type CircuitTelemetryMessage,
  type ResolvedCircuitBreakerSettings,
} from './circuit-breaker.js';
export {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  parseRetryAfter,
  type RetryOptions,
  type RetryPolicy,
} from './retry.js';
export {
  describeTargetUrl,
  describeUrl,
  isSensitiveHeader,
  isValidHeaderName,
  isValidHeaderValue,
  parseHttpUrl,
  redactHeaders,
} from './url.js';
export {
  decodeWebhookSecret,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  JIDO_WEBHOOK_HEADERS,
  jidoWebhookSignature,
  signWebhook,
  STANDARD_WEBHOOK_HEADERS,
  standardWebhookSignature,
  verifyWebhook,
  webhookKey,
  type SignWebhookOptions,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  type WebhookHeaders,
  type WebhookSignatureScheme,
} from './webhook-signature.js';
export {
  FAILURE_EXTENSIONS,
  type DispatchBatchOptions,
  type DispatchBatchResult,
  type DispatchCallOptions,
  type DispatcherOptions,
  type DispatchHandle,
  type DispatchHealth,
  type ValidatedDispatchConfig,
} from './dispatcher-options.js';
export { BODY_EXCERPT_BYTES } from './adapters/http-attempt.js';
export { isHttpCircuitFailure } from './adapters/http-failures.js';
export { type DispatchRetryMessage } from './adapters/http-transport.js';
export {
  type HttpAdapterOptions,
  type HttpContentMode,
  type HttpDispatchOptions,
  type HttpHeadersInit,
  type HttpMethod,
  type HttpOptions,
} from './adapters/http-options.js';
export {
  type WebhookDispatchOptions,
  type WebhookEndpoint,
  type WebhookOptions,
} from './adapters/webhook-options.js';
