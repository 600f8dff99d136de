import { JidoSignalError, type ErrorDetails, type JidoSignalErrorCode } from './jido-signal.error.js';
import { ValidationError, type ValidationIssue } from './validation.error.js';

/** A dispatch config or adapter option is invalid. Nothing was delivered. */
export class DispatchConfigError extends ValidationError {
  /** The adapter whose options failed (`'unknown'` when the adapter itself is unresolvable). */
  readonly adapter: string;

  constructor(
    adapter: string,
    field: string,
    message: string,
    options: { issues?: readonly ValidationIssue[]; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super('invalid_dispatch_config', field, `Invalid ${adapter} dispatch config: ${message}`, {
      ...options,
      details: { adapter, ...options.details },
    });
    this.adapter = adapter;
  }
}

/**
 * A delivery failed. `code` says why (`timeout`, `process_not_alive`, `process_not_found`,
 * `circuit_open`, `status_error`, `connection_error`, `cancelled`, `dispatch_error`, …).
 */
export class DispatchError extends JidoSignalError {
  /** Adapter name. */
  readonly adapter: string;

  constructor(
    code: JidoSignalErrorCode,
    adapter: string,
    message: string,
    options: { details?: ErrorDetails; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(code, message, { ...options, details: { adapter, ...options.details } });
    this.adapter = adapter;
  }
}

/** A delivery did not finish within its timeout. */
export class DispatchTimeoutError extends DispatchError {
  /** The timeout in milliseconds. */
  readonly timeout: number;

  constructor(adapter: string, timeout: number, details: ErrorDetails = {}) {
    super('timeout', adapter, `${adapter} delivery timed out after ${timeout} ms`, {
      details: { timeout, ...details },
      retryable: true,
    });
    this.timeout = timeout;
  }
}

/** An HTTP target answered with a non-2xx status. */
export class HttpStatusError extends DispatchError {
  /** HTTP status code. */
  readonly status: number;
  /** The first bytes of the response body (bounded). */
  readonly bodyExcerpt: string;

  constructor(adapter: string, status: number, bodyExcerpt: string, details: ErrorDetails = {}) {
    super('status_error', adapter, `${adapter} target answered HTTP ${status}`, {
      details: { status, bodyExcerpt, ...details },
      retryable: status === 408 || status === 425 || status === 429 || status >= 500,
    });
    this.status = status;
    this.bodyExcerpt = bodyExcerpt;
  }
}

/** The circuit for this adapter and target is open; the call was not attempted. */
export class CircuitOpenError extends DispatchError {
  /** Circuit key (adapter and target origin). */
  readonly key: string;

  constructor(adapter: string, key: string) {
    super('circuit_open', adapter, `Circuit "${key}" is open`, { details: { key }, retryable: true });
    this.key = key;
  }
}

/** One failed target of a list dispatch. */
export interface DispatchFailure {
  /** Position of the config in the list. */
  readonly index: number;
  /** Adapter name (`'unknown'` if unresolvable). */
  readonly adapter: string;
  /** Why it failed. */
  readonly error: JidoSignalError;
}

/** A list dispatch where some targets failed; the others were delivered. */
export class DispatchAggregateError extends JidoSignalError {
  /** Every failed target, in index order. */
  readonly failures: readonly DispatchFailure[];

  constructor(failures: readonly DispatchFailure[], total: number) {
    const summary = failures.map((f) => `#${f.index} ${f.adapter}: ${f.error.message}`).join('; ');
    super('dispatch_failed', `${failures.length} of ${total} dispatch targets failed: ${summary}`, {
      details: {
        total,
        failures: failures.map((f) => ({ index: f.index, adapter: f.adapter, code: f.error.code, message: f.error.message })),
      },
      retryable: failures.every((f) => f.error.retryable),
    });
    this.failures = failures;
  }
}

/** A webhook signature did not verify (missing headers, wrong signature, stale timestamp). */
export class WebhookVerificationError extends JidoSignalError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('invalid_webhook_signature', message, { details });
  }
}
