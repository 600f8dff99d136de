import type { Context, Link } from '@opentelemetry/api';
import { CausalityContext } from '../../journal/causality-context.js';
import { Signal } from '../../signal/signal.js';
import { MESSAGING_SYSTEM, OtelAttr } from './attributes.js';
import { otelApi } from './otel-state.js';
import { contextFromSignal, withTraceContext } from './propagation.js';
import { recordFailure, tracer } from './tracer.js';

/** Most span links a batch publish records (one per distinct incoming trace). */
const MAX_LINKS = 32;

/**
 * The parent of a publish span: the active span; else the trace the (single) signal already
 * carries; else the trace of the signal whose handler is running (automatic causality without
 * an OpenTelemetry context manager); else none (a new trace).
 */
function parentFor(list: readonly Signal[]): Context {
  const api = otelApi();
  const active = api.context.active();
  if (api.trace.getSpan(active) !== undefined) return active;
  const own = list.length === 1 ? contextFromSignal(list[0], active) : undefined;
  if (own !== undefined) return own;
  const handled = CausalityContext.current();
  return (handled === undefined ? undefined : contextFromSignal(handled, active)) ?? active;
}

function linksFor(list: readonly Signal[]): Link[] | undefined {
  if (list.length < 2) return undefined;
  const api = otelApi();
  let links: Link[] | undefined;
  const seen = new Set<string>();
  for (let i = 0; i < list.length && seen.size < MAX_LINKS; i++) {
    const ctx = contextFromSignal(list[i]);
    const sc = ctx === undefined ? undefined : api.trace.getSpanContext(ctx);
    if (sc === undefined || seen.has(sc.spanId)) continue;
    seen.add(sc.spanId);
    (links ??= []).push({ context: sc });
  }
  return links;
}

/**
 * Publish `signals` on `bus` inside a producer span `publish <bus>`: every signal carries the
 * span's context as its `traceparent` (so consumers here and on other instances continue the
 * trace), and the span ends when the publish settles — with the error recorded when it
 * rejects. Input that is not a signal (list) passes through untouched for `run` to reject.
 * @internal
 */
export function tracePublish<R>(
  bus: string,
  signals: unknown,
  run: (signals: Signal | readonly Signal[]) => Promise<R>,
): Promise<R> {
  let list: readonly Signal[];
  if (signals instanceof Signal) list = [signals];
  else if (
    Array.isArray(signals) &&
    signals.length > 0 &&
    (signals as unknown[]).every((s) => s instanceof Signal)
  ) {
    list = signals as readonly Signal[];
  } else {
    return run(signals as Signal);
  }
  const api = otelApi();
  const first = list[0];
  const span = tracer().startSpan(
    `publish ${bus}`,
    {
      kind: api.SpanKind.PRODUCER,
      attributes: {
        [OtelAttr.System]: MESSAGING_SYSTEM,
        [OtelAttr.OperationType]: 'send',
        [OtelAttr.OperationName]: 'publish',
        [OtelAttr.DestinationName]: bus,
        ...(list.length === 1
          ? { [OtelAttr.MessageId]: first.id, [OtelAttr.SignalType]: first.type }
          : { [OtelAttr.BatchCount]: list.length }),
      },
      links: linksFor(list),
    },
    parentFor(list),
  );
  const sc = span.spanContext();
  const traced = list.map((s) => withTraceContext(s, sc));
  let pending: Promise<R>;
  try {
    pending = run(signals instanceof Signal ? traced[0] : traced);
  } catch (error) {
    recordFailure(span, error);
    span.end();
    throw error;
  }
  return pending.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      recordFailure(span, error);
      span.end();
      throw error;
    },
  );
}
