import { expect } from '@jest/globals';
import { JidoSignalError } from '../../lib/core/errors/jido-signal.error.js';

/** Runs `fn`, asserts it throws a {@link JidoSignalError}, and returns that error. */
export function thrown(fn: () => unknown): JidoSignalError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(JidoSignalError);
    return error as JidoSignalError;
  }
  throw new Error('expected a JidoSignalError, nothing was thrown');
}

/** Awaits `promise`, asserts it rejects with a {@link JidoSignalError}, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<JidoSignalError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(JidoSignalError);
    return error as JidoSignalError;
  }
  throw new Error('expected a rejection');
}
