import {
  JidoSignalError,
  type JidoSignalErrorCode,
  type ErrorDetails,
} from './jido-signal.error.js';

/** One failing field of a validation. */
export interface ValidationIssue {
  /** Dotted path of the failing field (`''` for the value itself). */
  readonly path: string;
  /** Human-readable reason. */
  readonly message: string;
}

/**
 * Invalid input: a signal attribute, an extension, signal data, a pattern, an option.
 * `field` names what was wrong; `issues` lists every failure when several fields were checked.
 */
export class ValidationError extends JidoSignalError {
  /** The attribute, option or path that failed. */
  readonly field: string;
  /** Every failing field (at least one). */
  readonly issues: readonly ValidationIssue[];

  constructor(
    code: JidoSignalErrorCode,
    field: string,
    message: string,
    options: { issues?: readonly ValidationIssue[]; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(code, message, { details: { field, ...options.details }, cause: options.cause });
    this.field = field;
    this.issues = options.issues ?? [{ path: field, message }];
  }
}

/** A signal envelope (context attribute or extension) broke a CloudEvents rule. */
export class SignalValidationError extends ValidationError {}

/** Typed-signal data failed its schema; `issues` lists every failing field. */
export class SignalDataValidationError extends ValidationError {
  constructor(type: string, issues: readonly ValidationIssue[], cause?: unknown) {
    const list = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('invalid_data', 'data', `Invalid data for signal "${type}": ${list}`, {
      issues,
      details: { type },
      cause,
    });
  }
}
