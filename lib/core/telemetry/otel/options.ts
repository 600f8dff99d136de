/**
 * Which parts of the OpenTelemetry instrumentation run (see {@link configureOpenTelemetry}).
 * Everything is on by default and costs nothing until a tracer or meter provider is
 * registered with `@opentelemetry/api`.
 */
export interface OpenTelemetryOptions {
  /**
   * Producer (`publish <bus>`), consumer (`process <bus>`) and HTTP/webhook client spans,
   * and `traceparent` injection into signals and outgoing requests.
   * @default true
   */
  traces?: boolean;
  /**
   * Counters, the delivery duration histogram and the gauges (DLQ depth, in-flight, open
   * circuits).
   * @default true
   */
  metrics?: boolean;
  /**
   * Most distinct values one metric attribute (bus name, subscription id, adapter) takes;
   * later values are reported as `_other`.
   * @default 100
   */
  maxAttributeValues?: number;
}

/** The resolved {@link OpenTelemetryOptions}. @internal */
export interface OtelSettings {
  traces: boolean;
  metrics: boolean;
  maxAttributeValues: number;
}

/** Process-wide settings, read on every check (a property read). @internal */
export const otelSettings: OtelSettings = { traces: true, metrics: true, maxAttributeValues: 100 };
