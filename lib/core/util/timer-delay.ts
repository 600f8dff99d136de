/** The longest delay `setTimeout` takes (2³¹ − 1 ms, about 24.8 days). */
export const MAX_TIMER_DELAY = 2_147_483_647;

/**
 * `ms` as a `setTimeout` delay: at most {@link MAX_TIMER_DELAY}. Node fires a longer delay
 * after 1 ms (with a `TimeoutOverflowWarning`), so a long timeout would expire at once.
 * @internal
 */
export function timerDelay(ms: number): number {
  return ms > MAX_TIMER_DELAY ? MAX_TIMER_DELAY : ms;
}
