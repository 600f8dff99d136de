/**
 * The tails (feeds) and durable consumers one distributed store object (JetStream, Redis)
 * started: stopped by `deleteConsumer` (those of the subscription) and `close()` (all).
 * @module
 * @internal
 */

/** Something the store started and stops on `close()`. */
export interface Running {
  readonly bus: string;
  readonly subscriptionId: string | undefined;
  /** Stop it (idempotent). */
  stop(): Promise<void>;
}

/** The set of what is {@link Running}. @internal */
export class RunningSet {
  readonly #running = new Set<Running>();

  /** Track what `stop` stops; the returned handle stops it once and forgets it. */
  track(bus: string, subscriptionId: string | undefined, stop: () => Promise<void>): Running {
    let stopping: Promise<void> | undefined;
    const running: Running = {
      bus,
      subscriptionId,
      stop: () => {
        stopping ??= (async () => {
          this.#running.delete(running);
          await stop();
        })();
        return stopping;
      },
    };
    this.#running.add(running);
    return running;
  }

  /** Stop the consumers of `subscriptionId` on `bus`. */
  async stopSubscription(bus: string, subscriptionId: string): Promise<void> {
    for (const r of [...this.#running]) {
      if (r.bus === bus && r.subscriptionId === subscriptionId) await r.stop();
    }
  }

  /** Stop everything, ignoring failures. */
  async stopAll(): Promise<void> {
    for (const r of [...this.#running]) await r.stop().catch(() => undefined);
  }
}
