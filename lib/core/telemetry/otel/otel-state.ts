import type * as Api from '@opentelemetry/api';
import { loadOptionalPeer } from '../../signal/optional-peer.js';
import { otelSettings } from './options.js';

/**
 * The key under which every copy of `@opentelemetry/api` 1.x keeps its registered globals
 * (tracer provider under `trace`, meter provider under `metrics`). Reading it tells whether a
 * provider is registered without loading the API: a symbol lookup, so the instrumentation
 * costs nothing when the API is absent or unused, and notices providers registered late.
 */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

// Reading a property the global object lacks is a slow lookup (~20 ns); reading one it has is
// ~1 ns. So, while nothing is registered, give the key an empty, writable, non-enumerable slot:
// the API only ever reads it and assigns it (`g[key] = g[key] ?? { version }`), which works on
// the slot exactly as on a missing property.
if (Object.getOwnPropertyDescriptor(globalThis, GLOBAL_KEY) === undefined) {
  Object.defineProperty(globalThis, GLOBAL_KEY, {
    value: undefined,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

interface OtelGlobals {
  readonly trace?: unknown;
  readonly metrics?: unknown;
}

function globals(): OtelGlobals | undefined {
  return (globalThis as { [GLOBAL_KEY]?: OtelGlobals })[GLOBAL_KEY];
}

/**
 * Whether a tracer or meter provider is registered with `@opentelemetry/api` — the one check
 * a publish or delivery pays while OpenTelemetry is absent or unused (a symbol lookup on
 * `globalThis`; a registered context manager or propagator alone does not count).
 * @internal
 */
export function openTelemetryRegistered(): boolean {
  const g = globals();
  return g !== undefined && (g.trace !== undefined || g.metrics !== undefined);
}

/** A tracer provider is registered and traces are enabled. @internal */
export function tracingActive(): boolean {
  const g = globals();
  return g !== undefined && g.trace !== undefined && otelSettings.traces;
}

/** A meter provider is registered and metrics are enabled. @internal */
export function metricsActive(): boolean {
  const g = globals();
  return g !== undefined && g.metrics !== undefined && otelSettings.metrics;
}

/** The registered tracer provider's global entry (identity changes on re-registration). @internal */
export function traceGlobal(): unknown {
  return globals()?.trace;
}

/** The registered meter provider's global entry. @internal */
export function metricsGlobal(): unknown {
  return globals()?.metrics;
}

/**
 * `@opentelemetry/api`, loaded on first use — only ever after a provider was registered,
 * which means the API is installed.
 * @internal
 */
export function otelApi(): typeof Api {
  return loadOptionalPeer<typeof Api>('@opentelemetry/api', 'OpenTelemetry instrumentation');
}
