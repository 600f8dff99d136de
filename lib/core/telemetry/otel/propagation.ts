import type { Context, SpanContext } from '@opentelemetry/api';
import type { Signal } from '../../signal/signal.js';
import { parseTraceparent } from '../../signal/trace-context.js';
import { otelApi } from './otel-state.js';

/**
 * The trace context a signal carries in its CloudEvents distributed-tracing extension
 * (`traceparent`, `tracestate`), as a remote parent in `base`; `undefined` when the signal
 * carries none (or an invalid one).
 * @internal
 */
export function contextFromSignal(signal: Signal, base?: Context): Context | undefined {
  const ext = signal.extensions;
  const tp = parseTraceparent(ext.traceparent);
  if (tp === undefined) return undefined;
  const api = otelApi();
  const state = ext.tracestate;
  const spanContext: SpanContext = {
    traceId: tp.traceId,
    spanId: tp.spanId,
    traceFlags: parseInt(tp.flags, 16) & 0xff,
    isRemote: true,
    ...(typeof state === 'string' && state.length > 0
      ? { traceState: api.createTraceState(state) }
      : {}),
  };
  return api.trace.setSpanContext(base ?? api.ROOT_CONTEXT, spanContext);
}

/** The W3C `traceparent` value of a span context. @internal */
export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * `signal` carrying `sc` as its trace context (`traceparent`, and `tracestate` when the
 * span context has one). Returns `signal` itself when it already carries exactly that.
 * @internal
 */
export function withTraceContext(signal: Signal, sc: SpanContext): Signal {
  const traceparent = traceparentOf(sc);
  const tracestate = sc.traceState?.serialize();
  const ext = signal.extensions;
  if (ext.traceparent === traceparent && (tracestate ?? undefined) === ext.tracestate) {
    return signal;
  }
  const extensions: Record<string, unknown> = { ...ext, traceparent };
  if (tracestate !== undefined && tracestate.length > 0) extensions.tracestate = tracestate;
  else delete extensions.tracestate;
  return signal.with({ extensions });
}

/**
 * Request headers carrying the span context of `ctx`: the W3C `traceparent` (and
 * `tracestate`) always, plus whatever the globally registered propagator writes (B3, baggage…).
 * @internal
 */
export function traceHeaders(
  headers: Readonly<Record<string, string>>,
  ctx: Context,
  sc: SpanContext,
): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  otelApi().propagation.inject(ctx, out);
  out.traceparent = traceparentOf(sc);
  const state = sc.traceState?.serialize();
  if (state !== undefined && state.length > 0) out.tracestate = state;
  return out;
}
