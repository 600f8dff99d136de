/**
 * Callers of the JetStream journal waiting until its stream tail has applied a sequence,
 * with a stall guard: when the tail makes no progress for `limit` ms while anyone waits,
 * every waiter is rejected.
 * @module
 * @internal
 */

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Waiters for applied stream sequences. @internal */
export class AppliedWaiters {
  #waiters: Waiter[] = [];
  #progressAt = 0;
  #stallTimer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param limit ms without progress after which the waiters are rejected
   * @param stalled the error they are rejected with
   */
  constructor(
    private readonly limit: number,
    private readonly stalled: () => Error,
  ) {}

  /** The tail applied `seq`: resolve every waiter for it or an earlier one. */
  applied(seq: number): void {
    this.#progressAt = Date.now();
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.seq <= seq) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
    if (still.length === 0) this.#stopStallTimer();
  }

  /** Resolve once {@link applied} reached `seq` (the caller checked it has not yet). */
  wait(seq: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#waiters.length === 0) {
        // The first waiter starts the stall guard; progress is counted from now.
        this.#progressAt = Date.now();
        const limit = this.limit;
        this.#stallTimer = setInterval(
          () => {
            if (Date.now() - this.#progressAt <= limit) return;
            this.rejectAll(this.stalled());
          },
          Math.min(250, Math.max(10, limit / 4)),
        );
        this.#stallTimer.unref();
      }
      this.#waiters.push({ seq, resolve, reject });
    });
  }

  /** Reject every waiter with `error` (tail failure, close, stall). */
  rejectAll(error: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#stopStallTimer();
    for (const w of waiters) w.reject(error);
  }

  #stopStallTimer(): void {
    if (this.#stallTimer !== undefined) clearInterval(this.#stallTimer);
    this.#stallTimer = undefined;
  }
}
