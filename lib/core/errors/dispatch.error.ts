import {
  JidoSignalError,
  type ErrorDetails,
  type JidoSignalErrorCode,
  describeThrown,
} from './jido-signal.error.js';
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

  constructor(adapter: string, key: string, details: ErrorDetails = {}) {
    super('circuit_open', adapter, `Circuit "${key}" is open`, {
      details: { key, ...details },
      retryable: true,
    });
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
        failures: failures.map((f) => ({
          index: f.index,
          adapter: f.adapter,
          code: f.error.code,
          message: f.error.message,
        })),
      },
      retryable: failures.every((f) => f.error.retryable),
    });
    this.failures = failures;
  }
}

/** One failed endpoint of a multi-endpoint webhook delivery. */
export interface EndpointFailure {
  /** Secret-free description of the endpoint (`scheme://host[:port]/path`). */
  readonly target: string;
  /** Why it failed. */
  readonly error: JidoSignalError;
}

/**
 * Some endpoints of a multi-URL (`urls`) webhook delivery failed; the others received the
 * signal. `failures` lists each failed endpoint with its typed error.
 */
export class WebhookDeliveryError extends DispatchError {
  /** Every failed endpoint, in `urls` order. */
  readonly failures: readonly EndpointFailure[];

  constructor(adapter: string, failures: readonly EndpointFailure[], total: number) {
    const summary = failures.map((f) => `${f.target}: ${f.error.message}`).join('; ');
    super(
      'dispatch_failed',
      adapter,
      `${failures.length} of ${total} ${adapter} endpoints failed: ${summary}`,
      {
        details: {
          total,
          failures: failures.map((f) => ({
            target: f.target,
            code: f.error.code,
            message: f.error.message,
          })),
        },
        retryable: failures.every((f) => f.error.retryable),
      },
    );
    this.failures = failures;
  }
}

/** A webhook signature did not verify (missing headers, wrong signature, stale timestamp). */
export class WebhookVerificationError extends JidoSignalError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('invalid_webhook_signature', message, { details });
  }
}

/**
 * Normalize anything an adapter threw or rejected with: library errors are returned as
 * they are, anything else (errors and non-`Error` values alike) becomes a
 * `DispatchError` with code `'dispatch_error'` and the original as `cause`.
 */
export function toDispatchError(thrown: unknown, adapter: string): JidoSignalError {
  if (thrown instanceof JidoSignalError) return thrown;
  const message = `${adapter} delivery failed: ${describeThrown(thrown)}`;
  return new DispatchError('dispatch_error', adapter, message, { cause: thrown });
}

/**
 * Normalize anything `validateOptions` threw: a `DispatchConfigError` is returned as it
 * is, a `ValidationError` keeps its field, anything else names the field `'options'`.
 */
export function toDispatchConfigError(thrown: unknown, adapter: string): DispatchConfigError {
  if (thrown instanceof DispatchConfigError) return thrown;
  const field = thrown instanceof ValidationError ? thrown.field : 'options';
  return new DispatchConfigError(adapter, field, describeThrown(thrown), { cause: thrown });
}

/**
 * A batched subscription target (`batch` option) already holds `maxBuffered` signals —
 * buffered or in flight, typically because the target is down and its batches are being
 * retried. The signal was not buffered. Code `'queue_full'`, retryable (a persistent
 * subscription redelivers it after its backoff).
 */
export class BatchBufferFullError extends DispatchError {
  /** Signals buffered or in flight when it refused. */
  readonly buffered: number;
  /** The target's `maxBuffered`. */
  readonly maxBuffered: number;

  constructor(adapter: string, target: string, buffered: number, maxBuffered: number) {
    super(
      'queue_full',
      adapter,
      `The batch buffer of ${adapter} target ${target} is full (${buffered} of ${maxBuffered} signals buffered or in flight)`,
      { details: { target, buffered, maxBuffered }, retryable: true },
    );
    this.buffered = buffered;
    this.maxBuffered = maxBuffered;
  }
}
