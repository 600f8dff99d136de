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
 * configured bound. Retrying later is safe for an operation that had not started; a batch
 * publish that lost the connection midway may have stored its first signals (see
 * docs/jetstream.md, "Connection loss").
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

/** A store option is out of range or of the wrong type. Code `'invalid_option'`. */
export class StoreOptionError extends JidoSignalError {
  /** The offending option. */
  readonly option: string;

  constructor(store: string, option: string, message: string) {
    super('invalid_option', `${store}: option "${option}" ${message}`, {
      details: { store, option },
    });
    this.option = option;
  }
}

/**
 * A bus name cannot be used by the store (remote engines map bus names to stream names and
 * subject tokens). Code `'invalid_bus_name'`.
 */
export class InvalidBusNameError extends JidoSignalError {
  /** The rejected bus name. */
  readonly bus: string;

  constructor(store: string, bus: unknown, rule: string) {
    const shown = typeof bus === 'string' ? JSON.stringify(bus.slice(0, 200)) : typeof bus;
    super('invalid_bus_name', `${store}: bus name ${shown} is not usable: ${rule}`, {
      details: { store, bus: typeof bus === 'string' ? bus.slice(0, 200) : String(bus) },
    });
    this.bus = typeof bus === 'string' ? bus : String(bus);
  }
}
