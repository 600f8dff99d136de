import type { Signal } from '../../signal/signal.js';
import { ensureMetrics } from './metrics.js';
import { metricsActive, tracingActive } from './otel-state.js';
import { tracePublish } from './publish-span.js';

export { withOpenTelemetry } from './consumer-scope.js';
export { trackBusForMetrics } from './metrics.js';

const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/**
 * Whether a tracer or meter provider is registered with `@opentelemetry/api` — the one check
 * a publish pays while OpenTelemetry is absent or unused (a symbol lookup on `globalThis`; a
 * registered context manager or propagator alone does not count).
 * @internal
 */
export function openTelemetryRegistered(): boolean {
  const g = (globalThis as { [GLOBAL_KEY]?: { trace?: unknown; metrics?: unknown } })[GLOBAL_KEY];
  return g !== undefined && (g.trace !== undefined || g.metrics !== undefined);
}

/**
 * A publish with OpenTelemetry registered: metrics instruments ready before the signals are
 * recorded, and a producer span around it when tracing is on.
 * @internal
 */
export function observedPublish<R>(
  bus: string,
  signals: unknown,
  run: (signals: Signal | readonly Signal[]) => Promise<R>,
): Promise<R> {
  if (metricsActive()) ensureMetrics();
  if (tracingActive()) return tracePublish(bus, signals, run);
  return run(signals as Signal);
}
