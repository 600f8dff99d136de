import { BusError } from '../../errors/bus.error.js';
import { describeThrown, JidoSignalError } from '../../errors/jido-signal.error.js';

/** Code and message of a delivery's last failure (kept in its DLQ entry). @internal */
export type LastError = { readonly code: string; readonly message: string };

/** The {@link LastError} of a failed attempt (message bounded to 300 characters). @internal */
export function describeError(error: unknown): LastError {
  const code = error instanceof JidoSignalError ? error.code : 'dispatch_error';
  return { code, message: describeThrown(error, 300) };
}

/** A store failure of a subscription as a `BusError` (`store_error`). @internal */
export function subscriptionStoreError(
  bus: string,
  subscriptionId: string,
  message: string,
  error: unknown,
): BusError {
  return error instanceof BusError
    ? error
    : new BusError(
        'store_error',
        bus,
        `${message} (subscription "${subscriptionId}"): ${describeThrown(error)}`,
        { subscriptionId, cause: error },
      );
}
