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
