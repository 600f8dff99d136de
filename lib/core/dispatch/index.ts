export * from './adapter.interface.js';
export {
  DeliveryController,
  type DeliveryAbortListener,
  type DeliveryControllerOptions,
} from './delivery-controller.js';
export * from './adapter-registry.js';
export * from './dispatcher.js';
export * from './dispatcher-options.js';
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
export * from './sanitize.js';
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
export * from './receiver-registry.js';
export * from './pubsub.js';
export * from './bus-registry.interface.js';
export * from './adapters/index.js';
export {
  DEFAULT_RECEIVER_TIMEOUT,
  PidAdapter,
  type PidDispatchOptions,
  type ReceiverDeliveryOptions,
} from './adapters/pid.adapter.js';
export * from './adapters/named.adapter.js';
export * from './adapters/pubsub.adapter.js';
export * from './adapters/bus.adapter.js';
export * from './adapters/logger.adapter.js';
export * from './adapters/console.adapter.js';
export * from './adapters/noop.adapter.js';
export { HttpAdapter } from './adapters/http.adapter.js';
export { BODY_EXCERPT_BYTES } from './adapters/http-attempt.js';
export { isHttpCircuitFailure } from './adapters/http-failures.js';
export type { DispatchRetryMessage } from './adapters/http-transport.js';
export type {
  HttpAdapterOptions,
  HttpContentMode,
  HttpDispatchOptions,
  HttpHeadersInit,
  HttpMethod,
  HttpOptions,
} from './adapters/http-options.js';
export { WebhookAdapter } from './adapters/webhook.adapter.js';
export type {
  WebhookDispatchOptions,
  WebhookEndpoint,
  WebhookOptions,
} from './adapters/webhook-options.js';
export type {
  HttpTlsOptions,
  PemInput,
  ResolvedTls,
  TlsConnectOptions,
  TlsSummary,
} from './adapters/tls.js';
export * from './circuit-breaker.js';
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
export * from './webhook-signature.js';
