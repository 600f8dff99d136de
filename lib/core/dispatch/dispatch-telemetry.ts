import type { JidoSignalError, JidoSignalErrorCode } from '../errors/jido-signal.error.js';
import type { Signal } from '../signal/signal.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';

/**
 * Message published on `jido.dispatch.start` / `end` / `error` for every single-target
 * delivery (list and batch items and `onFailure` fallbacks included). It never carries
 * adapter options: `target` comes from the adapter's `describeTarget`.
 */
export interface DispatchTelemetryMessage {
  /** Adapter name. */
  readonly adapter: string;
  /** Secret-free target description (`describeTarget`, else the adapter name). */
  readonly target: string;
  /** Id of the dispatched signal. */
  readonly signalId: string;
  /** Type of the dispatched signal. */
  readonly signalType: string;
  /** `true` when this delivery is an `onFailure` fallback of a failed target. */
  readonly fallback: boolean;
  /**
   * Signals in this delivery when it is one batch request of `dispatchMany` or a batched
   * subscription (`signalId`/`signalType` are then the first signal's).
   * @default undefined (a single-signal delivery)
   */
  readonly batchSize?: number;
  /** Milliseconds from start to end (end and error only). */
  readonly durationMs?: number;
  /** `'ok'` on `end`, `'error'` on `error`. */
  readonly outcome?: 'ok' | 'error';
  /** The error's stable code (error only). */
  readonly errorCode?: JidoSignalErrorCode;
  /** Whether retrying may succeed (error only). */
  readonly retryable?: boolean;
  /** The typed error (error only); its `details` are secret-free. */
  readonly error?: JidoSignalError;
}

/** Message published on `jido.dispatch.receiver_error`. */
export interface ReceiverErrorTelemetryMessage {
  /** Adapter name (`pid`, `named`, `pubsub`). */
  readonly adapter: string;
  /** Secret-free receiver description. */
  readonly target: string;
  /** Id of the signal the receiver failed on. */
  readonly signalId: string;
  /** Type of that signal. */
  readonly signalType: string;
  /** The error's stable code. */
  readonly errorCode: JidoSignalErrorCode;
  /** The typed error. */
  readonly error: JidoSignalError;
}

/** @internal */
export const dispatchStartChannel = telemetryChannel(TelemetryChannel.DispatchStart);
/** @internal */
export const dispatchEndChannel = telemetryChannel(TelemetryChannel.DispatchEnd);
/** @internal */
export const dispatchErrorChannel = telemetryChannel(TelemetryChannel.DispatchError);
const receiverErrorChannel = telemetryChannel(TelemetryChannel.DispatchReceiverError);

/**
 * Report a failure of a fire-and-forget receiver on `jido.dispatch.receiver_error`.
 * @internal
 */
export function reportReceiverError(
  adapter: string,
  target: string,
  signal: Signal | undefined,
  error: JidoSignalError,
): void {
  emit(receiverErrorChannel, (): ReceiverErrorTelemetryMessage => ({
    adapter,
    target,
    signalId: signal?.id ?? '',
    signalType: signal?.type ?? '',
    errorCode: error.code,
    error,
  }));
}
