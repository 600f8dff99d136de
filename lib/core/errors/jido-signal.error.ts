/**
 * Stable machine-readable error codes. A code never changes meaning once released; new
 * failure kinds get new codes.
 */
export type JidoSignalErrorCode =
  // signal model
  | 'invalid_signal'
  | 'invalid_attribute'
  | 'missing_attribute'
  | 'invalid_time'
  | 'invalid_uri_reference'
  | 'invalid_specversion'
  | 'invalid_extension_name'
  | 'reserved_extension_name'
  | 'invalid_extension_value'
  | 'unknown_extension'
  | 'invalid_data'
  | 'invalid_id'
  | 'parse_error'
  | 'payload_too_large'
  | 'unsafe_key'
  | 'nesting_too_deep'
  | 'unsupported_value'
  | 'serialization_error'
  | 'missing_peer_dependency'
  // router
  | 'invalid_pattern'
  | 'invalid_route'
  | 'routing_error'
  // dispatch
  | 'invalid_dispatch_config'
  | 'dispatch_error'
  | 'dispatch_failed'
  | 'timeout'
  | 'cancelled'
  | 'process_not_alive'
  | 'process_not_found'
  | 'pubsub_not_found'
  | 'no_subscribers'
  | 'bus_not_found'
  | 'circuit_open'
  | 'status_error'
  | 'connection_error'
  | 'invalid_webhook_signature'
  // journal
  | 'cause_not_found'
  | 'causality_cycle'
  | 'invalid_temporal_order'
  | 'self_cause'
  | 'duplicate_signal'
  | 'not_found'
  | 'journal_corrupt'
  | 'journal_locked'
  | 'journal_io_error'
  // bus and later layers
  | 'queue_full'
  | 'closed'
  // bus
  | 'invalid_option'
  | 'subscription_exists'
  | 'subscription_not_found'
  | 'subscriber_failed'
  | 'middleware_error'
  | 'halted'
  | 'rate_limited'
  | 'snapshot_not_found'
  | 'snapshot_exists'
  | 'handlers_failed'
  | 'bus_exists'
  | 'store_error'
  | 'store_unavailable'
  | 'invalid_bus_name'
  // Nest layer
  | 'not_ready'
  // signal board
  | 'csrf_rejected'
  | 'read_only'
  // persistent subscriptions
  | 'unknown_log_id'
  | 'invalid_log_id'
  | 'invalid_ack_argument'
  | 'subscription_not_persistent'
  | 'internal_error';

/** Structured, secret-free context attached to an error. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** Options accepted by every {@link JidoSignalError} constructor. */
export interface JidoSignalErrorOptions {
  /** Structured context; must never contain secrets. @default {} */
  details?: ErrorDetails;
  /** The underlying error, if any. @default undefined */
  cause?: unknown;
  /** Whether repeating the operation may succeed. @default false */
  retryable?: boolean;
}

/**
 * Root of the library's error hierarchy. Every failure the library reports is an instance
 * of a subclass with a stable {@link JidoSignalError.code}, so callers can branch on
 * `err.code` (or `instanceof`) instead of parsing messages.
 */
export class JidoSignalError extends Error {
  /** Stable discriminator, see {@link JidoSignalErrorCode}. */
  readonly code: JidoSignalErrorCode;
  /** Structured, secret-free context. */
  readonly details: ErrorDetails;
  /** Whether repeating the operation may succeed (timeouts, 5xx, open circuits, full queues). */
  readonly retryable: boolean;

  constructor(code: JidoSignalErrorCode, message: string, options: JidoSignalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  /** A plain, JSON-safe view: `{ name, code, message, details, retryable }`. */
  toJSON(): {
    name: string;
    code: JidoSignalErrorCode;
    message: string;
    details: ErrorDetails;
    retryable: boolean;
  } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      details: this.details,
      retryable: this.retryable,
    };
  }
}

/** `true` when `value` is a library error, optionally with the given code. */
export function isJidoSignalError(
  value: unknown,
  code?: JidoSignalErrorCode,
): value is JidoSignalError {
  return value instanceof JidoSignalError && (code === undefined || value.code === code);
}

/**
 * Message of an arbitrary thrown value, bounded to `max` characters and never throwing
 * (for error messages built from causes).
 * @internal
 */
export function describeThrown(value: unknown, max = 500): string {
  let text: string;
  try {
    text =
      value instanceof Error ? value.message : typeof value === 'string' ? value : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
