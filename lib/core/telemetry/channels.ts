/**
 * Names of the `node:diagnostics_channel` channels the library publishes on. Subscribe with
 * `diagnostics_channel.subscribe(TelemetryChannel.DispatchError, fn)`. Publishing costs a
 * few nanoseconds when nobody listens.
 */
export const TelemetryChannel = {
  /** A router guard threw; its route was excluded. Message: `{ routeId, pattern, type, error }`. */
  RouterGuardError: 'jido.signal.router.guard_error',
  /** A routing call finished. Message: `{ type, matched, cached }`. */
  RouterRouted: 'jido.signal.router.routed',

  /** A single-target delivery started. */
  DispatchStart: 'jido.dispatch.start',
  /** A single-target delivery succeeded. */
  DispatchEnd: 'jido.dispatch.end',
  /** A single-target delivery failed. */
  DispatchError: 'jido.dispatch.error',
  /** A delivery is retried after a failure. */
  DispatchRetry: 'jido.dispatch.retry',
  /** A circuit opened. */
  CircuitOpen: 'jido.dispatch.circuit.open',
  /** A circuit went half-open (probing). */
  CircuitHalfOpen: 'jido.dispatch.circuit.half_open',
  /** A circuit closed again. */
  CircuitClose: 'jido.dispatch.circuit.close',
  /** A call was rejected because its circuit is open. */
  CircuitRejected: 'jido.dispatch.circuit.rejected',
} as const;

/** One of the channel names in {@link TelemetryChannel}. */
export type TelemetryChannelName = (typeof TelemetryChannel)[keyof typeof TelemetryChannel];
