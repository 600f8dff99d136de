import {
  JidoSignalError,
  type ErrorDetails,
  type JidoSignalErrorCode,
} from '../core/errors/jido-signal.error.js';

/**
 * A misconfiguration found while the Nest layer registers handlers, adapters, middleware or
 * buses: a bad `@OnSignal` pattern (code `'invalid_pattern'`), an unknown bus or a bad
 * option (`'invalid_option'`). Thrown at bootstrap, so the application does not start; the
 * message names the class and method.
 */
export class SignalRegistrationError extends JidoSignalError {
  constructor(
    code: JidoSignalErrorCode,
    message: string,
    options: { details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/**
 * A publish was awaited (or chained with `then`/`catch`) before the application finished
 * bootstrapping — typically in `onModuleInit` or a provider factory. The module holds
 * publishes until every `@OnSignal` handler is subscribed (`onApplicationBootstrap`), so
 * waiting for one there would hang the bootstrap (and then `close()`). Code `'not_ready'`.
 * Publish in `onApplicationBootstrap()` or later; a publish that is not awaited is still
 * held and delivered once the application is ready.
 */
export class SignalBusNotReadyError extends JidoSignalError {
  constructor(bus: string, message: string) {
    super('not_ready', message, { details: { bus } });
  }
}
