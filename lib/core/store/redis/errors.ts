import { JidoSignalError } from '../../errors/jido-signal.error.js';
import { StoreClosedError, StoreError, StoreUnavailableError } from '../../errors/store.error.js';
import type { RedisLink } from '../../redis/connection.js';
import { describeCause, isConnectionError, isTransient } from '../../redis/errors.js';
import { reportFailure } from '../shared/report-failure.js';

const STORE = 'RedisStore';

/**
 * How a {@link RedisStore} fails: a Redis failure of an operation becomes the error its caller
 * gets (`StoreClosedError`, `StoreUnavailableError` or `StoreError`, with secret-free
 * messages), and a failure nobody awaits goes to `onError` and the `onError()` listeners.
 * @internal
 */
export class StoreFailures {
  readonly #listeners = new Set<(error: StoreError) => void>();

  constructor(
    private readonly link: RedisLink,
    private readonly onError: (error: StoreError) => void,
    private readonly closed: () => boolean,
  ) {}

  /** Listen to reported failures. @returns a function that removes the listener */
  listen(listener: (error: StoreError) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Report a failure nobody awaits (`where` names what failed). */
  report(error: unknown, where: string): void {
    reportFailure(STORE, error, where, describeCause, [this.onError, ...this.#listeners]);
  }

  /** The error the caller of `operation` gets for `error`. */
  map(operation: string, error: unknown): Error {
    if (error instanceof JidoSignalError) return error;
    if (this.closed()) return new StoreClosedError(STORE);
    const cause = describeCause(error);
    if (!this.link.connected || isConnectionError(error)) {
      return new StoreUnavailableError(STORE, operation, 0, cause);
    }
    return new StoreError(`${STORE}: ${operation} failed: ${cause.message}`, {
      details: { operation },
      cause,
      retryable: isTransient(error),
    });
  }
}
