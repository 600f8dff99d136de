import type { BusContext } from './bus-context.js';
import type { PartitionStats } from './partition.js';
import type { Subscription, SubscriptionStats } from './subscription.js';

/** What {@link SignalBus.stats} reports. */
export interface BusStats {
  /** Name of the bus. */
  readonly bus: string;
  /** Entries in the log now. */
  readonly logSize: number;
  /** Signals recorded by this bus instance since it started. */
  readonly published: number;
  /** Publishes accepted and not settled yet (queued or delivering). */
  readonly pendingPublishes: number;
  /** Number of subscriptions (streams included). */
  readonly subscriptionCount: number;
  /** Every subscription with its counters, in registration order. */
  readonly subscriptions: readonly SubscriptionStats[];
  /** One entry per partition (a single one on a bus without partitions). */
  readonly partitions: readonly PartitionStats[];
}

/**
 * The frozen {@link BusStats} of a bus: its counters and every subscription's, and one entry
 * per partition.
 * @internal
 */
export function busStats(
  bus: string,
  logSize: number,
  published: number,
  pendingPublishes: number,
  subs: ReadonlyMap<string, Subscription>,
  context: BusContext,
): BusStats {
  const subscriptions = [...subs.values()].map((s) => s.stats());
  const partitions: PartitionStats[] = [];
  for (let i = 0; i < context.partitionCount; i++) {
    const lane = context.lanes?.[i];
    partitions.push(
      Object.freeze({
        index: i,
        subscriptions: subscriptions.filter((s) => s.partition === i).length,
        queued: lane?.queued ?? 0,
        tokens: lane?.bucket.available() ?? Infinity,
      }),
    );
  }
  return Object.freeze({
    bus,
    logSize,
    published,
    pendingPublishes,
    subscriptionCount: subscriptions.length,
    subscriptions,
    partitions,
  });
}
