import type { Signal } from '../../signal/signal.js';

/**
 * Deliver `signals` one after the other through `deliver` (which may return a promise or
 * throw) and report one entry per signal: `undefined` when delivered, else what it threw.
 * A synchronous `deliver` keeps the whole list synchronous. Used by the `pid` and `named`
 * adapters' `deliverBatch`: the receiver gets the list in order.
 * @internal
 */
export function deliverEach(
  signals: readonly Signal[],
  deliver: (signal: Signal) => void | Promise<void>,
): unknown[] | Promise<unknown[]> {
  const outcomes: unknown[] = new Array<unknown>(signals.length).fill(undefined);
  for (let i = 0; i < signals.length; i++) {
    let result: void | Promise<void>;
    try {
      result = deliver(signals[i]);
    } catch (error) {
      outcomes[i] = error;
      continue;
    }
    if (result instanceof Promise) return finishAsync(signals, deliver, outcomes, i, result);
  }
  return outcomes;
}

async function finishAsync(
  signals: readonly Signal[],
  deliver: (signal: Signal) => void | Promise<void>,
  outcomes: unknown[],
  index: number,
  pending: Promise<void>,
): Promise<unknown[]> {
  try {
    await pending;
  } catch (error) {
    outcomes[index] = error;
  }
  for (let i = index + 1; i < signals.length; i++) {
    try {
      await deliver(signals[i]);
    } catch (error) {
      outcomes[i] = error;
    }
  }
  return outcomes;
}
