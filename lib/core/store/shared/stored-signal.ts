/**
 * Decoding a signal a distributed store kept as its JSON value (dead letters, snapshots).
 * @module
 * @internal
 */
import { describeThrown } from '../../errors/jido-signal.error.js';
import { StoreError } from '../../errors/store.error.js';
import { STORED_MAX_DEPTH } from '../../signal/safe-input.js';
import { Signal } from '../../signal/signal.js';

/**
 * Decode a stored signal (JSON value); `store` names the store in the message.
 * @throws StoreError with `details` when it is not a signal
 */
export function decodeStoredSignal(
  store: string,
  value: unknown,
  details: Record<string, unknown>,
): Signal {
  try {
    return Signal.from(value, { maxDepth: STORED_MAX_DEPTH });
  } catch (cause) {
    throw new StoreError(`${store}: a stored signal cannot be decoded: ${describeThrown(cause)}`, {
      details,
      cause,
    });
  }
}
