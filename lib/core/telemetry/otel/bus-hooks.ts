import type { Signal } from '../../signal/signal.js';
import { ensureMetrics } from './metrics.js';
import { metricsActive, tracingActive } from './otel-state.js';
import { tracePublish } from './publish-span.js';

export { withOpenTelemetry } from './consumer-scope.js';
export { trackBusForMetrics } from './metrics.js';
export { openTelemetryRegistered } from './otel-state.js';

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
