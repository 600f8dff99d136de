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

/**
 * A remote store (NATS JetStream) is disconnected and did not come back within the
 * configured bound. Nothing was written; retrying later is safe.
 */
export class StoreUnavailableError extends JidoSignalError {
  constructor(store: string, operation: string, waitedMs: number, cause?: unknown) {
    super(
      'store_unavailable',
      `${store} is unavailable: ${operation} gave up after waiting ${waitedMs} ms for the connection`,
      { details: { store, operation, waitedMs }, cause, retryable: true },
    );
  }
}
