import {
  JidoSignalError,
  type ErrorDetails,
  type JidoSignalErrorCode,
} from '../core/errors/jido-signal.error.js';

/**
 * A failure of the signal board: a bad `JidoSignalBoardModule` option (code
 * `'invalid_option'`, thrown when the module is registered, so the app does not start), a
 * request for an unknown bus (`'bus_not_found'`) or journal (`'not_found'`), an action
 * without a valid CSRF token or from another origin (`'csrf_rejected'`), or an action on a
 * `readOnly` board (`'read_only'`). The board answers these with a JSON body
 * `{ code, message }` and a 4xx status.
 */
export class SignalBoardError extends JidoSignalError {
  constructor(code: JidoSignalErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { details });
  }
}
