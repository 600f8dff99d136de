import type { Signal } from '../signal.js';

/**
 * A wire codec for signals. Implement it to add a format; the built-ins are
 * {@link JsonSerializer} (CloudEvents JSON structured and batch mode) and
 * {@link MsgpackSerializer}.
 */
export interface Serializer {
  /** Media type of a single encoded signal. */
  readonly contentType: string;
  /** Encode one signal, or several as a batch. @throws SerializationError */
  serialize(input: Signal | readonly Signal[]): string | Uint8Array;
  /**
   * Decode what {@link Serializer.serialize} produced: a signal, or an array for a batch.
   * @throws PayloadTooLargeError | SignalParseError | NestingTooDeepError | UnsafeKeyError |
   *   UnsupportedValueError | SignalValidationError
   */
  deserialize(input: string | Uint8Array): Signal | Signal[];
}

/** Options shared by the built-in serializers. */
export interface SerializerOptions {
  /** Extensions to validate decoded signals against. @default the default factory's registry */
  extensions?: import('../extensions.js').ExtensionRegistry;
  /** Largest input accepted by `deserialize`, in bytes. @default 10_000_000 */
  maxPayloadBytes?: number;
  /**
   * Deepest nesting of objects and arrays accepted inside a decoded signal's attributes
   * (`data: { a: [1] }` is 2 levels). @default 64
   */
  maxDepth?: number;
}
