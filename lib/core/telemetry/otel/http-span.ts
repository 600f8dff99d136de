import { HttpStatusError } from '../../errors/dispatch.error.js';
import type { Signal } from '../../signal/signal.js';
import { OtelAttr } from './attributes.js';
import { otelApi } from './otel-state.js';
import { contextFromSignal, traceHeaders } from './propagation.js';
import { recordFailure, tracer } from './tracer.js';

/** What an HTTP/webhook delivery tells its client span. @internal */
export interface TracedRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Secret-free `scheme://host[:port]/path` (no query, no credentials). */
  readonly target: string;
  /** Headers the request would carry. */
  readonly headers: Readonly<Record<string, string>>;
  /** The signal delivered. */
  readonly signal: Signal;
}

function server(target: string): Record<string, string | number> {
  try {
    const url = new URL(target);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { [OtelAttr.ServerAddress]: url.hostname, [OtelAttr.ServerPort]: port };
  } catch {
    return {};
  }
}

/**
 * Run an HTTP/webhook delivery (all its attempts) inside a client span `<METHOD>` whose
 * context goes out in the request's `traceparent`/`tracestate` headers (and whatever the
 * registered propagator adds). `send` gets the headers to use. The span's parent is the
 * active span, else the trace the signal carries. Only the secret-free target is recorded.
 * @internal
 */
export function traceHttpSend(
  adapter: string,
  req: TracedRequest,
  send: (headers: Record<string, string>) => Promise<void>,
): Promise<void> {
  const api = otelApi();
  const active = api.context.active();
  const parent =
    api.trace.getSpan(active) !== undefined
      ? active
      : (contextFromSignal(req.signal, active) ?? active);
  const span = tracer().startSpan(
    req.method,
    {
      kind: api.SpanKind.CLIENT,
      attributes: {
        [OtelAttr.HttpMethod]: req.method,
        [OtelAttr.UrlFull]: req.target,
        ...server(req.target),
        [OtelAttr.Adapter]: adapter,
        [OtelAttr.MessageId]: req.signal.id,
      },
    },
    parent,
  );
  const ctx = api.trace.setSpan(parent, span);
  let pending: Promise<void>;
  try {
    pending = api.context.with(ctx, () => send(traceHeaders(req.headers, ctx, span.spanContext())));
  } catch (error) {
    recordFailure(span, error);
    span.end();
    throw error;
  }
  return pending.then(
    () => {
      span.end();
    },
    (error: unknown) => {
      if (error instanceof HttpStatusError) span.setAttribute(OtelAttr.HttpStatus, error.status);
      recordFailure(span, error);
      span.end();
      throw error;
    },
  );
}
