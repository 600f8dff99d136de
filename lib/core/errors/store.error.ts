import { JidoSignalError, type ErrorDetails } from './jido-signal.error.js';

/** A store operation failed (unreachable engine, corrupt record, …). */
export class StoreError extends JidoSignalError {
  constructor(
    message: string,
    options: { details?: ErrorDetails; cause?: unknown; retryable?: boolean } = {},
  ) {
    super('store_error', message, options);
  }
}

/** The store was closed; no further operations are accepted. */
export class StoreClosedError extends JidoSignalError {
  constructor(store: string) {
    super('closed', `${store} is closed`, { details: { store } });
  }
}
