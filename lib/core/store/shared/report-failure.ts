/**
 * Reporting a failure nobody awaits (a feed, a consumer, retention) of a distributed store.
 * @module
 * @internal
 */
import { describeThrown } from '../../errors/jido-signal.error.js';
import { StoreError } from '../../errors/store.error.js';

/**
 * Hand `error` to every listener (`onError` and the `onError()` listeners) as a `StoreError`:
 * a `StoreError` as it is, anything else wrapped with the secret-free `describeCause` of it
 * (`store` names the store, `where` what failed). A throwing listener is ignored.
 */
export function reportFailure(
  store: string,
  error: unknown,
  where: string,
  describeCause: (cause: unknown) => Error,
  listeners: Iterable<(error: StoreError) => void>,
): void {
  const wrapped =
    error instanceof StoreError
      ? error
      : new StoreError(`${store}: ${where} failed: ${describeThrown(describeCause(error))}`, {
          cause: describeCause(error),
        });
  for (const listener of listeners) {
    try {
      listener(wrapped);
    } catch {
      // A failing error handler must not break delivery.
    }
  }
}
