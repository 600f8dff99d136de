import { JidoSignalError, type ErrorDetails } from './jido-signal.error.js';
import { ValidationError } from './validation.error.js';

/** What went wrong with a pattern; stable values, see {@link InvalidPatternError.reason}. */
export type InvalidPatternReason =
  | 'not_a_string'
  | 'empty_segment'
  | 'adjacent_globstar'
  | 'wildcard_in_segment'
  | 'invalid_characters'
  | 'too_many_segments'
  | 'too_many_globstars';

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
  if (value === null) return 'null';
  return typeof value;
}

/**
 * A pattern breaks the grammar: segments are `[A-Za-z0-9_-]+`, `*` or `**`, separated by
 * single dots, and `**` never follows `**`; at most 128 segments and 8 `**` per pattern
 * (reasons `too_many_segments` / `too_many_globstars`, `details.limit` gives the limit). The
 * message, {@link segment} and {@link index} name the first offending segment.
 */
export class InvalidPatternError extends ValidationError {
  /** The rejected pattern as given (not necessarily a string). */
  readonly pattern: unknown;
  /** The first offending segment; `undefined` when the pattern is not a string. */
  readonly segment: string | undefined;
  /** Zero-based position of {@link segment}; `undefined` when the pattern is not a string. */
  readonly index: number | undefined;
  /** Machine-readable reason. */
  readonly reason: InvalidPatternReason;

  constructor(
    pattern: unknown,
    reason: InvalidPatternReason,
    segment?: string,
    index?: number,
    options: { details?: ErrorDetails } = {},
  ) {
    super(
      'invalid_pattern',
      'pattern',
      InvalidPatternError.#message(pattern, reason, segment, index, options.details?.limit),
      {
        details: {
          pattern:
            typeof pattern === 'string'
              ? pattern.length > 1024
                ? `${pattern.slice(0, 1024)}…`
                : pattern
              : describe(pattern),
          segment,
          index,
          reason,
          ...options.details,
        },
      },
    );
    this.pattern = pattern;
    this.segment = segment;
    this.index = index;
    this.reason = reason;
  }

  static #message(
    pattern: unknown,
    reason: InvalidPatternReason,
    segment?: string,
    index?: number,
    limit?: unknown,
  ): string {
    if (reason === 'not_a_string') return `Pattern must be a string, got ${describe(pattern)}`;
    if (reason === 'too_many_segments') {
      return `Invalid pattern ${describe(pattern)}: it has more than ${String(limit)} segments (the limit per pattern)`;
    }
    const at = `Invalid pattern ${describe(pattern)}: segment ${index} ${JSON.stringify(segment)}`;
    switch (reason) {
      case 'empty_segment':
        return `${at} is empty (no leading, trailing or consecutive dots)`;
      case 'adjacent_globstar':
        return `${at} follows another "**" (adjacent "**" are not allowed)`;
      case 'too_many_globstars':
        return `${at} is a "**" beyond the limit of ${String(limit)} "**" per pattern`;
      case 'wildcard_in_segment':
        return `${at} contains "*" inside a segment (use "*" or "**" as a whole segment)`;
      default:
        return `${at} contains invalid characters (allowed: A-Z a-z 0-9 _ -, or a whole "*" / "**")`;
    }
  }
}

/**
 * A route specification is malformed: not an object, missing target, a priority that is not
 * an integer in −100..100, or a guard that is not a function. `field` names the attribute.
 */
export class InvalidRouteError extends ValidationError {
  /** Position of the offending route in the list passed to `add`, if a list was passed. */
  readonly routeIndex: number | undefined;

  constructor(
    field: string,
    message: string,
    routeIndex?: number,
    options: { details?: ErrorDetails } = {},
  ) {
    super(
      'invalid_route',
      field,
      routeIndex === undefined ? message : `Route #${routeIndex}: ${message}`,
      {
        details: { routeIndex, ...options.details },
      },
    );
    this.routeIndex = routeIndex;
  }
}

/** `route()` was called with something that is neither a type string nor a signal with a string `type`. */
export class RoutingError extends JidoSignalError {
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('routing_error', message, options);
  }
}
