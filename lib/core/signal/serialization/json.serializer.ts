import { SerializationError, SignalParseError } from '../../errors/parse.error.js';
import { JidoSignalError } from '../../errors/jido-signal.error.js';
import { parseJsonSafely, resolveMaxDepth } from '../safe-input.js';
import {
  getDefaultSignalFactory,
  expectEnvelope,
  Signal,
  signalFromEnvelope,
  type SignalParseOptions,
} from '../signal.js';
import type { Serializer, SerializerOptions } from './serializer.interface.js';

/** Media type of CloudEvents JSON structured mode. */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';
/** Media type of CloudEvents JSON batch mode. */
export const CLOUDEVENTS_BATCH_JSON = 'application/cloudevents-batch+json';

/** `JSON.stringify` that reports cycles and BigInts as a typed error. */
export function stringifySignal(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new SerializationError(`Signal is not JSON-serializable: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Decode an already-parsed structured object or batch array. An invalid batch element
 * fails the whole batch with a `SignalParseError` whose `details` give the element's
 * `index` and original `code`, and whose `cause` is the original typed error.
 * @param plain `true` when `value` came from `parseJsonSafely` (plain JSON data, depth and
 *   keys already checked); otherwise every element goes through {@link Signal.from}'s checks
 * @default plain false
 */
export function signalsFromValue(
  value: unknown,
  options: SignalParseOptions,
  plain = false,
): Signal | Signal[] {
  const one = (item: unknown): Signal =>
    plain ? signalFromEnvelope(expectEnvelope(item), options) : Signal.from(item, options);
  if (!Array.isArray(value)) return one(value);
  return value.map((item, index) => {
    try {
      return one(item);
    } catch (error) {
      const code = error instanceof JidoSignalError ? error.code : 'parse_error';
      const message = error instanceof Error ? error.message : String(error);
      throw new SignalParseError(`Batch element ${index} is invalid: ${message}`, {
        cause: error,
        details: { index, code },
      });
    }
  });
}

/**
 * CloudEvents JSON: one signal in structured mode (`application/cloudevents+json`), an
 * array in batch mode (`application/cloudevents-batch+json`).
 */
export class JsonSerializer implements Serializer {
  readonly contentType = CLOUDEVENTS_JSON;
  /** Media type used for arrays. */
  readonly batchContentType = CLOUDEVENTS_BATCH_JSON;
  private readonly parseOptions: SignalParseOptions;

  constructor(options: SerializerOptions = {}) {
    this.parseOptions = options;
  }

  serialize(input: Signal | readonly Signal[]): string {
    return stringifySignal(input);
  }

  deserialize(input: string | Uint8Array): Signal | Signal[] {
    const factory = getDefaultSignalFactory();
    const value = parseJsonSafely(input, {
      maxBytes: this.parseOptions.maxPayloadBytes ?? factory.maxPayloadBytes,
      maxDepth: resolveMaxDepth(this.parseOptions.maxDepth, factory.maxDepth),
      kind: 'signals',
    });
    return signalsFromValue(value, this.parseOptions, true);
  }
}
