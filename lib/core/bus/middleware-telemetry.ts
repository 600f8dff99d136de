import type { BusError, MiddlewareHook } from '../errors/bus.error.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { telemetryChannel } from '../telemetry/telemetry.js';

/** Message on {@link TelemetryChannel.MiddlewareStart}. */
export interface MiddlewareCallMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** Name of the middleware. */
  readonly middleware: string;
  /** The hook called. */
  readonly hook: MiddlewareHook;
  /** Signals passed (publish hooks); `undefined` for the dispatch hooks. */
  readonly signalCount: number | undefined;
  /** The signal (dispatch hooks). */
  readonly signalId: string | undefined;
  /** The subscription (dispatch hooks). */
  readonly subscriptionId: string | undefined;
}

/** Message on {@link TelemetryChannel.MiddlewareStop}. */
export interface MiddlewareStopMessage extends MiddlewareCallMessage {
  /** Milliseconds the call took (its promise included). */
  readonly durationMs: number;
  /** What the middleware decided. */
  readonly outcome: 'continue' | 'halt';
}

/** Message on {@link TelemetryChannel.MiddlewareSkip}. */
export interface MiddlewareSkipMessage extends MiddlewareCallMessage {
  /** Milliseconds the call took. */
  readonly durationMs: number;
  /** The reason the middleware gave, if any. */
  readonly reason: string | undefined;
}

/** Message on {@link TelemetryChannel.MiddlewareException}. */
export interface MiddlewareExceptionMessage extends MiddlewareCallMessage {
  /** Milliseconds until the failure (the timeout, for a timeout). */
  readonly durationMs: number;
  /** The call exceeded the bus's `middlewareTimeout`. */
  readonly timedOut: boolean;
  /** The failure (a `MiddlewareError`). */
  readonly error: BusError;
}

const start = telemetryChannel(TelemetryChannel.MiddlewareStart);
const stop = telemetryChannel(TelemetryChannel.MiddlewareStop);
const skip = telemetryChannel(TelemetryChannel.MiddlewareSkip);
const exception = telemetryChannel(TelemetryChannel.MiddlewareException);

/** One observed middleware call; `undefined` when nobody listens. @internal */
export interface MiddlewareCall {
  readonly message: MiddlewareCallMessage;
  readonly started: number;
}

/**
 * Publish the start of a middleware call and return its token — or `undefined` (nothing
 * built) when no middleware channel has a subscriber.
 * @internal
 */
export function middlewareStart(
  bus: string,
  middleware: string,
  hook: MiddlewareHook,
  signalCount: number | undefined,
  ids: { readonly signalId?: string; readonly subscriptionId?: string },
): MiddlewareCall | undefined {
  if (
    !start.hasSubscribers &&
    !stop.hasSubscribers &&
    !skip.hasSubscribers &&
    !exception.hasSubscribers
  ) {
    return undefined;
  }
  const message: MiddlewareCallMessage = {
    bus,
    middleware,
    hook,
    signalCount,
    signalId: ids.signalId,
    subscriptionId: ids.subscriptionId,
  };
  if (start.hasSubscribers) start.publish(message);
  return { message, started: performance.now() };
}

/** The call ended with `continue` or `halt`. @internal */
export function middlewareStop(
  call: MiddlewareCall | undefined,
  outcome: 'continue' | 'halt',
): void {
  if (call === undefined || !stop.hasSubscribers) return;
  stop.publish({
    ...call.message,
    durationMs: performance.now() - call.started,
    outcome,
  } satisfies MiddlewareStopMessage);
}

/** The call skipped a delivery. @internal */
export function middlewareSkip(call: MiddlewareCall | undefined, reason: string | undefined): void {
  if (call === undefined || !skip.hasSubscribers) return;
  skip.publish({
    ...call.message,
    durationMs: performance.now() - call.started,
    reason,
  } satisfies MiddlewareSkipMessage);
}

/** The call failed; returns `error` (for `throw middlewareFailed(...)`). @internal */
export function middlewareFailed<E extends BusError>(
  call: MiddlewareCall | undefined,
  error: E,
): E {
  if (call !== undefined && exception.hasSubscribers) {
    exception.publish({
      ...call.message,
      durationMs: performance.now() - call.started,
      timedOut: error.code === 'timeout',
      error,
    } satisfies MiddlewareExceptionMessage);
  }
  return error;
}
