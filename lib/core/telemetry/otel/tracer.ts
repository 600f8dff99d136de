import type { Span, Tracer } from '@opentelemetry/api';
import { describeThrown, isJidoSignalError } from '../../errors/jido-signal.error.js';
import { INSTRUMENTATION_SCOPE, OtelAttr } from './attributes.js';
import { otelApi, traceGlobal } from './otel-state.js';

let cachedFor: unknown;
let cachedTracer: Tracer | undefined;

/**
 * The library's tracer from the registered provider. Cached per registration: a provider
 * registered again (tests, `trace.disable()`) gets a fresh tracer.
 * @internal
 */
export function tracer(): Tracer {
  const g = traceGlobal();
  if (cachedTracer === undefined || g !== cachedFor) {
    cachedTracer = otelApi().trace.getTracer(INSTRUMENTATION_SCOPE);
    cachedFor = g;
  }
  return cachedTracer;
}

/** The stable code of an error (`error.type`): its `code`, else its class name. @internal */
export function errorType(error: unknown): string {
  if (isJidoSignalError(error)) return error.code;
  if (error instanceof Error) return error.name;
  return 'unknown';
}

/**
 * Record a failure on a span: `recordException`, status `ERROR` and `error.type`. The library's
 * errors keep secrets out of their messages (URLs without query or credentials, no headers).
 * @internal
 */
export function recordFailure(span: Span, error: unknown): void {
  const type = errorType(error);
  const message = describeThrown(error);
  span.recordException(error instanceof Error ? error : { name: type, message });
  span.setAttribute(OtelAttr.ErrorType, type);
  span.setStatus({ code: otelApi().SpanStatusCode.ERROR, message });
}
