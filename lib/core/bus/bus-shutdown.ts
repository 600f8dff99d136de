import type { BusContext } from './bus-context.js';
import type { BusLifecycle } from './bus-lifecycle.js';
import type { BusStreams } from './bus-streams.js';
import type { PersistentEngine } from './persistent/engine.js';
import type { PublishSequencer } from './publish-sequencer.js';
import type { Retention } from './retention.js';
import type { SharedLogFeed } from './shared-log-feed.js';
import type { Subscription } from './subscription.js';

/** What the shutdown needs from the `SignalBus` facade. @internal */
export interface ShutdownHost {
  /** Every subscription by id. */
  readonly subs: ReadonlyMap<string, Subscription>;
  /** Remove a subscription (its route, batching buffers, persistent engine). */
  remove(sub: Subscription): void;
  /** Flush the buffers of batched targets (from now on they send at once). */
  drainBatching(): void;
  /** Stop reporting store failures (the distributed store's `onError`). */
  stopStoreErrors(): void;
  /** Close the dispatcher and the store if the bus created them. */
  closeOwned(): Promise<unknown>;
}

/**
 * The drain and close of a bus: stop intake, let in-flight deliveries (and the follow-ups
 * they publish) finish up to a deadline, then release everything in order.
 * @internal
 */
export class BusShutdown {
  constructor(
    private readonly context: BusContext,
    private readonly life: BusLifecycle,
    private readonly retention: Retention,
    private readonly sequencer: PublishSequencer,
    private readonly streams: BusStreams,
    private readonly feed: SharedLogFeed,
    private readonly host: ShutdownHost,
  ) {}

  /**
   * Stop outside intake. From now on every ordinary delivery runs in the causality context,
   * so what its handler publishes is known to come from a delivery; persistent
   * subscriptions stop (re)delivering.
   */
  beginDrain(): void {
    this.life.stopIntake();
    this.host.drainBatching();
    this.retention.stop();
    this.life.attributeDeliveries(this.context);
    for (const sub of this.host.subs.values()) sub.persistence?.halt();
  }

  /** Drain (up to `timeout` ms), then stop streams, subscriptions, the feed and owned resources. */
  async close(timeout: number): Promise<void> {
    if (!this.life.closing) this.beginDrain();
    const host = this.host;
    // Persistent subscriptions stopped (re)delivering when the drain began; unacked signals
    // stay pending.
    const persistent: PersistentEngine[] = [];
    for (const sub of host.subs.values()) {
      if (sub.persistence !== undefined) persistent.push(sub.persistence);
    }
    await this.life.waitIdle(timeout);
    this.life.endDrain();
    this.sequencer.refuseQueued();
    this.streams.completeAll();
    host.stopStoreErrors();
    this.context.errors.complete();
    for (const sub of [...host.subs.values()]) host.remove(sub);
    // Final checkpoints, before an owned store closes.
    await Promise.allSettled(persistent.map((ps) => ps.stop(true)));
    await this.feed.stop();
    await host.closeOwned();
  }
}
