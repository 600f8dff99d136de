import { JidoSignalError, describeThrown } from '../../errors/jido-signal.error.js';
import { SignalParseError } from '../../errors/parse.error.js';
import { expectEnvelope } from '../envelope.js';
import { Signal, signalFromEnvelope, type SignalParseOptions } from '../signal.js';

/**
 * Decode an already-parsed structured object or batch array. An invalid batch element
 * fails the whole batch with a `SignalParseError` whose `details` give the element's
 * `index` and original `code`, and whose `cause` is the original typed error.
 *
 * Not exported from the package: `plain` skips the plain-data checks.
 * @param plain `true` only when `value` came from `parseJsonSafely` (plain JSON data, depth
 *   and keys already checked); otherwise every element goes through {@link Signal.from}
 * @internal
 */
export function decodeSignals(
  value: unknown,
  options: SignalParseOptions,
  plain: boolean,
): Signal | Signal[] {
  const one = (item: unknown): Signal =>
    plain ? signalFromEnvelope(expectEnvelope(item), options) : Signal.from(item, options);
  if (!Array.isArray(value)) return one(value);
  return value.map((item, index) => {
    try {
      return one(item);
    } catch (error) {
      const code = error instanceof JidoSignalError ? error.code : 'parse_error';
      const message = describeThrown(error);
      throw new SignalParseError(`Batch element ${index} is invalid: ${message}`, {
        cause: error,
        details: { index, code },
      });
    }
  });
}
