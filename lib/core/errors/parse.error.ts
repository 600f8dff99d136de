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
