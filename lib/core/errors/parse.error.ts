import { JidoSignalError, type ErrorDetails } from './jido-signal.error.js';

/** Input could not be decoded (malformed JSON, wrong shape, unreadable HTTP message). */
export class SignalParseError extends JidoSignalError {
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('parse_error', message, options);
  }
}

/** Encoded input is larger than the configured limit; nothing was decoded. */
export class PayloadTooLargeError extends JidoSignalError {
  /** Size of the rejected input in bytes. */
  readonly size: number;
  /** The limit in bytes. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('payload_too_large', `Payload of ${size} bytes exceeds the limit of ${limit} bytes`, {
      details: { size, limit },
    });
    this.size = size;
    this.limit = limit;
  }
}

/** Input contains a key that could pollute object prototypes (`__proto__`, `constructor`, `prototype`). */
export class UnsafeKeyError extends JidoSignalError {
  /** Path of the offending key. */
  readonly path: string;

  constructor(path: string) {
    super('unsafe_key', `Refusing prototype-polluting key at "${path}"`, { details: { path } });
    this.path = path;
  }
}

/**
 * Decoded input nests objects and arrays deeper than the configured limit (`maxDepth`,
 * 64 levels by default); nothing was decoded.
 */
export class NestingTooDeepError extends JidoSignalError {
  /** The limit in levels. */
  readonly limit: number;
  /** Path of the first value past the limit, when known (`''` for text scanned before decoding). */
  readonly path: string;

  constructor(limit: number, path = '') {
    super(
      'nesting_too_deep',
      `Input nests deeper than ${limit} levels${path === '' ? '' : ` at "${path}"`}`,
      { details: { limit, ...(path === '' ? {} : { path }) } },
    );
    this.limit = limit;
    this.path = path;
  }
}

/**
 * Decoded input holds a value that JSON cannot represent: a BigInt, `NaN` or `±Infinity`,
 * `undefined` in an array, a function or symbol, a `Date`, `Map`, `Set`, `RegExp`, `Error`,
 * typed array or class instance, or a circular or shared reference. `kind` names it.
 */
export class UnsupportedValueError extends JidoSignalError {
  /** Path of the offending value (`''` for the input itself). */
  readonly path: string;
  /** What was found (`'bigint'`, `'non-finite number'`, `'Date'`, `'circular reference'`, …). */
  readonly kind: string;

  constructor(path: string, kind: string) {
    super(
      'unsupported_value',
      `Unsupported value at "${path}": ${kind} is not JSON data (use strings, finite numbers, booleans, null, plain objects and arrays)`,
      { details: { path, kind } },
    );
    this.path = path;
    this.kind = kind;
  }
}

/** A codec could not encode a value. */
export class SerializationError extends JidoSignalError {
  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super('serialization_error', message, options);
  }
}

/** An optional peer dependency a feature needs is not installed. */
export class MissingPeerDependencyError extends JidoSignalError {
  constructor(pkg: string, feature: string, cause?: unknown) {
    super(
      'missing_peer_dependency',
      `${feature} needs the optional package "${pkg}": npm install ${pkg}`,
      {
        details: { package: pkg, feature },
        cause,
      },
    );
  }
}
