import { SerializationError } from '../../errors/parse.error.js';
import { parseJsonSafely, resolveMaxDepth } from '../safe-input.js';
import { getDefaultSignalFactory, type Signal, type SignalParseOptions } from '../signal.js';
import { decodeSignals } from './decode-signals.js';
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
 * Decode an already-parsed structured object or batch array; every element goes through
 * {@link Signal.from}'s checks. An invalid batch element fails the whole batch with a
 * `SignalParseError` whose `details` give the element's `index` and original `code`, and
 * whose `cause` is the original typed error.
 */
export function signalsFromValue(value: unknown, options: SignalParseOptions): Signal | Signal[] {
  return decodeSignals(value, options, false);
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
    return decodeSignals(value, this.parseOptions, true);
  }
}
