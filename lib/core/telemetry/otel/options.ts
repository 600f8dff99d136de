import { ValidationError } from '../../errors/validation.error.js';

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

function optionError(field: string, message: string): ValidationError {
  return new ValidationError('invalid_option', field, `OpenTelemetry option "${field}" ${message}`);
}

/**
 * Turn parts of the OpenTelemetry instrumentation on or off for the whole process (the Nest
 * module calls it with `forRoot({ telemetry })`). Options left out keep their current value.
 * @throws ValidationError (`invalid_option`) for a non-boolean switch or a `maxAttributeValues` that is not a
 *   positive integer
 * @example
 * configureOpenTelemetry({ metrics: false }); // spans only
 */
export function configureOpenTelemetry(options: OpenTelemetryOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw optionError('telemetry', 'must be an object');
  }
  for (const key of ['traces', 'metrics'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw optionError(`telemetry.${key}`, `must be a boolean, got ${typeof value}`);
    }
  }
  const max = options.maxAttributeValues;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw optionError(
      'telemetry.maxAttributeValues',
      `must be a positive integer, got ${String(max)}`,
    );
  }
  if (options.traces !== undefined) otelSettings.traces = options.traces;
  if (options.metrics !== undefined) otelSettings.metrics = options.metrics;
  if (max !== undefined) otelSettings.maxAttributeValues = max;
}
