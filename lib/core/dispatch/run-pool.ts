// A bounded-concurrency loop over indexes, used by list and batch dispatches: it stays
// synchronous while the work does, so all-synchronous deliveries never create a promise.

/**
 * Runs `run(0..n-1)` with at most `limit` in flight. `run` never rejects; a synchronous
 * return keeps the loop going without a promise, so all-synchronous work finishes
 * synchronously (returns `undefined`).
 * @internal
 */
export function runPool(
  n: number,
  limit: number,
  run: (index: number) => void | Promise<void>,
): void | Promise<void> {
  let next = 0;
  let active = 0;
  let done: (() => void) | undefined;
  const onSettled = (): void => {
    active--;
    pump();
  };
  const pump = (): void => {
    while (next < n && active < limit) {
      const pending = run(next++);
      if (pending !== undefined) {
        active++;
        void pending.then(onSettled);
      }
    }
    if (active === 0 && next >= n) done?.();
  };
  pump();
  if (active === 0 && next >= n) return;
  return new Promise<void>((resolve) => {
    done = resolve;
  });
}
