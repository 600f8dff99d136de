import { StoreError } from '../../errors/store.error.js';
import type { Signal } from '../../signal/signal.js';
import { decodeStoredSignal } from '../shared/stored-signal.js';

/**
 * Decoding of the JSON the Redis store keeps next to the log (subscription state, dead
 * letters, snapshots): a value that does not decode is a `StoreError` naming what it was.
 * @module
 * @internal
 */

const STORE = 'RedisStore';

/** Parse stored JSON. @throws StoreError when it is not JSON */
export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new StoreError(`${STORE}: a stored ${what} is not valid JSON`, {
      cause: cause instanceof Error ? new Error(cause.message) : undefined,
    });
  }
}

/** Decode a stored signal. @throws StoreError when it is not a signal */
export function decodeSignal(value: unknown, details: Record<string, unknown>): Signal {
  return decodeStoredSignal(STORE, value, details);
}

/** The first reply of a `MULTI` transaction. @throws its error, or when the transaction aborted */
export function firstReply(results: Array<[Error | null, unknown]> | null): unknown {
  const first = results?.[0];
  if (first === undefined || first[0] !== null)
    throw first?.[0] ?? new Error('transaction aborted');
  return first[1];
}
