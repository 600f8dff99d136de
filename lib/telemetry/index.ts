/**
 * `nestjs-jido-signal/telemetry`: the `node:diagnostics_channel` channel names and the types
 * of their messages, and the OpenTelemetry switches, attribute and metric names
 * (docs/observability.md). Nothing here loads `@opentelemetry/api`.
 * @packageDocumentation
 */
export { TelemetryChannel, type TelemetryChannelName } from '../core/telemetry/channels.js';
export type {
  RouterGuardErrorMessage,
  RouterRoutedMessage,
} from '../core/router/route.interface.js';
export type {
  DispatchTelemetryMessage,
  ReceiverErrorTelemetryMessage,
} from '../core/dispatch/dispatch-telemetry.js';
export type { DispatchRetryMessage } from '../core/dispatch/adapters/http-transport.js';
export type { CircuitTelemetryMessage } from '../core/dispatch/circuit-breaker.js';
export type {
  BusPublishTelemetryMessage,
  BusDeliveryTelemetryFields,
  BusDispatchTelemetryMessage,
  BusSkipTelemetryMessage,
  BusErrorTelemetryMessage,
  BusRateLimitedTelemetryMessage,
  BusLogTruncatedTelemetryMessage,
} from '../core/bus/bus-telemetry.js';
export type {
  PersistentDeliverMessage,
  PersistentAckMessage,
  PersistentNackMessage,
  PersistentRetryMessage,
  PersistentBackpressureMessage,
  PersistentDeadLetterMessage,
  PersistentRedriveMessage,
} from '../core/bus/persistent/telemetry.js';
export type {
  MiddlewareCallMessage,
  MiddlewareStopMessage,
  MiddlewareSkipMessage,
  MiddlewareExceptionMessage,
} from '../core/bus/middleware-telemetry.js';
export type {} from '../core/journal/signal-journal.js';
export type {
  JournalFlushMessage,
  JournalRecoveryReport,
} from '../core/journal/file-journal.types.js';
export type { OpenTelemetryOptions } from '../core/telemetry/otel/options.js';
export { configureOpenTelemetry } from '../core/telemetry/otel/options.js';
export { OtelAttr, OtelMetric, MESSAGING_SYSTEM } from '../core/telemetry/otel/attributes.js';
export {
  type JournalRecordMessage,
  type JournalRecordErrorMessage,
} from '../core/journal/signal-journal.types.js';
